using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;
using CssmSim.Testing.Devices;

namespace CssmSim.Server.Tests.SmartTransport;

/// <summary>
/// smart-transport.md §What real devices record (issue 18 items 2-5), over HTTP: protocol version and
/// server identity, OK_TRY_AGAIN by agent capability, asynchronous usage and the realistic timing
/// profile, telemetry reports.
/// </summary>
public sealed class WhatDevicesRecordTests
{
    private const string NwStack = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    private const string ConnectInfo =
        """{"name":"SSM","version":"1.3","additional":"","prod":true,"capabilities":["DLC","AppHA","EXPORT_2","POLICY_USAGE","UTILITY","TELEMETRY","TELEMETRY_POLICY"]}""";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static JsonObject Message(string type, JsonObject data, string serial = "REC0001", JsonArray? capabilities = null, string version = "1.0")
    {
        var body = new JsonObject
        {
            ["header"] = new JsonObject { ["version"] = version, ["type"] = type, ["message_id"] = Guid.NewGuid().ToString(), ["timestamp"] = 1700000000000L },
            ["sudi"] = new JsonObject { ["udi_pid"] = "C9800-CL-K9", ["udi_serial_number"] = serial },
            ["hostname"] = serial.ToLowerInvariant(),
            ["data"] = data,
        };
        if (capabilities is not null) body["agent_capabilities"] = capabilities;
        return body;
    }

    private static async Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(TestSimulator sim, JsonNode message)
    {
        using var r = await sim.Http.PostAsync("/licservice/license", new StringContent(message.ToJsonString(), Encoding.UTF8, "application/json"), Ct);
        return (r.StatusCode, await TestSimulator.ReadJsonAsync(r));
    }

    private static async Task<JsonObject> PostJsonAsync(TestSimulator sim, string path, string json, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var r = await sim.Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), Ct);
        var body = await TestSimulator.ReadJsonAsync(r);
        r.StatusCode.ShouldBe(expected, body.ToJsonString());
        return body;
    }

    private static async Task<string> TokenAsync(TestSimulator sim, int? maxUses = null) => (await sim.CreateTokenAsync(maxUses: maxUses))["token"]!.GetValue<string>();

    private static async Task<SimulatedProductInstance> TrustedAsync(TestSimulator sim, string serial)
    {
        var device = sim.Device(serial);
        (await device.EstablishTrustAsync(await TokenAsync(sim), ct: Ct)).Trusted.ShouldBeTrue();
        return device;
    }

    private static JsonObject Reports(SimulatedProductInstance device, long count = 1) =>
        new() { ["reports"] = new JsonArray(device.BuildReports([(NwStack, count)]).Select(r => (JsonNode)new JsonObject { ["payload"] = r.Payload, ["signature"] = r.Signature }).ToArray()) };

    private static JsonObject Poll(JsonObject reply, string serial) => Message("RESULT_POLLING", new JsonObject { ["poll_id"] = reply["poll_id"]!.DeepClone() }, serial);

    [Fact]
    public async Task A_request_with_version_1_0_is_answered_version_1_3_with_the_server_identity()
    {
        await using var sim = await TestSimulator.StartAsync();

        var (status, body) = await PostAsync(sim, Message("HELLO", []));

        status.ShouldBe(HttpStatusCode.OK);
        body["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        body["header"]!["version"]!.GetValue<string>().ShouldBe("1.3");
        body["connect_info"]!.ToJsonString().ShouldBe(ConnectInfo);
    }

    [Fact]
    public async Task Failed_replies_and_http_layer_errors_carry_the_server_identity_too()
    {
        await using var sim = await TestSimulator.StartAsync();

        var (_, refused) = await PostAsync(sim, Message("USAGE_REPORTING", [], "NOTRUST1"));
        var (status, invalid) = await PostAsync(sim, new JsonObject { ["header"] = new JsonObject { ["type"] = "HELLO" }, ["data"] = new JsonObject() });

        refused["status"]!.GetValue<string>().ShouldBe("FAILED");
        refused["connect_info"]!.ToJsonString().ShouldBe(ConnectInfo);
        status.ShouldBe(HttpStatusCode.BadRequest);
        invalid["connect_info"]!.ToJsonString().ShouldBe(ConnectInfo);
    }

    [Fact]
    public async Task Agent_capabilities_that_are_not_a_list_of_strings_are_an_invalid_message()
    {
        await using var sim = await TestSimulator.StartAsync();
        var message = Message("HELLO", []);
        message["agent_capabilities"] = new JsonArray(1, 2);

        var (status, body) = await PostAsync(sim, message);

        status.ShouldBe(HttpStatusCode.BadRequest);
        body["error"]!["code"]!.GetValue<string>().ShouldBe("INVALID_MESSAGE");
        body["error"]!["message"]!.GetValue<string>().ShouldContain("agent_capabilities");
    }

    [Fact]
    public async Task Licengine_failure_is_ok_try_again_to_an_agent_that_lists_it_and_failed_to_others()
    {
        await using var sim = await TestSimulator.StartAsync();
        await PostJsonAsync(sim, "/_sim/faults", """{"match":{"surface":"smart-transport","operation":"HELLO"},"effect":{"error":"LS_LICENGINE_FAIL_TO_CONNECT"}}""",
            HttpStatusCode.Created);

        var (_, capable) = await PostAsync(sim, Message("HELLO", [], capabilities: new JsonArray("UTILITY", "OK_TRY_AGAIN")));
        var (_, older) = await PostAsync(sim, Message("HELLO", [], capabilities: new JsonArray("UTILITY", "DLC")));
        var (_, none) = await PostAsync(sim, Message("HELLO", []));

        capable["status"]!.GetValue<string>().ShouldBe("OK_TRY_AGAIN");
        foreach (var reply in new[] { capable, older, none })
        {
            reply["error"]!["code"]!.GetValue<string>().ShouldBe("LS_LICENGINE_FAIL_TO_CONNECT");
            reply["error"]!["message"]!.GetValue<string>().ShouldBe("Server error occurred: LS_LICENGINE_FAIL_TO_CONNECT");
        }
        older["status"]!.GetValue<string>().ShouldBe("FAILED");
        none["status"]!.GetValue<string>().ShouldBe("FAILED");
    }

    [Fact]
    public async Task The_token_bottleneck_answers_ok_try_again_to_a_capable_agent_and_consumes_no_use()
    {
        await using var sim = await TestSimulator.StartAsync();
        // One trust request counted for a minute after its reply: the next ones for the token meet the bottleneck.
        await sim.PatchFaultAsync("token-max-uses-bottleneck", """{"when":{"concurrentAbove":1,"holdMs":60000}}""");
        var token = await TokenAsync(sim, maxUses: 5);
        JsonObject Trust(string serial, JsonArray? caps) => Message("TRUST_ESTABLISHMENT", new JsonObject { ["id_token"] = token, ["scope"] = "local" }, serial, caps);

        var (_, first) = await PostAsync(sim, Trust("BTL0001", new JsonArray("OK_TRY_AGAIN")));
        var (_, capable) = await PostAsync(sim, Trust("BTL0002", new JsonArray("OK_TRY_AGAIN")));
        var (_, older) = await PostAsync(sim, Trust("BTL0003", new JsonArray("UTILITY")));
        var tokens = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/accounts/example.com/virtual-accounts/DEFAULT/tokens", Ct));

        first["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        capable["status"]!.GetValue<string>().ShouldBe("OK_TRY_AGAIN");
        capable["error"]!["message"]!.GetValue<string>().ShouldBe("Server error occurred: LS_LICENGINE_FAIL_TO_CONNECT");
        older["status"]!.GetValue<string>().ShouldBe("FAILED");
        older["error"]!["code"]!.GetValue<string>().ShouldBe("LS_LICENGINE_FAIL_TO_CONNECT");
        tokens.ToJsonString().ShouldContain("\"usesCount\":1");
    }

    [Fact]
    public async Task Usage_reporting_answers_ok_poll_and_the_first_result_polling_brings_the_ack()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await TrustedAsync(sim, "ASYNC001");

        var (_, reply) = await PostAsync(sim, Message("USAGE_REPORTING", Reports(device), "ASYNC001"));
        var (_, polled) = await PostAsync(sim, Poll(reply, "ASYNC001"));

        reply["status"]!.GetValue<string>().ShouldBe("OK_POLL", reply.ToJsonString());
        reply["poll_id"]!.ToJsonString().Length.ShouldBe(18);
        reply["poll_interval"]!.GetValue<long>().ShouldBe(300);
        reply.ContainsKey("data").ShouldBeFalse();
        polled["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        polled["header"]!["type"]!.GetValue<string>().ShouldBe("RESULT_POLLING");
        (await device.ImportAckAsync(polled["data"]!["ack"]!.GetValue<string>(), Ct)).ReportStatuses.Values.ShouldAllBe(s => s == "ACKED");
    }

    [Fact]
    public async Task Realistic_timing_makes_the_ack_due_poll_interval_of_simulator_time_later_while_trust_stays_synchronous()
    {
        await using var sim = await TestSimulator.StartAsync();
        var set = await PostJsonAsync(sim, "/_sim/timing", """{"profile":"realistic"}""");
        var device = sim.Device("REAL0001");

        var trust = await device.EstablishTrustAsync(await TokenAsync(sim), ct: Ct);
        var (_, reply) = await PostAsync(sim, Message("USAGE_REPORTING", Reports(device), "REAL0001"));
        var (_, atOnce) = await PostAsync(sim, Poll(reply, "REAL0001"));
        await PostJsonAsync(sim, "/_sim/clock", """{"advance":"PT299S"}""");
        var (_, early) = await PostAsync(sim, Poll(reply, "REAL0001"));
        await PostJsonAsync(sim, "/_sim/clock", """{"advance":"PT1S"}""");
        var (_, due) = await PostAsync(sim, Poll(reply, "REAL0001"));

        set["profile"]!.GetValue<string>().ShouldBe("realistic");
        set["startup"]!.GetValue<string>().ShouldBe("fast");
        trust.Status.ShouldBe("COMPLETE");
        reply["status"]!.GetValue<string>().ShouldBe("OK_POLL");
        atOnce["status"]!.GetValue<string>().ShouldBe("OK_POLL");
        early["status"]!.GetValue<string>().ShouldBe("OK_POLL");
        due["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        due["data"]!["ack"].ShouldNotBeNull();
    }

    [Fact]
    public async Task The_timing_profile_is_read_back_refused_when_unknown_and_reset_returns_to_the_startup_one()
    {
        await using var sim = await TestSimulator.StartAsync(o => o.TimingProfile = Engine.Jobs.TimingProfile.Realistic);

        var startup = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/timing", Ct));
        var bad = await PostJsonAsync(sim, "/_sim/timing", """{"profile":"slow"}""", HttpStatusCode.BadRequest);
        var fast = await PostJsonAsync(sim, "/_sim/timing", """{"profile":"fast"}""");
        (await sim.Http.PostAsync("/_sim/reset", null, Ct)).EnsureSuccessStatusCode();
        var afterReset = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/timing", Ct));

        startup["profile"]!.GetValue<string>().ShouldBe("realistic");
        startup["transitions"]!.AsArray().First(t => t!["action"]!.GetValue<string>() == "acknowledgements")!["duration"]!.GetValue<string>().ShouldBe("PT5M");
        bad["errors"]!["profile"].ShouldNotBeNull();
        fast["profile"]!.GetValue<string>().ShouldBe("fast");
        fast["transitions"]!.AsArray().First(t => t!["action"]!.GetValue<string>() == "acknowledgements")!["progression"]!.GetValue<string>().ShouldBe("polls");
        afterReset["profile"]!.GetValue<string>().ShouldBe("realistic");
    }

    [Fact]
    public async Task Telemetry_reports_are_stored_and_acknowledged_but_never_counted_as_license_use()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await TrustedAsync(sim, "TEL0001");

        var sent = await device.SendTelemetryAsync([(NwStack, 42)], ct: Ct);
        var events = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/events?type=REPORT_RECEIVED", Ct));
        var inventory = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/accounts/example.com/virtual-accounts/DEFAULT/licenses", Ct));

        sent.FirstStatus.ShouldBe("OK_POLL");
        sent.Acknowledged.ShouldBeTrue(sent.Reply.ToJsonString());
        sent.Ack!.ReportStatuses[sent.ReportIds[0]].ShouldBe("ACKED");
        events["events"]!.AsArray().Count.ShouldBe(1, "the telemetry report was stored");
        inventory["licenses"]!.AsArray().First(l => l!["tag"]!.GetValue<string>() == NwStack)!["inUse"]!.GetValue<long>().ShouldBe(0);
    }

    [Fact]
    public async Task A_telemetry_message_with_an_entitlement_measurement_is_refused_whole()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await TrustedAsync(sim, "TEL0002");

        var (_, reply) = await PostAsync(sim, Message("TELEMETRY_REPORTING", Reports(device, 5), "TEL0002"));

        reply["status"]!.GetValue<string>().ShouldBe("FAILED");
        reply["error"]!["code"]!.GetValue<string>().ShouldBe("INVALID_MESSAGE");
        reply["error"]!["message"]!.GetValue<string>().ShouldContain("metric_name TELEMETRY");
    }
}
