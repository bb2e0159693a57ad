using CssmSim.Engine.Jobs;
using CssmSim.Testing.Devices;

namespace CssmSim.Testing.Tests;

/// <summary>
/// The simulated product instance meets what real devices record (issue 18): it lists OK_TRY_AGAIN,
/// retries it with back-off on the virtual clock, counts it as a device does, polls for its ACKs
/// (after poll_interval under realistic timing) and sends telemetry.
/// </summary>
public sealed class DeviceProtocolTests
{
    private const string Reason = "Server error occurred: LS_LICENGINE_FAIL_TO_CONNECT";

    [Fact]
    public async Task A_device_retries_ok_try_again_after_a_back_off_on_the_virtual_clock_and_counts_the_failure()
    {
        await using var cssm = await CssmSimulator.StartAsync(o => o.Clock = VirtualClock.At(DateTimeOffset.Parse("2026-01-01Z")));
        var token = await cssm.Tokens.CreateAsync("DEFAULT", expiresAfterDays: 30, maxUses: 5);
        cssm.Faults.Add(Fault.On(Operation.TrustEstablishment).Nth(1).Error(CssmError.LicEngineFailToConnect));
        var device = cssm.NewProductInstance("C9800-CL-K9", "TRYBACK01");
        device.TryAgainRetries = 2;
        var before = cssm.Clock.Now;

        var result = await device.EstablishTrustAsync(token.Value);

        result.ShouldBeTrusted();
        device.Waits.ShouldBe([TimeSpan.FromSeconds(60)]);
        (cssm.Clock.Now - before).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(60));
        var stats = device.Statistics["TRUST_ESTABLISHMENT"];
        stats.ShouldBe(stats with { Total = 2, Success = 1, Fail = 1, OngoingOverall = 0, OngoingCommunication = 0, LastResponse = "COMPLETE", FailureReason = null });
        await token.ShouldHaveUsesAsync(1);
    }

    [Fact]
    public async Task Without_retries_the_device_records_ok_try_again_as_a_failure_but_not_a_communication_failure()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        var token = await cssm.Tokens.CreateAsync("DEFAULT", expiresAfterDays: 30, maxUses: 5);
        cssm.Faults.Add(Fault.On(Operation.TrustEstablishment).Error(CssmError.LicEngineFailToConnect));
        var current = cssm.NewProductInstance("C9800-CL-K9", "TRYSTAT01");
        var older = cssm.NewProductInstance("C9800-CL-K9", "TRYSTAT02");
        older.AgentCapabilities = ["UTILITY", "DLC", "AppHA", "MULTITIER", "EXPORT_2"];

        var seen = await current.EstablishTrustAsync(token.Value);
        var olderSeen = await older.EstablishTrustAsync(token.Value);

        current.AgentCapabilities.ShouldContain("OK_TRY_AGAIN");
        seen.Status.ShouldBe("OK_TRY_AGAIN");
        seen.ShouldFailWith(CssmError.LicEngineFailToConnect);
        olderSeen.Status.ShouldBe("FAILED");
        olderSeen.ShouldFailWith(CssmError.LicEngineFailToConnect);
        var stats = current.Statistics["TRUST_ESTABLISHMENT"];
        stats.ShouldBe(stats with { Total = 1, Success = 0, Fail = 1, OngoingOverall = 1, OngoingCommunication = 0, LastResponse = "OK_TRY_AGAIN", FailureReason = Reason });
        current.Waits.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_usage_report_is_answered_ok_poll_and_the_device_polls_once_for_its_ack()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        var token = await cssm.Tokens.CreateAsync("DEFAULT", expiresAfterDays: 30);
        var device = cssm.NewProductInstance("C9800-CL-K9", "ASYNCFIX1");
        (await device.EstablishTrustAsync(token.Value)).ShouldBeTrusted();
        var before = cssm.Clock.Now;

        var result = await device.ReportUsageAsync([("DNA_NWStack", 2)]);

        result.FirstStatus.ShouldBe("OK_POLL");
        result.PollId.ShouldNotBeNull();
        result.Polls.ShouldBe(1);
        result.ShouldBeAcknowledged();
        device.Waits.ShouldBeEmpty();
        (cssm.Clock.Now - before).ShouldBeLessThan(TimeSpan.FromSeconds(60), "the default timing needs no wait");
        device.Statistics["USAGE_REPORTING"].LastResponse.ShouldBe("OK_POLL");
        device.Statistics["RESULT_POLLING"].Success.ShouldBe(1);
    }

    [Fact]
    public async Task Under_realistic_timing_the_device_waits_poll_interval_on_the_virtual_clock_and_then_gets_the_ack()
    {
        await using var cssm = await CssmSimulator.StartAsync(o =>
        {
            o.Timing = TimingProfile.Realistic;
            o.Clock = VirtualClock.At(DateTimeOffset.Parse("2026-01-01Z"));
        });
        var token = await cssm.Tokens.CreateAsync("DEFAULT", expiresAfterDays: 30);
        var device = cssm.NewProductInstance("C9800-CL-K9", "REALFIX01");
        var trust = await device.EstablishTrustAsync(token.Value);
        var before = cssm.Clock.Now;

        var result = await device.ReportUsageAsync([("DNA_NWStack", 2)]);

        trust.Status.ShouldBe("COMPLETE", "trust stays synchronous");
        (await cssm.PollTransitions.TimingAsync()).ShouldBe(TimingProfile.Realistic);
        result.ShouldBeAcknowledged();
        result.Polls.ShouldBe(2);
        device.Waits.ShouldBe([TimeSpan.FromSeconds(300)]);
        (cssm.Clock.Now - before).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(300));
    }

    [Fact]
    public async Task A_device_that_does_not_wait_leaves_a_realistic_ack_pending_and_gets_it_by_polling_later()
    {
        await using var cssm = await CssmSimulator.StartAsync(o => o.Clock = VirtualClock.At(DateTimeOffset.Parse("2026-01-01Z")));
        await cssm.PollTransitions.SetTimingAsync(TimingProfile.Realistic);
        var token = await cssm.Tokens.CreateAsync("DEFAULT", expiresAfterDays: 30);
        var device = cssm.NewProductInstance("C9800-CL-K9", "REALFIX02");
        device.WaitAsync = (_, _) => Task.CompletedTask;
        (await device.EstablishTrustAsync(token.Value)).ShouldBeTrusted();

        var pending = await device.ReportUsageAsync([("DNA_NWStack", 1)]);
        cssm.Clock.Advance(TimeSpan.FromMinutes(5));
        var later = await device.AwaitAckAsync(pending);

        pending.Status.ShouldBe("OK_POLL");
        pending.Ack.ShouldBeNull();
        pending.Polls.ShouldBe(3);
        later.ShouldBeAcknowledged();
        later.Polls.ShouldBe(4, "three polls went unanswered before the clock reached the ACK's due time");
    }

    [Fact]
    public async Task A_device_sends_telemetry_that_is_acknowledged_and_not_counted_as_use()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        var token = await cssm.Tokens.CreateAsync("DEFAULT", expiresAfterDays: 30);
        var device = cssm.NewProductInstance("C9800-CL-K9", "TELEFIX01");
        (await device.EstablishTrustAsync(token.Value)).ShouldBeTrusted();

        var result = await device.SendTelemetryAsync([("DNA_NWStack", 7)]);
        var licenses = await cssm.Licenses.ListAsync();

        result.ShouldBeAcknowledged();
        device.Statistics["TELEMETRY_REPORTING"].Success.ShouldBe(1);
        licenses.Single(l => l.Tag.Contains("DNA_NWStack", StringComparison.Ordinal)).InUse.ShouldBe(0);
        cssm.Journal.Where(Operation.TelemetryReporting).Count().ShouldBe(1);
    }
}
