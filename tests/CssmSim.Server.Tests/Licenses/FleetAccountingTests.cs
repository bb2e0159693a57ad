using CssmSim.Server.Tests.Support;
using CssmSim.Testing.Devices;
using static CssmSim.Server.Tests.Licenses.LicensesClient;

namespace CssmSim.Server.Tests.Licenses;

/// <summary>
/// Acceptance (issue 5): "Licenses API in-use counts match the reports sent in a test fleet of 100
/// product instances." In-use per tag is the sum of each product instance's latest measurement.
/// </summary>
public sealed class FleetAccountingTests
{
    private const int FleetSize = 100;
    private const int Batch = 20;

    private static async Task<IReadOnlyList<SimulatedProductInstance>> TrustFleetAsync(TestSimulator sim)
    {
        // An unlimited token: the max-uses bottleneck rule only counts limited ones; disabled too, so
        // the batches below can never meet it whatever token the helper creates.
        await sim.PatchFaultAsync("token-max-uses-bottleneck", """{"enabled":false}""");
        var token = (await sim.CreateTokenAsync())["token"]!.GetValue<string>();
        var fleet = Enumerable.Range(0, FleetSize).Select(i => sim.Device($"FLEET{i:D3}")).ToList();
        foreach (var batch in fleet.Chunk(Batch))
        {
            var results = await Task.WhenAll(batch.Select(d => d.EstablishTrustAsync(token)));
            results.ShouldAllBe(r => r.Trusted);
        }
        return fleet;
    }

    private static async Task ReportAllAsync(IEnumerable<(SimulatedProductInstance Device, (string Tag, long Count)[] Usage)> reports, DateTimeOffset at)
    {
        foreach (var batch in reports.Chunk(Batch))
            await Task.WhenAll(batch.Select(r => r.Device.ReportAsync(at, r.Usage)));
    }

    private static async Task<(long InUse, long Available, string Status)> V1Async(TestSimulator sim, string displayName)
    {
        var row = await sim.RowAsync(displayName);
        return (row["inUse"]!.GetValue<long>(), row["available"]!.GetValue<long>(), row["status"]!.GetValue<string>());
    }

    private static async Task<(long InUse, string Status)> SummaryAsync(TestSimulator sim, string tag)
    {
        var entry = (await sim.SummaryAsync($"""["{tag}"]"""))["summary"]!.AsArray().Single()!;
        return (entry["inuse"]!.GetValue<long>(), entry["compliance_status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Licenses_api_in_use_counts_match_the_reports_sent_by_a_fleet_of_100_product_instances()
    {
        await using var sim = await TestSimulator.StartAsync();
        var fleet = await TrustFleetAsync(sim);
        var t0 = DateTimeOffset.UtcNow.AddHours(-2);

        // Device i: i % 5 of DNA_NWStack (Σ = 200 against 100 purchased: over-use), i % 2 of AIR-DNA-A (Σ = 50).
        await ReportAllAsync(fleet.Select((d, i) => (d, new[] { (NwStack, (long)(i % 5)), (AirDna, (long)(i % 2)) })), t0);
        var nwSum = Enumerable.Range(0, FleetSize).Sum(i => (long)(i % 5));
        var airSum = Enumerable.Range(0, FleetSize).Sum(i => (long)(i % 2));

        (await V1Async(sim, NwStackName)).ShouldBe((nwSum, 100 - nwSum, "Out of Compliance"));
        (await V1Async(sim, AirDnaName)).ShouldBe((airSum, 100 - airSum, "In Compliance"));
        (await SummaryAsync(sim, NwStack)).ShouldBe((nwSum, "Out of Compliance"));
        (await SummaryAsync(sim, AirDna)).ShouldBe((airSum, "In Compliance"));
        (await V1Async(sim, HsecName)).ShouldBe((0L, 10L, "In Compliance"), "nothing reported it");

        // A later report replaces a device's earlier count: the first half now uses no DNA_NWStack.
        await ReportAllAsync(fleet.Take(FleetSize / 2).Select(d => (d, new[] { (NwStack, 0L) })), t0.AddHours(1));
        var nwLatest = Enumerable.Range(FleetSize / 2, FleetSize / 2).Sum(i => (long)(i % 5));

        (await V1Async(sim, NwStackName)).ShouldBe((nwLatest, 100 - nwLatest, nwLatest <= 100 ? "In Compliance" : "Out of Compliance"));
        (await SummaryAsync(sim, NwStack)).InUse.ShouldBe(nwLatest);
        (await V1Async(sim, AirDnaName)).InUse.ShouldBe(airSum, "reports of other tags leave AIR-DNA-A as it was");
    }

    [Fact]
    public async Task The_latest_measurement_wins_even_when_an_older_report_arrives_later()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await sim.TrustedDeviceAsync("LATE-1");
        var t0 = DateTimeOffset.UtcNow.AddHours(-3);

        await device.ReportAsync(t0.AddHours(2), (NwStack, 8));
        await device.ReportAsync(t0, (NwStack, 40));

        (await V1Async(sim, NwStackName)).InUse.ShouldBe(8);
    }

    [Fact]
    public async Task A_device_reporting_again_is_counted_once_and_over_use_makes_available_negative()
    {
        await using var sim = await TestSimulator.StartAsync();
        var a = await sim.TrustedDeviceAsync("OVER-A");
        var b = await sim.TrustedDeviceAsync("OVER-B");
        var t0 = DateTimeOffset.UtcNow.AddHours(-3);

        await a.ReportAsync(t0, (NwStack, 60));
        await b.ReportAsync(t0, (NwStack, 30));
        await a.ReportAsync(t0.AddHours(1), (NwStack, 80));

        (await V1Async(sim, NwStackName)).ShouldBe((110L, -10L, "Out of Compliance"));
        (await SummaryAsync(sim, NwStack)).ShouldBe((110L, "Out of Compliance"));
    }
}
