using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.Usage;

/// <summary>v2/devices/reportusage and v2/accounts/poll (cssm-api.md §SLP device APIs).</summary>
public sealed class SlpReportUsageTests
{
    private const string ReportUsage = TestSimulator.ApiPrefix + "/v2/devices/reportusage";
    private const string Poll = TestSimulator.ApiPrefix + "/v2/accounts/poll";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<HttpResponseMessage> PostAsync(TestSimulator sim, string path, JsonObject body, bool headers = true, string va = "234567")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await sim.TokenAsync());
        if (headers)
        {
            request.Headers.Add("X-CSW-SMART-ACCOUNT-ID", "123456");
            request.Headers.Add("X-CSW-VIRTUAL-ACCOUNT-ID", va);
            request.Headers.Add("X-CSW-REQUESTING-SYSTEM", """{ "udi_pid" : "CSLU", "udi_serial_number" : "1" }""");
        }
        return await sim.Http.SendAsync(request, Ct);
    }

    private static JsonObject Usage(TestSimulator sim, string serial, long count = 2)
    {
        var (payload, signature, _) = sim.Device(serial).BuildReports([(UsageReportingTests.NwStack, count)])[0];
        return new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["timestamp"] = 1700000000000,
                ["nonce"] = "fixed-nonce-123",
                ["reports"] = new JsonArray(new JsonObject
                {
                    ["sudi"] = new JsonObject { ["udi_pid"] = "C9800-CL-K9", ["udi_serial_number"] = serial },
                    ["usage"] = new JsonArray(new JsonObject { ["payload"] = payload, ["signature"] = signature }),
                }),
            },
        };
    }

    [Fact]
    public async Task Reportusage_answers_202_compact_ok_poll_and_the_poll_delivers_the_ack()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var submitted = await PostAsync(sim, ReportUsage, Usage(sim, "SLP-1"));
        var raw = await submitted.Content.ReadAsStringAsync(Ct);
        var body = JsonNode.Parse(raw)!.AsObject();
        using var polled = await PostAsync(sim, Poll, new JsonObject
        {
            ["data"] = new JsonObject { ["poll_id"] = body["poll_id"]!.GetValue<long>().ToString(), ["action"] = "acknowledgements", ["nonce"] = "n2" },
        });
        var done = await TestSimulator.ReadJsonAsync(polled);

        submitted.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        raw.ShouldNotContain(" ");
        raw.ShouldNotContain("\n");
        body.ShouldHaveExactKeys("status", "message_code", "message", "timestamp", "nonce", "type", "poll_id", "poll_interval", "action");
        body["status"]!.GetValue<string>().ShouldBe("OK_POLL");
        body["message_code"].Kind().ShouldBe(JsonValueKind.Null);
        body["nonce"]!.GetValue<string>().ShouldBe("fixed-nonce-123");
        body["poll_id"]!.GetValue<long>().ToString().Length.ShouldBe(18);
        body["poll_interval"]!.GetValue<long>().ShouldBe(300);
        body["action"]!.GetValue<string>().ShouldBe("acknowledgements");
        polled.StatusCode.ShouldBe(HttpStatusCode.OK);
        done["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        done["message_code"]!.GetValue<string>().ShouldBe("");
        done["type"]!.GetValue<string>().ShouldBe("acknowledgements");
        done["correlation_id"].ShouldNotBeNull();
        var ack = done["data"]!["acknowledgements"]![0]!;
        ack.AsObject().ShouldHaveExactKeys("sudi", "software_tag_identifier", "smart_license");
        var file = Encoding.UTF8.GetString(Convert.FromBase64String(ack["smart_license"]!.GetValue<string>()));
        var cert = await sim.Http.GetStringAsync("/_sim/certs/signing.pem", Ct);
        Engine.Signing.SignedArtefact.Read(file, "smartLicenseRumAck").VerifyWith(cert).ShouldBeTrue();
    }

    [Fact]
    public async Task A_report_sent_twice_answers_failed_duplicate_report_and_counts_once()
    {
        await using var sim = await TestSimulator.StartAsync();
        var usage = Usage(sim, "SLP-DUP");

        using var first = await PostAsync(sim, ReportUsage, usage);
        using var second = await PostAsync(sim, ReportUsage, usage);
        var body = await TestSimulator.ReadJsonAsync(second);
        var events = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/events?type=REPORT_RECEIVED", Ct));

        first.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        second.StatusCode.ShouldBe(HttpStatusCode.OK);
        body["status"]!.GetValue<string>().ShouldBe("FAILED");
        body["message"]!.GetValue<string>().ShouldStartWith("Duplicate report: PID:C9800-CL-K9,SN:SLP-DUP ");
        events["events"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task An_unknown_device_is_registered_in_the_header_virtual_account_without_trust()
    {
        await using var sim = await TestSimulator.StartAsync();

        await PostAsync(sim, ReportUsage, Usage(sim, "SLP-NEW"), va: "234568");
        var lab = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/accounts/example.com/virtual-accounts/Lab/product-instances", Ct));

        var pi = lab["productInstances"]!.AsArray().ShouldHaveSingleItem()!;
        pi["udi_serial_number"]!.GetValue<string>().ShouldBe("SLP-NEW");
        pi["trustCodeId"].ShouldBeNull();
    }

    [Fact]
    public async Task The_real_c9800_report_is_accepted_byte_for_byte()
    {
        await using var sim = await TestSimulator.StartAsync();
        var sample = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "TestData", "rum-report-c9800cl.xml"), Ct);
        var envelope = JsonNode.Parse(sample[(sample.IndexOf("<![CDATA[", StringComparison.Ordinal) + 9)..sample.IndexOf("]]>", StringComparison.Ordinal)])!;
        var sudi = envelope["signature"]!["sudi"]!.DeepClone();

        using var response = await PostAsync(sim, ReportUsage, new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["nonce"] = "n",
                ["reports"] = new JsonArray(new JsonObject { ["sudi"] = sudi, ["usage"] = new JsonArray(envelope.DeepClone()) }),
            },
        });
        var snapshot = await sim.Http.GetStringAsync("/_sim/snapshot", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync(Ct));
        snapshot.ShouldContain(JsonValue.Create(envelope["payload"]!.GetValue<string>()).ToJsonString(Api.Json)[1..^1]);
    }

    [Theory]
    [InlineData("""{"data":{"reports":[{"sudi":{"udi_pid":"P","udi_serial_number":"S"},"usage":[{"payload":"{\"not\":\"rum\"}"}]}]}}""", "INVALID", HttpStatusCode.OK)]
    [InlineData("""{"data":{}}""", "reports", HttpStatusCode.BadRequest)]
    [InlineData("""{"nodata":{}}""", "data", HttpStatusCode.BadRequest)]
    public async Task Bad_requests_get_the_slp_failed_shape(string body, string hint, HttpStatusCode status)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await PostAsync(sim, ReportUsage, JsonNode.Parse(body)!.AsObject());
        var json = await TestSimulator.ReadJsonAsync(response);

        response.StatusCode.ShouldBe(status);
        json.ShouldHaveExactKeys("status", "message");
        json["status"]!.GetValue<string>().ShouldBe("FAILED");
        hint.ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task Missing_account_headers_are_an_http_layer_400()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await PostAsync(sim, ReportUsage, Usage(sim, "SLP-HDR"), headers: false);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await TestSimulator.ReadJsonAsync(response))["status"]!.GetValue<string>().ShouldBe("FAILED");
    }

    [Fact]
    public async Task Polling_an_unknown_id_or_the_wrong_action_answers_ok_poll_with_a_message_code()
    {
        await using var sim = await TestSimulator.StartAsync();
        var submitted = await TestSimulator.ReadJsonAsync(await PostAsync(sim, ReportUsage, Usage(sim, "SLP-POLL")));

        var unknown = await TestSimulator.ReadJsonAsync(await PostAsync(sim, Poll, new JsonObject { ["data"] = new JsonObject { ["poll_id"] = 123456789012345678, ["action"] = "acknowledgements" } }));
        var wrong = await TestSimulator.ReadJsonAsync(await PostAsync(sim, Poll, new JsonObject { ["data"] = new JsonObject { ["poll_id"] = submitted["poll_id"]!.DeepClone(), ["action"] = "authorizations" } }));

        unknown["status"]!.GetValue<string>().ShouldBe("OK_POLL");
        unknown["message_code"]!.GetValue<string>().ShouldBe("POLL_ID_NOT_FOUND");
        unknown["message"]!.GetValue<string>().ShouldNotBeEmpty();
        wrong["status"]!.GetValue<string>().ShouldBe("OK_POLL");
        wrong["message_code"]!.GetValue<string>().ShouldNotBeEmpty();
    }

    [Fact]
    public async Task A_poll_fault_that_fails_shows_as_ok_poll_with_its_code()
    {
        await using var sim = await TestSimulator.StartAsync();
        var submitted = await TestSimulator.ReadJsonAsync(await PostAsync(sim, ReportUsage, Usage(sim, "SLP-PF")));
        await sim.Http.PostAsync("/_sim/faults", new StringContent("""{"match":{"surface":"slp","operation":"poll"},"effect":{"poll":{"failWith":"ACK_LOST"}}}""", Encoding.UTF8, "application/json"), Ct);

        var polled = await TestSimulator.ReadJsonAsync(await PostAsync(sim, Poll, new JsonObject { ["data"] = new JsonObject { ["poll_id"] = submitted["poll_id"]!.DeepClone(), ["action"] = "acknowledgements" } }));

        polled["status"]!.GetValue<string>().ShouldBe("OK_POLL");
        polled["message_code"]!.GetValue<string>().ShouldBe("ACK_LOST");
    }

    private static class Api
    {
        public static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    }
}
