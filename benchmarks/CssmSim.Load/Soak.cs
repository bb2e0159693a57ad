using System.Globalization;

namespace CssmSim.Load;

/// <param name="Duration">How long the mixed load runs.</param>
/// <param name="Rate">Operations per second offered (steady, whatever the latency).</param>
/// <param name="Clients">Concurrent clients sharing that rate.</param>
/// <param name="SampleEvery">How often errors and RSS are sampled.</param>
/// <param name="WarmUp">Share of the run before memory is judged (JIT, pools, the journal ring filling).</param>
/// <param name="RssGrowthBoundMb">Most the RSS may grow from the first half after warm-up to the second.</param>
public sealed record SoakOptions(TimeSpan Duration, double Rate = 50, int Clients = 8, TimeSpan? SampleEvery = null, double WarmUp = 0.2,
    double RssGrowthBoundMb = 64);

/// <summary>A soak's outcome: the run, the memory figures it was judged on, and why it failed (empty when it passed).</summary>
public sealed record SoakReport(LoadResult Run, long? BaselineRssBytes, long? EndRssBytes, IReadOnlyList<string> Failures)
{
    public bool Passed => Failures.Count == 0;

    public double? GrowthMb => BaselineRssBytes is { } b && EndRssBytes is { } e ? (e - b) / 1048576.0 : null;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Run}\nRSS after warm-up (max of first half) {Rss.Mb(BaselineRssBytes)}, end (max of second half) {Rss.Mb(EndRssBytes)}, growth {GrowthMb:0.0} MB\n{(Passed ? "PASS" : "FAIL: " + string.Join("; ", Failures))}");
}

/// <summary>
/// Mixed load at a steady rate, as a lab keeps a simulator busy for days: new devices trusted
/// (10%), usage reports of 1 (50%) and 10 reports (10%), health checks (15%), token listings
/// (5%) and CSSM API account searches with OAuth (10%). Fails on any error, and when memory grows
/// after warm-up by more than the bound.
/// </summary>
public static class Soak
{
    public static async Task<SoakReport> RunAsync(Uri target, Func<long?> rss, SoakOptions options, Action<IntervalSample>? onSample = null,
        CancellationToken ct = default)
    {
        var w = new Workloads(target);
        var token = await w.CreateTokenAsync(ct);
        var bearer = await w.AccessTokenAsync(ct);
        var reporters = await w.TrustedDevicesAsync("SOAKR", options.Clients, ct);
        var clients = options.Clients;

        Task<OpResult> Op(int client, long k, CancellationToken c)
        {
            var i = k * clients + client;
            return (i % 20) switch
            {
                0 or 1 => w.TrustAsync(token, w.NewDevice("SOAKT", client, k), c),
                >= 2 and <= 11 => Workloads.ReportAsync(reporters[client], 1, c),
                12 or 13 => Workloads.ReportAsync(reporters[client], 10, c),
                >= 14 and <= 16 => w.GetAsync(Workloads.HealthPath, c),
                17 => w.GetAsync(Workloads.TokensPath, c),
                _ => w.GetAsync(Workloads.AccountsSearchPath, c, bearer),
            };
        }

        var run = await LoadRun.RunAsync("soak", clients, options.Duration, Op, options.Rate, options.SampleEvery ?? TimeSpan.FromSeconds(10), rss, onSample, ct);
        return Judge(run, options);
    }

    /// <summary>Any error fails; so does RSS growing more than the bound between the halves after warm-up.</summary>
    public static SoakReport Judge(LoadResult run, SoakOptions options)
    {
        var failures = new List<string>();
        if (run.Errors > 0)
            failures.Add($"{run.Errors} errors ({string.Join(", ", run.ErrorKinds.Select(k => $"{k.Key} ×{k.Value}"))})");
        var settled = run.Samples.Where(s => s.At >= options.Duration * options.WarmUp && s.RssBytes is not null).ToList();
        long? baseline = null, end = null;
        if (settled.Count >= 2)
        {
            var half = settled.Count / 2;
            baseline = settled.Take(half).Max(s => s.RssBytes);
            end = settled.Skip(half).Max(s => s.RssBytes);
            var growth = (end - baseline)!.Value / 1048576.0;
            if (growth > options.RssGrowthBoundMb)
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"RSS grew {growth:0.0} MB after warm-up (bound {options.RssGrowthBoundMb} MB)"));
        }
        else failures.Add("too few RSS samples after warm-up to judge memory");
        var offered = options.Rate * run.Elapsed.TotalSeconds;
        if (run.Operations < offered * 0.9)
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"only {run.Operations} of {offered:0} offered operations ran: the server fell behind the rate"));
        return new SoakReport(run, baseline, end, failures);
    }
}
