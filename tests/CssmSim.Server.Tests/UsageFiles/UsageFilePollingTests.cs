using System.Diagnostics;
using System.Net;
using CssmSim.Server.Tests.Support;
using CssmSim.Testing.Devices;
using static CssmSim.Server.Tests.UsageFiles.UsageFileKit;

namespace CssmSim.Server.Tests.UsageFiles;

/// <summary>
/// <c>Data Being Processed</c> → final, driven by the <c>usage-files</c> poll transition (for an
/// upload, a poll is a GET of its status), and <c>?waitUntilFinal=S</c>.
/// </summary>
public sealed class UsageFilePollingTests
{
    private static async Task<string> UploadAsync(TestSimulator sim, string serial, string expectedStatus)
    {
        var body = await sim.UploadRawAsync(sim.Device(serial).SaveUsage([(NwStack, 2)]).Content, serial + ".txt", "example.com", "DEFAULT").AcceptedAsync();
        body["status"]!.GetValue<string>().ShouldBe(expectedStatus);
        return body["id"]!.GetValue<string>();
    }

    [Fact]
    public async Task With_the_default_immediate_transition_the_upload_is_final_when_the_post_returns()
    {
        await using var sim = await TestSimulator.StartAsync();

        var id = await UploadAsync(sim, "IMMEDIATE-1", "No Errors");

        (await sim.DownloadAckAsync(id)).FileName.ShouldBe("ACK_IMMEDIATE-1.txt");
        (await sim.StatusAsync(id))["status"]!.GetValue<string>().ShouldBe("No Errors");
    }

    [Fact]
    public async Task With_polls_2_the_first_two_gets_show_processing_and_the_ack_is_409_then_200()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.PostJsonAsync("/_sim/poll-transitions", """{"action":"usage-files","progression":"polls","times":2}""");

        var id = await UploadAsync(sim, "POLLS-1", "Data Being Processed");

        using (var early = await sim.AckAsync(id)) await early.ShouldBeProblemAsync(HttpStatusCode.Conflict, "DATA_BEING_PROCESSED");
        for (var i = 0; i < 2; i++)
        {
            var processing = await sim.StatusAsync(id);
            processing["status"]!.GetValue<string>().ShouldBe("Data Being Processed");
            processing["productInstances"]!.GetValue<int>().ShouldBe(0);
            processing["errors"]!.AsArray().ShouldBeEmpty();
            processing.ContainsKey("timedOut").ShouldBeFalse();
        }
        // Downloads and listings are not polls.
        using (var still = await sim.AckAsync(id)) await still.ShouldBeProblemAsync(HttpStatusCode.Conflict, "DATA_BEING_PROCESSED");
        (await sim.ListAsync()).ShouldHaveSingleItem()!["status"]!.GetValue<string>().ShouldBe("Data Being Processed");

        var final = await sim.StatusAsync(id);
        final["status"]!.GetValue<string>().ShouldBe("No Errors");
        final["productInstances"]!.GetValue<int>().ShouldBe(1);
        final["reports"]!.GetValue<int>().ShouldBe(1);
        (await sim.DownloadAckAsync(id)).FileName.ShouldBe("ACK_POLLS-1.txt");
        (await sim.StatusAsync(id))["status"]!.GetValue<string>().ShouldBe("No Errors");
    }

    [Fact]
    public async Task WaitUntilFinal_answers_timed_out_when_the_status_stays_processing()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.PostJsonAsync("/_sim/poll-transitions", """{"action":"usage-files","progression":"polls","times":5}""");
        var id = await UploadAsync(sim, "WAIT-OUT", "Data Being Processed");

        var started = Stopwatch.GetTimestamp();
        var status = await sim.StatusAsync(id, "0.3");

        Stopwatch.GetElapsedTime(started).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250));
        status["status"]!.GetValue<string>().ShouldBe("Data Being Processed");
        status["timedOut"]!.GetValue<bool>().ShouldBeTrue();
    }

    [Fact]
    public async Task WaitUntilFinal_returns_as_soon_as_virtual_time_makes_a_time_transition_due()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.PostJsonAsync("/_sim/clock", """{"mode":"frozen"}""");
        await sim.PostJsonAsync("/_sim/poll-transitions", """{"action":"usage-files","progression":"time","duration":"PT1H"}""");
        var id = await UploadAsync(sim, "WAIT-TIME", "Data Being Processed");

        var waiting = sim.StatusAsync(id, "30");
        await Task.Delay(200, Ct);
        waiting.IsCompleted.ShouldBeFalse();
        await sim.PostJsonAsync("/_sim/clock", """{"advance":"PT2H"}""");
        var status = await waiting.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        status["status"]!.GetValue<string>().ShouldBe("No Errors");
        status.ContainsKey("timedOut").ShouldBeFalse();
        (await sim.DownloadAckAsync(id)).Content.ShouldNotBeEmpty();
    }

    [Fact]
    public async Task WaitUntilFinal_must_be_a_number_of_seconds()
    {
        await using var sim = await TestSimulator.StartAsync();
        var id = await UploadAsync(sim, "WAIT-BAD", "No Errors");

        using var r = await sim.Http.GetAsync($"/_sim/usage-files/{id}?waitUntilFinal=soon", Ct);

        r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        r.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task A_never_completing_poll_fault_keeps_the_upload_processing()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.PostJsonAsync("/_sim/faults", """{"match":{"surface":"usage-files","operation":"upload"},"effect":{"poll":{"neverComplete":true}}}""");
        var id = await UploadAsync(sim, "NEVER-1", "Data Being Processed");

        for (var i = 0; i < 3; i++) (await sim.StatusAsync(id))["status"]!.GetValue<string>().ShouldBe("Data Being Processed");
        using var ack = await sim.AckAsync(id);
        await ack.ShouldBeProblemAsync(HttpStatusCode.Conflict, "DATA_BEING_PROCESSED");
    }

    [Fact]
    public async Task A_failing_poll_fault_ends_the_upload_in_errors_with_its_message_and_no_ack()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.PostJsonAsync("/_sim/poll-transitions", """{"action":"usage-files","progression":"polls","times":1}""");
        await sim.PostJsonAsync("/_sim/faults", """{"match":{"surface":"usage-files","operation":"upload"},"effect":{"poll":{"failWith":"PROCESSING_FAILED"}}}""");
        var id = await UploadAsync(sim, "FAILWITH-1", "Data Being Processed");

        (await sim.StatusAsync(id))["status"]!.GetValue<string>().ShouldBe("Data Being Processed");
        var final = await sim.StatusAsync(id);

        final["status"]!.GetValue<string>().ShouldBe("Errors");
        final["errors"]!.AsArray().ShouldHaveSingleItem()!["message"]!.GetValue<string>().ShouldContain("PROCESSING_FAILED");
        using var ack = await sim.AckAsync(id);
        await ack.ShouldBeProblemAsync(HttpStatusCode.NotFound, "NO_ACK");
    }
}
