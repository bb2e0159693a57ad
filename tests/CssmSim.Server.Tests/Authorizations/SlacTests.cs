using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Server.Tests.Support;
using CssmSim.Testing.Devices;

namespace CssmSim.Server.Tests.Authorizations;

/// <summary>Smart Licensing Authorization Codes through smart transport and the SLP authrequest API (issue acceptance).</summary>
public sealed class SlacTests
{
    public const string Hsec = "regid.2019-03.com.cisco.DNA_HSEC,1.0_509c41ab-05a8-431f-95fe-ec28086e8844";
    public const string Enforced = "regid.2020-01.com.cisco.CSSMSIM_ENFORCED_DEMO,1.0_00000000-0000-4000-8000-000000000001";
    private const string NwStack = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<SimulatedProductInstance> TrustedAsync(TestSimulator sim, string serial, bool exportControlled = true)
    {
        var device = sim.Device(serial);
        var token = await sim.CreateTokenAsync(exportControlled: exportControlled);
        (await device.EstablishTrustAsync(token["token"]!.GetValue<string>())).Trusted.ShouldBeTrue();
        return device;
    }

    private static Task<JsonObject> RequestAsync(SimulatedProductInstance device, string tag, long count, string mode = "add") =>
        device.SendAsync("AUTHORIZATION_REQUEST", new JsonObject
        {
            ["entitlements"] = new JsonArray(new JsonObject { ["tag"] = tag, ["count"] = count.ToString() }),
            ["scope"] = "local",
            ["mode"] = mode,
        }, Ct);

    private static string Code(JsonObject reply) => reply["data"]!["authorizations"]![0]!["smart_license"]!.GetValue<string>();

    [Fact]
    public async Task An_hseck9_slac_needs_a_balance_and_a_return_gives_it_back()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync($"accounts: [{{domain: example.com, virtualAccounts: [{{name: DEFAULT, licenses: [{{tag: \"{Hsec}\", quantity: 0}}]}}]}}]");
        var device = await TrustedAsync(sim, "HSEC-1");
        var other = await TrustedAsync(sim, "HSEC-2");

        var none = await RequestAsync(device, Hsec, 1);
        await sim.MergeSeedAsync($"accounts: [{{domain: example.com, virtualAccounts: [{{name: DEFAULT, licenses: [{{tag: \"{Hsec}\", quantity: 1}}]}}]}}]");
        var granted = await RequestAsync(device, Hsec, 1);
        var whileHeld = await HsecAsync(sim);
        var exhausted = await RequestAsync(other, Hsec, 1);
        var slac = SlacCode.Parse(Code(granted));
        var returned = await device.SendAsync("AUTHORIZATION_RETURN", new JsonObject { ["return_code"] = ReturnCode.Generate(Guid.NewGuid(), slac.Udi) }, Ct);
        var returnedBalance = await HsecAsync(sim);
        var afterReturn = await RequestAsync(other, Hsec, 1);

        none["error"]!["code"]!.GetValue<string>().ShouldBe("INSUFFICIENT_LICENSES");
        granted["status"]!.GetValue<string>().ShouldBe("COMPLETE", granted.ToJsonString());
        exhausted["error"]!["code"]!.GetValue<string>().ShouldBe("INSUFFICIENT_LICENSES", "the only license is authorized to HSEC-1");
        returned["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        ConfirmationCode.IsWellFormed(returned["data"]!["confirmation_code"]!.GetValue<string>()).ShouldBeTrue();
        afterReturn["status"]!.GetValue<string>().ShouldBe("COMPLETE", "the return put the license back in the pool");
        whileHeld["available"]!.GetValue<long>().ShouldBe(0);
        whileHeld["reserved"]!.GetValue<long>().ShouldBe(1);
        returnedBalance["available"]!.GetValue<long>().ShouldBe(1);
    }

    private static async Task<JsonNode> HsecAsync(TestSimulator sim)
    {
        var list = JsonNode.Parse(await sim.Http.GetStringAsync("/_sim/accounts/example.com/virtual-accounts/DEFAULT/licenses", Ct))!;
        var licenses = list is JsonArray arr ? arr : list["licenses"]!.AsArray();
        return licenses.Single(l => l!["tag"]!.GetValue<string>() == Hsec)!;
    }

    [Fact]
    public async Task A_slac_is_signed_over_its_authorization_code_element_and_names_the_device()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await TrustedAsync(sim, "SIGNED-1");

        var reply = await RequestAsync(device, Enforced, 2);
        var slac = SlacCode.Parse(Code(reply));
        var cert = await sim.Http.GetStringAsync("/_sim/certs/signing.pem", Ct);

        slac.Verify(cert).ShouldBeTrue();
        slac.Udi.Serial.ShouldBe("SIGNED-1");
        slac.Content.Piid.ShouldBe(device.TrustCode!.Piid);
        slac.Content.Entitlements.ShouldHaveSingleItem().Count.ShouldBe(2);
        slac.Content.Entitlements[0].Tag.ShouldBe(Enforced);
    }

    [Fact]
    public async Task Adding_lists_the_full_count_and_replacing_sets_it()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await TrustedAsync(sim, "MODE-1");

        await RequestAsync(device, Enforced, 2);
        var added = SlacCode.Parse(Code(await RequestAsync(device, Enforced, 1)));
        var replaced = SlacCode.Parse(Code(await RequestAsync(device, Enforced, 1, "replace")));
        var rest = await RequestAsync(await TrustedAsync(sim, "MODE-2"), Enforced, 4);

        added.Content.Entitlements[0].Count.ShouldBe(3);
        replaced.Content.Entitlements[0].Count.ShouldBe(1);
        rest["status"]!.GetValue<string>().ShouldBe("COMPLETE", "1 of 5 is held after the replace");
    }

    [Fact]
    public async Task Unenforced_unknown_and_export_controlled_without_permission_are_refused()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await TrustedAsync(sim, "RULES-1");
        var noExport = await TrustedAsync(sim, "RULES-2", exportControlled: false);

        var unenforced = await RequestAsync(device, NwStack, 1);
        var unknown = await RequestAsync(device, "regid.2099-01.com.cisco.NOPE,1.0_00000000-0000-4000-8000-000000000009", 1);
        var export = await RequestAsync(noExport, Hsec, 1);
        var dotForm = await RequestAsync(device, Hsec.Replace(",1.0_", ".1.0_"), 1);

        unenforced["error"]!["code"]!.GetValue<string>().ShouldBe("LICENSE_NOT_ENFORCED");
        unknown["error"]!["code"]!.GetValue<string>().ShouldBe("UNKNOWN_LICENSE");
        export["error"]!["code"]!.GetValue<string>().ShouldBe("EXPORT_CONTROL_NOT_ALLOWED");
        dotForm["status"]!.GetValue<string>().ShouldBe("COMPLETE", "dot and comma forms name one tag");
    }

    [Fact]
    public async Task Only_the_matching_confirmation_code_confirms()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await TrustedAsync(sim, "CONFIRM-1");
        var slac = SlacCode.Parse(Code(await RequestAsync(device, Enforced, 1)));

        var wrong = await device.SendAsync("AUTHORIZATION_CONFIRMATION", new JsonObject { ["confirmation_code"] = "00000000" }, Ct);
        var right = await device.SendAsync("AUTHORIZATION_CONFIRMATION", new JsonObject { ["confirmation_code"] = slac.ExpectedConfirmationCode }, Ct);
        var events = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/events?type=CONFIRMATION_RECEIVED", Ct));

        wrong["status"]!.GetValue<string>().ShouldBe("FAILED");
        right["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        events["events"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_malformed_return_code_is_unknown_return_code()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await TrustedAsync(sim, "RET-1");
        await RequestAsync(device, Enforced, 1);

        var reply = await device.SendAsync("AUTHORIZATION_RETURN", new JsonObject { ["return_code"] = "not-a-code" }, Ct);

        reply["error"]!["code"]!.GetValue<string>().ShouldBe("UNKNOWN_RETURN_CODE");
    }

    [Fact]
    public async Task Concurrent_requests_never_authorize_more_than_the_pool_holds()
    {
        await using var sim = await TestSimulator.StartAsync();
        var devices = new List<SimulatedProductInstance>();
        for (var i = 0; i < 12; i++) devices.Add(await TrustedAsync(sim, $"RACE{i:D2}"));

        var replies = await Task.WhenAll(devices.Select(d => RequestAsync(d, Enforced, 1)));

        replies.Count(r => r["status"]!.GetValue<string>() == "COMPLETE").ShouldBe(5);
        replies.Count(r => r["error"]?["code"]?.GetValue<string>() == "INSUFFICIENT_LICENSES").ShouldBe(7);
    }

    [Fact]
    public async Task A_device_without_trust_cannot_ask_for_a_slac()
    {
        await using var sim = await TestSimulator.StartAsync();

        var reply = await RequestAsync(sim.Device("NOTRUST-1"), Enforced, 1);

        reply["error"]!["code"]!.GetValue<string>().ShouldBe("TRUST_REQUIRED");
    }

    [Fact]
    public async Task The_slp_authrequest_api_reports_per_license_results_at_complete()
    {
        await using var sim = await TestSimulator.StartAsync();
        var body = new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["timestamp"] = "1700000000000",
                ["nonce"] = "auth-nonce-1",
                ["licenses"] = new JsonArray(
                    new JsonObject { ["sudi"] = Sudi("SLP-AUTH-1"), ["hostname"] = "", ["keys"] = new JsonArray(new JsonObject { ["entitlement"] = Enforced, ["count"] = "2" }) },
                    new JsonObject { ["sudi"] = Sudi("SLP-AUTH-2"), ["hostname"] = "r2", ["keys"] = new JsonArray(new JsonObject { ["entitlement"] = NwStack, ["count"] = 1 }) }),
            },
        };

        using var submitted = await PostAsync(sim, "/v2/devices/authrequest", body);
        var accepted = await TestSimulator.ReadJsonAsync(submitted);
        var done = await TestSimulator.ReadJsonAsync(await PostAsync(sim, "/v2/accounts/poll",
            new JsonObject { ["data"] = new JsonObject { ["poll_id"] = accepted["poll_id"]!.DeepClone(), ["action"] = "authorizations" } }));
        var removed = await TestSimulator.ReadJsonAsync(await PostAsync(sim, "/v2/devices/authrequest", new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["remove_code"] = ReturnCode.Generate(Guid.NewGuid(), new UdiRef("C9800-CL-K9", "SLP-AUTH-1")),
                ["licenses"] = new JsonArray(new JsonObject { ["sudi"] = Sudi("SLP-AUTH-1"), ["keys"] = new JsonArray() }),
            },
        }));
        var removeDone = await TestSimulator.ReadJsonAsync(await PostAsync(sim, "/v2/accounts/poll",
            new JsonObject { ["data"] = new JsonObject { ["poll_id"] = removed["poll_id"]!.DeepClone(), ["action"] = "authorizations" } }));

        submitted.StatusCode.ShouldBe(System.Net.HttpStatusCode.Accepted);
        accepted["action"]!.GetValue<string>().ShouldBe("authorizations");
        done["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        var results = done["data"]!["authorizations"]!.AsArray();
        results[0]!.AsObject().ShouldHaveExactKeys("product_instance_identifier", "sudi", "smart_license", "auth_status", "error_code", "status", "status_message", "correlation_id");
        results[0]!["status"]!.GetValue<string>().ShouldBe("SUCCESS");
        var slac = SlacCode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(results[0]!["smart_license"]!.GetValue<string>())));
        slac.Verify(await sim.Http.GetStringAsync("/_sim/certs/signing.pem", Ct)).ShouldBeTrue();
        results[1]!["status"]!.GetValue<string>().ShouldBe("FAILED");
        results[1]!["error_code"]!.GetValue<string>().ShouldBe("LICENSE_NOT_ENFORCED");
        results[1]!["smart_license"].ShouldBeNull();
        var removal = removeDone["data"]!["authorizations"]![0]!;
        removal["status"]!.GetValue<string>().ShouldBe("SUCCESS");
        removal["smart_license"].ShouldBeNull();
    }

    private static JsonObject Sudi(string serial) => new() { ["udi_pid"] = "C9800-CL-K9", ["udi_serial_number"] = serial };

    private static async Task<HttpResponseMessage> PostAsync(TestSimulator sim, string path, JsonObject body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, TestSimulator.ApiPrefix + path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await sim.TokenAsync());
        request.Headers.Add("X-CSW-SMART-ACCOUNT-ID", "123456");
        request.Headers.Add("X-CSW-VIRTUAL-ACCOUNT-ID", "234567");
        return await sim.Http.SendAsync(request, Ct);
    }
}

public sealed class SlacInAckTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_slac_asked_for_in_a_usage_report_arrives_inside_the_ack_and_a_refused_one_is_left_out()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = sim.Device("ACK-SLAC");
        await device.EstablishTrustAsync((await sim.CreateTokenAsync())["token"]!.GetValue<string>());
        var (payload, signature, _) = device.BuildReports([(SlacTests.Enforced, 1)])[0];

        // Answered OK_POLL: the device polls, and the ACK with the SLAC comes on RESULT_POLLING.
        var reply = await device.SendAndPollAsync("USAGE_REPORTING", new JsonObject
        {
            ["reports"] = new JsonArray(new JsonObject { ["payload"] = payload, ["signature"] = signature }),
            ["authorization_requests"] = new JsonArray(
                new JsonObject { ["entitlements"] = new JsonArray(new JsonObject { ["tag"] = SlacTests.Enforced, ["count"] = 2 }), ["mode"] = "add" },
                new JsonObject { ["entitlements"] = new JsonArray(new JsonObject { ["tag"] = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896", ["count"] = 1 }) }),
        }, Ct);
        var ack = reply["data"]!["ack"]!.GetValue<string>();

        reply["status"]!.GetValue<string>().ShouldBe("COMPLETE", reply.ToJsonString());
        var slac = SlacCode.Parse("<smartLicense>" + ack[ack.IndexOf("<smartLicenseAuthorization>", StringComparison.Ordinal)..ack.IndexOf("</smartLicenseAuthorization>", StringComparison.Ordinal)]
            + "</smartLicenseAuthorization></smartLicense>");
        slac.Verify(await sim.Http.GetStringAsync("/_sim/certs/signing.pem", Ct)).ShouldBeTrue();
        slac.Content.Entitlements.ShouldHaveSingleItem().Count.ShouldBe(2);
        ack.Split("<smartLicenseAuthorization>").Length.ShouldBe(2, "the unenforced request was left out");
    }
}
