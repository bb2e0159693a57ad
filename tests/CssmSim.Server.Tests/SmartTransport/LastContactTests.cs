using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;
using CssmSim.Testing.Devices;
using static CssmSim.Server.Tests.SoftwareApis.SoftwareApiClient;

namespace CssmSim.Server.Tests.SmartTransport;

/// <summary>
/// A product instance's last contact (Software APIs <c>last_contact_date</c>) after device messages: a
/// usage report and its poll record it in their own write transactions, and a message answered
/// FAILED is no contact.
/// </summary>
public sealed class LastContactTests
{
    private const string NwStack = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    private static readonly Dictionary<string, string> Fdm = new() { ["X-CSW-REQUESTING-SYSTEM"] = """{"display_name":"FDM_Client"}""" };
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string> ClockAsync(TestSimulator sim, string json)
    {
        using var r = await sim.Http.PostAsync("/_sim/clock", new StringContent(json, Encoding.UTF8, "application/json"), Ct);
        r.StatusCode.ShouldBe(HttpStatusCode.OK);
        return (await TestSimulator.ReadJsonAsync(r))["now"]!.GetValue<string>();
    }

    private static async Task AddFaultAsync(TestSimulator sim, string rule)
    {
        using var r = await sim.Http.PostAsync("/_sim/faults", new StringContent(rule, Encoding.UTF8, "application/json"), Ct);
        r.StatusCode.ShouldBe(HttpStatusCode.Created, await r.Content.ReadAsStringAsync(Ct));
    }

    private static async Task<string?> LastContactAsync(TestSimulator sim, SimulatedProductInstance device)
    {
        var (status, body) = await GetAsync(sim, $"/licensing/v2/device/search?udi_serial_number={device.Udi.Serial}&udi_pid={device.Udi.Pid}", headers: Fdm);
        status.ShouldBe(HttpStatusCode.OK, body.ToJsonString());
        return body["data"]!.AsArray().ShouldHaveSingleItem()!["last_contact_date"]?.GetValue<string>();
    }

    /// <summary>A trusted device on a frozen clock; returns it with the instant its trust was established.</summary>
    private static async Task<(SimulatedProductInstance Device, string TrustedAt)> TrustedOnFrozenClockAsync(TestSimulator sim, string serial)
    {
        var trustedAt = await ClockAsync(sim, """{"mode":"frozen"}""");
        var device = sim.Device(serial);
        var token = await sim.CreateTokenAsync();
        (await device.EstablishTrustAsync(token["token"]!.GetValue<string>(), ct: Ct)).Trusted.ShouldBeTrue();
        return (device, trustedAt);
    }

    private static long PollIdOf(UsageReportResult result) => result.PollId ?? throw new InvalidOperationException("the report was not answered OK_POLL: " + result.Reply.ToJsonString());

    [Fact]
    public async Task A_usage_report_and_the_poll_that_brings_its_ack_each_set_last_contact_to_their_own_time()
    {
        // Arrange
        await using var sim = await TestSimulator.StartAsync();
        var (device, _) = await TrustedOnFrozenClockAsync(sim, "LC-REPORT-1");
        var reportedAt = await ClockAsync(sim, """{"advance":"PT1M"}""");

        // Act
        var report = await device.ReportUsageAsync([(NwStack, 3)], pollForAck: false, ct: Ct);
        var afterReport = await LastContactAsync(sim, device);
        var polledAt = await ClockAsync(sim, """{"advance":"PT1M"}""");
        var poll = await device.PollAsync(PollIdOf(report), maxPolls: 1, Ct);
        var afterPoll = await LastContactAsync(sim, device);

        // Assert
        report.FirstStatus.ShouldBe("OK_POLL");
        afterReport.ShouldBe(reportedAt);
        poll["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        afterPoll.ShouldBe(polledAt);
    }

    [Fact]
    public async Task A_report_of_duplicates_only_still_counts_as_contact()
    {
        // Arrange: the same report sent again a minute later stores nothing new.
        await using var sim = await TestSimulator.StartAsync();
        var (device, _) = await TrustedOnFrozenClockAsync(sim, "LC-DUP-1");
        var (payload, signature, _) = device.BuildReports([(NwStack, 2)]).ShouldHaveSingleItem();
        await device.ResendAsync(payload, signature, Ct);
        var resentAt = await ClockAsync(sim, """{"advance":"PT1M"}""");

        // Act
        var again = await device.SendAsync("USAGE_REPORTING", new JsonObject
        {
            ["reports"] = new JsonArray(new JsonObject { ["payload"] = payload, ["signature"] = signature.DeepClone() }),
        }, Ct);

        // Assert
        again["status"]!.GetValue<string>().ShouldBe("OK_POLL");
        (await LastContactAsync(sim, device)).ShouldBe(resentAt);
    }

    [Fact]
    public async Task A_poll_answered_with_the_jobs_failure_leaves_last_contact_where_the_report_set_it()
    {
        // Arrange: the report's ACK job fails (a fault on USAGE_REPORTING); its poll answers FAILED.
        await using var sim = await TestSimulator.StartAsync();
        var (device, _) = await TrustedOnFrozenClockAsync(sim, "LC-FAIL-1");
        await AddFaultAsync(sim, """{"match":{"surface":"smart-transport","operation":"USAGE_REPORTING"},"effect":{"poll":{"failWith":"ACK_LOST"}}}""");
        var reportedAt = await ClockAsync(sim, """{"advance":"PT1M"}""");
        var report = await device.ReportUsageAsync([(NwStack, 1)], pollForAck: false, ct: Ct);
        await ClockAsync(sim, """{"advance":"PT1M"}""");

        // Act
        var poll = await device.PollAsync(PollIdOf(report), maxPolls: 1, Ct);

        // Assert
        poll["status"]!.GetValue<string>().ShouldBe("FAILED");
        poll["error"]!["code"]!.GetValue<string>().ShouldBe("ACK_LOST");
        (await LastContactAsync(sim, device)).ShouldBe(reportedAt);
    }

    [Fact]
    public async Task A_poll_a_never_complete_effect_answers_OK_POLL_counts_as_contact_even_for_a_failed_job()
    {
        // Arrange: a failed ACK job, and a rule on RESULT_POLLING that keeps every poll OK_POLL.
        await using var sim = await TestSimulator.StartAsync();
        var (device, _) = await TrustedOnFrozenClockAsync(sim, "LC-NEVER-1");
        await AddFaultAsync(sim, """{"match":{"surface":"smart-transport","operation":"USAGE_REPORTING"},"effect":{"poll":{"failWith":"ACK_LOST"}}}""");
        var report = await device.ReportUsageAsync([(NwStack, 1)], pollForAck: false, ct: Ct);
        await AddFaultAsync(sim, """{"match":{"surface":"smart-transport","operation":"RESULT_POLLING"},"effect":{"poll":{"neverComplete":true}}}""");
        var polledAt = await ClockAsync(sim, """{"advance":"PT1M"}""");

        // Act
        var poll = await device.PollAsync(PollIdOf(report), maxPolls: 1, Ct);

        // Assert
        poll["status"]!.GetValue<string>().ShouldBe("OK_POLL");
        (await LastContactAsync(sim, device)).ShouldBe(polledAt);
    }

    [Fact]
    public async Task A_poll_of_an_unknown_poll_id_is_no_contact()
    {
        // Arrange
        await using var sim = await TestSimulator.StartAsync();
        var (device, _) = await TrustedOnFrozenClockAsync(sim, "LC-UNKNOWN-1");
        var reportedAt = await ClockAsync(sim, """{"advance":"PT1M"}""");
        await device.ReportUsageAsync([(NwStack, 1)], ct: Ct);
        await ClockAsync(sim, """{"advance":"PT1M"}""");

        // Act
        var poll = await device.PollAsync(987_654_321, maxPolls: 1, Ct);

        // Assert: the report's own poll (same instant as the report) was the last contact.
        poll["status"]!.GetValue<string>().ShouldBe("FAILED");
        (await LastContactAsync(sim, device)).ShouldBe(reportedAt);
    }
}
