using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.RealClients;

/// <summary>The SLP device API calls as Cisco's offline reservation scripts send them (cssm-api.md §SLP device APIs).</summary>
public static class SlpClient
{
    public const string AuthRequest = TestSimulator.ApiPrefix + "/v2/devices/authrequest";
    public const string ReportUsage = TestSimulator.ApiPrefix + "/v2/devices/reportusage";
    public const string Poll = TestSimulator.ApiPrefix + "/v2/accounts/poll";
    public const string Pid = "C9800-CL-K9";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static JsonObject Sudi(string serial) => new() { ["udi_pid"] = Pid, ["udi_serial_number"] = serial };

    /// <summary>POSTs <paramref name="body"/> with the X-CSW headers of the default account; returns status and JSON.</summary>
    public static async Task<(int Status, JsonObject Body)> SendAsync(TestSimulator sim, string path, JsonObject body, string saId = "123456", string vaId = "234567")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await sim.TokenAsync());
        request.Headers.Add("X-CSW-SMART-ACCOUNT-ID", saId);
        request.Headers.Add("X-CSW-VIRTUAL-ACCOUNT-ID", vaId);
        request.Headers.Add("X-CSW-REQUESTING-SYSTEM", """{"udi_pid":"OFFLINE-TOOL","udi_serial_number":"1"}""");
        using var response = await sim.Http.SendAsync(request, Ct);
        return ((int)response.StatusCode, await TestSimulator.ReadJsonAsync(response));
    }

    /// <summary>An authrequest asking for <paramref name="count"/> of <paramref name="tag"/> for one device.</summary>
    public static JsonObject Reserve(string serial, string tag, long count) => new()
    {
        ["data"] = new JsonObject
        {
            ["timestamp"] = "1700000000000",
            ["nonce"] = "offline-nonce-01",
            ["licenses"] = new JsonArray(new JsonObject
            {
                ["sudi"] = Sudi(serial),
                ["hostname"] = "",
                ["keys"] = new JsonArray(new JsonObject { ["entitlement"] = tag, ["count"] = count.ToString(System.Globalization.CultureInfo.InvariantCulture) }),
            }),
        },
    };

    /// <summary>The return as Cisco's scripts send it: <c>remove_code</c> inside the licenses[] item beside <c>"keys": []</c>.</summary>
    public static JsonObject Return(string serial, string returnCode) => new()
    {
        ["data"] = new JsonObject
        {
            ["timestamp"] = 1700000000000,
            ["nonce"] = "offline-nonce-02",
            ["licenses"] = new JsonArray(new JsonObject { ["sudi"] = Sudi(serial), ["hostname"] = "", ["keys"] = new JsonArray(), ["remove_code"] = returnCode }),
        },
    };

    /// <summary>Submits, then polls once (the default poll transition completes on the first poll).</summary>
    public static async Task<(JsonObject Accepted, JsonObject Done)> SubmitAndPollAsync(TestSimulator sim, string path, JsonObject body, string action)
    {
        var (status, accepted) = await SendAsync(sim, path, body);
        status.ShouldBe(202, accepted.ToJsonString());
        var (_, done) = await SendAsync(sim, Poll, new JsonObject
        {
            ["data"] = new JsonObject { ["timestamp"] = 1700000000000, ["nonce"] = "poll-nonce-0001", ["poll_id"] = accepted["poll_id"]!.GetValue<long>().ToString(), ["action"] = action },
        });
        return (accepted, done);
    }
}
