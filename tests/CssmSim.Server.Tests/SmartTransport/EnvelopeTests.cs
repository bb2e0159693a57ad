using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.SmartTransport;

/// <summary>The two error layers of /licservice/license (smart-transport.md §Response).</summary>
public sealed class EnvelopeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(TestSimulator sim, string body, string contentType = "application/json")
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new(contentType);
        using var response = await sim.Http.PostAsync("/licservice/license", content, Ct);
        return (response.StatusCode, await TestSimulator.ReadJsonAsync(response));
    }

    [Theory]
    [InlineData("{not json", false)]
    [InlineData("[]", false)]
    [InlineData("""{"header":{"type":"HELLO","message_id":"m-1"},"sudi":{"udi_pid":"P","udi_serial_number":"S"}}""", true)]
    [InlineData("""{"header":{"message_id":"m-1"},"sudi":{"udi_pid":"P","udi_serial_number":"S"},"data":{}}""", true)]
    [InlineData("""{"header":{"type":"HELLO","message_id":"m-1"},"data":{}}""", true)]
    [InlineData("""{"header":{"type":"HELLO","message_id":"m-1"},"sudi":{"udi_pid":"P"},"data":{}}""", true)]
    [InlineData("""{"header":{"type":"HELLO","message_id":"m-1"},"sudi":{"udi_pid":"P\u0000","udi_serial_number":"S"},"data":{}}""", true)]
    public async Task An_envelope_that_does_not_parse_is_400_invalid_message_with_the_header_echoed_when_readable(string body, bool echoed)
    {
        await using var sim = await TestSimulator.StartAsync();

        var (status, json) = await PostAsync(sim, body);

        status.ShouldBe(HttpStatusCode.BadRequest);
        json.ShouldHaveExactKeys("header", "status", "error", "connect_info");
        json["status"]!.GetValue<string>().ShouldBe("FAILED");
        json["error"]!["code"]!.GetValue<string>().ShouldBe("INVALID_MESSAGE");
        if (echoed) json["header"]!["message_id"]!.GetValue<string>().ShouldBe("m-1");
        else json["header"].ShouldBeNull();
    }

    [Fact]
    public async Task A_wrong_content_type_is_415_and_an_oversized_body_413_in_the_same_shape()
    {
        await using var sim = await TestSimulator.StartAsync();

        var (wrongType, wrongBody) = await PostAsync(sim, "<xml/>", "application/xml");
        var (tooBig, tooBigBody) = await PostAsync(sim, "{\"pad\":\"" + new string('x', 17 * 1024 * 1024) + "\"}");

        wrongType.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        wrongBody["error"]!["code"]!.GetValue<string>().ShouldBe("INVALID_MESSAGE");
        tooBig.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        tooBigBody["error"]!["code"]!.GetValue<string>().ShouldBe("INVALID_MESSAGE");
    }

    [Fact]
    public async Task An_unknown_message_type_is_200_failed_invalid_message()
    {
        await using var sim = await TestSimulator.StartAsync();

        var reply = await sim.Device("TYPE-1").SendAsync("TELEPORT", new JsonObject(), Ct);

        reply["status"]!.GetValue<string>().ShouldBe("FAILED");
        reply["error"]!["code"]!.GetValue<string>().ShouldBe("INVALID_MESSAGE");
    }

    [Theory]
    [InlineData("""{"scope":"everything","id_token":"x"}""", "INVALID_MESSAGE")]
    [InlineData("""{"id_token":""}""", "TOKEN_NOT_FOUND")]
    [InlineData("""{"id_token":"x","ha_udis":"nope"}""", "INVALID_MESSAGE")]
    public async Task Bad_trust_data_is_a_business_failure(string data, string code)
    {
        await using var sim = await TestSimulator.StartAsync();

        var reply = await sim.Device("DATA-1").SendAsync("TRUST_ESTABLISHMENT", JsonNode.Parse(data)!.AsObject(), Ct);

        reply["status"]!.GetValue<string>().ShouldBe("FAILED");
        reply["error"]!["code"]!.GetValue<string>().ShouldBe(code);
    }

    [Fact]
    public async Task With_a_clock_skew_limit_a_message_from_the_wrong_time_fails_clock_skew()
    {
        await using var sim = await TestSimulator.StartAsync(o => o.SmartTransportMaxClockSkewSeconds = 60);
        await sim.Http.PostAsync("/_sim/clock", new StringContent("""{"advance":"P1D"}""", Encoding.UTF8, "application/json"), Ct);

        var reply = await sim.Device("SKEW-1").SendAsync("HELLO", new JsonObject(), Ct);

        reply["error"]!["code"]!.GetValue<string>().ShouldBe("CLOCK_SKEW");
    }

    [Fact]
    public async Task Smart_transport_requests_are_journaled_with_type_and_udi_and_need_no_bearer()
    {
        await using var sim = await TestSimulator.StartAsync();

        await sim.Device("JOURNAL-1").SendAsync("HELLO", new JsonObject(), Ct);
        var journal = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/journal?surface=smart-transport", Ct));

        var entry = journal["entries"]!.AsArray().ShouldHaveSingleItem()!;
        entry["operation"]!.GetValue<string>().ShouldBe("HELLO");
        entry["udi"]!.GetValue<string>().ShouldBe("PID:C9800-CL-K9,SN:JOURNAL-1");
        entry["outcome"]!.GetValue<string>().ShouldBe("COMPLETE");
    }

    [Fact]
    public async Task A_fault_rule_on_a_udi_drops_only_that_device()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.Http.PostAsync("/_sim/faults", new StringContent("""{"match":{"surface":"smart-transport","udi":"C9800-CL-K9:BROKEN"},"effect":{"status":503}}""", Encoding.UTF8, "application/json"), Ct);
        var content = new StringContent("""{"header":{"type":"HELLO"},"sudi":{"udi_pid":"C9800-CL-K9","udi_serial_number":"BROKEN"},"data":{}}""", Encoding.UTF8, "application/json");

        using var broken = await sim.Http.PostAsync("/licservice/license", content, Ct);
        var fine = await sim.Device("FINE").SendAsync("HELLO", new JsonObject(), Ct);

        broken.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        fine["status"]!.GetValue<string>().ShouldBe("COMPLETE");
    }
}
