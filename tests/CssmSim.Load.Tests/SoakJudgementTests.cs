namespace CssmSim.Load.Tests;

/// <summary>How a soak run is judged: errors fail it, and so does memory growing after warm-up beyond the bound.</summary>
public sealed class SoakJudgementTests
{
    private static readonly SoakOptions Options = new(TimeSpan.FromSeconds(100), Rate: 10, WarmUp: 0.2, RssGrowthBoundMb: 50);

    private static LoadResult Run(long errors, params double[] rssMb)
    {
        // One sample every 10 s; 10 ops/s over 100 s were offered and ran.
        var samples = rssMb.Select((mb, i) => new IntervalSample(TimeSpan.FromSeconds(10 * (i + 1)), 100, 0, errors, (long)(mb * 1048576))).ToList();
        var kinds = errors == 0 ? new Dictionary<string, long>() : new Dictionary<string, long> { ["HTTP 500"] = errors };
        return new LoadResult("soak", 4, 1000, errors, kinds, TimeSpan.FromSeconds(100), 1, 2, 3, 4, samples);
    }

    [Fact]
    public void A_run_without_errors_whose_memory_levels_off_passes()
    {
        var report = Soak.Judge(Run(0, 100, 150, 180, 181, 182, 181, 183, 182, 184, 183), Options);

        report.Passed.ShouldBeTrue(report.ToString());
        report.GrowthMb!.Value.ShouldBe(2, tolerance: 0.01);
    }

    [Fact]
    public void Any_error_fails_the_run()
    {
        var report = Soak.Judge(Run(3, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100), Options);

        report.Passed.ShouldBeFalse();
        report.Failures.ShouldContain(f => f.Contains("3 errors") && f.Contains("HTTP 500"));
    }

    [Fact]
    public void Memory_that_keeps_growing_after_warm_up_fails_the_run()
    {
        var report = Soak.Judge(Run(0, 100, 120, 140, 160, 180, 200, 220, 240, 260, 280), Options);

        report.Passed.ShouldBeFalse();
        report.Failures.ShouldContain(f => f.Contains("RSS grew"));
    }

    [Fact]
    public void A_server_that_falls_behind_the_offered_rate_fails_the_run()
    {
        var slow = Run(0, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100) with { Operations = 500 };

        var report = Soak.Judge(slow, Options);

        report.Failures.ShouldContain(f => f.Contains("fell behind"));
    }
}
