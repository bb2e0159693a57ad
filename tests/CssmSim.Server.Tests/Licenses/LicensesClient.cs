using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;
using CssmSim.Testing.Devices;

namespace CssmSim.Server.Tests.Licenses;

/// <summary>Calls on the licenses, summary and transfer APIs as a client sends them, and the default seed's names.</summary>
public static class LicensesClient
{
    public const string NwStack = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    public const string AirDna = "regid.2017-08.com.cisco.AIR-DNA-A,1.0_b6308627-3ab0-4a11-a3d9-586911a0d790";
    public const string Hsec = "regid.2019-03.com.cisco.DNA_HSEC,1.0_509c41ab-05a8-431f-95fe-ec28086e8844";
    public const string HsecDotForm = "regid.2019-03.com.cisco.DNA_HSEC.1.0_509c41ab-05a8-431f-95fe-ec28086e8844";
    public const string EnforcedDemo = "regid.2020-01.com.cisco.CSSMSIM_ENFORCED_DEMO,1.0_00000000-0000-4000-8000-000000000001";
    public const string NwStackName = "AP Perpetual Networkstack Advantage";
    public const string AirDnaName = "Aironet DNA Advantage Term Licenses";
    public const string HsecName = "Router US Export Lic. for DNA";
    public const string SmartAccountId = "123456";
    public const string DefaultVaId = "234567";
    public const string LabVaId = "234568";

    public const string ListPath = TestSimulator.ApiPrefix + "/v1/accounts/example.com/licenses";
    public const string SummaryPath = TestSimulator.ApiPrefix + "/v3/licenses/summary";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static string TransferPath(string va = "DEFAULT", string domain = "example.com") =>
        $"{TestSimulator.ApiPrefix}/v1/accounts/{domain}/virtual-accounts/{Uri.EscapeDataString(va)}/licenses/transfer";

    /// <summary>A POST with a bearer token (the default client's unless given) and extra headers.</summary>
    public static async Task<HttpResponseMessage> PostAsync(this TestSimulator sim, string path, string json, string? token = null,
        IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? await sim.TokenAsync());
        foreach (var (name, value) in headers ?? new Dictionary<string, string>()) request.Headers.TryAddWithoutValidation(name, value);
        return await sim.Http.SendAsync(request, Ct);
    }

    /// <summary>The v1 license list; asserts 200.</summary>
    public static async Task<JsonObject> ListAsync(this TestSimulator sim, string json = "{}")
    {
        using var response = await sim.PostAsync(ListPath, json);
        var body = await TestSimulator.ReadJsonAsync(response);
        ((int)response.StatusCode).ShouldBe(200, body.ToJsonString());
        return body;
    }

    /// <summary>The v1 row of one license in one Virtual Account.</summary>
    public static async Task<JsonObject> RowAsync(this TestSimulator sim, string displayName, string va = "DEFAULT")
    {
        var body = await sim.ListAsync($$"""{"virtualAccounts":["{{va}}"]}""");
        return body["licenses"]!.AsArray().Select(r => r!.AsObject()).Single(r => r["license"]!.GetValue<string>() == displayName);
    }

    /// <summary>The X-CSW headers that select a Virtual Account, with a requesting system.</summary>
    public static Dictionary<string, string> SummaryHeaders(string saId = SmartAccountId, string vaId = DefaultVaId) => new()
    {
        ["X-CSW-SMART-ACCOUNT-ID"] = saId,
        ["X-CSW-VIRTUAL-ACCOUNT-ID"] = vaId,
        ["X-CSW-REQUESTING-SYSTEM"] = """{"display_name":"CSLU"}""",
    };

    /// <summary>The v3 summary; asserts 200.</summary>
    public static async Task<JsonObject> SummaryAsync(this TestSimulator sim, string tagsJson = "[]", string vaId = DefaultVaId)
    {
        using var response = await sim.PostAsync(SummaryPath, $$$"""{"data":{"timestamp":1700000000000,"nonce":"n0nce-123456","tags":{{{tagsJson}}}}}""",
            headers: SummaryHeaders(vaId: vaId));
        var body = await TestSimulator.ReadJsonAsync(response);
        ((int)response.StatusCode).ShouldBe(200, body.ToJsonString());
        return body;
    }

    /// <summary>A transfer request; returns the response (not asserted).</summary>
    public static Task<HttpResponseMessage> TransferAsync(this TestSimulator sim, string va, params (string License, long Quantity, string Target)[] entries) =>
        sim.PostAsync(TransferPath(va), new JsonObject
        {
            ["licenses"] = new JsonArray(entries.Select(e => (JsonNode)new JsonObject
            {
                ["license"] = e.License, ["licenseType"] = null, ["quantity"] = e.Quantity, ["targetVirtualAccount"] = e.Target,
            }).ToArray()),
        }.ToJsonString());

    /// <summary>A device trusted into <paramref name="va"/> with an unlimited token.</summary>
    public static async Task<SimulatedProductInstance> TrustedDeviceAsync(this TestSimulator sim, string serial, string va = "DEFAULT")
    {
        var device = sim.Device(serial);
        var trust = await device.EstablishTrustAsync((await sim.CreateTokenAsync(va))["token"]!.GetValue<string>());
        trust.Trusted.ShouldBeTrue(trust.Reply.ToJsonString());
        return device;
    }

    /// <summary>Reports usage and asserts it was acknowledged.</summary>
    public static async Task ReportAsync(this SimulatedProductInstance device, DateTimeOffset at, params (string Tag, long Count)[] usage)
    {
        var result = await device.ReportUsageAsync(usage, at: at);
        result.Acknowledged.ShouldBeTrue(result.Reply.ToJsonString());
    }
}
