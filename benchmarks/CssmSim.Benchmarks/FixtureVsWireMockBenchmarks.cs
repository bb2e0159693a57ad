using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using CssmSim.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace CssmSim.Benchmarks;

/// <summary>
/// Issue 21: what a test pays for its own CssmSim against what it pays for a WireMock.Net server
/// (WireMock.Net.Minimal 2.31.0, the baseline): start on a random port, one stub (WireMock) or
/// none needed (CssmSim answers <c>/_sim/health</c> itself), one GET, stop. One cycle per
/// invocation, 30 measured iterations after warm-up; the Median column is the target's figure.
/// </summary>
[MemoryDiagnoser, MedianColumn, MinColumn, Q3Column]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 10, iterationCount: 30, invocationCount: 1)]
public class FixtureVsWireMockBenchmarks
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero });

    [Benchmark(Baseline = true, Description = "WireMockServer.Start(), one stub, GET, Stop")]
    public Task<int> WireMock() => WireMockCycleAsync();

    [Benchmark(Description = "CssmSimulator.StartAsync(), GET /_sim/health, DisposeAsync")]
    public Task<int> CssmSim() => CssmSimCycleAsync();

    internal static async Task<int> WireMockCycleAsync()
    {
        var server = WireMockServer.Start();
        try
        {
            server.Given(Request.Create().WithPath("/_sim/health").UsingGet())
                .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{"status":"ok"}"""));
            using var response = await Http.GetAsync(server.Url + "/_sim/health");
            response.EnsureSuccessStatusCode();
            return (int)response.StatusCode;
        }
        finally
        {
            server.Stop();
            server.Dispose();
        }
    }

    internal static async Task<int> CssmSimCycleAsync()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        using var response = await Http.GetAsync(new Uri(cssm.BaseAddress, "/_sim/health"));
        response.EnsureSuccessStatusCode();
        return (int)response.StatusCode;
    }
}

/// <summary>
/// The first start in a fresh process (issue 21: at most WireMock.Net's): each launch is a new
/// process that runs one cycle, cold (nothing of either library jitted yet).
/// </summary>
[MedianColumn, MinColumn, MaxColumn]
[SimpleJob(RunStrategy.ColdStart, launchCount: 10, warmupCount: 0, iterationCount: 1, invocationCount: 1)]
public class FixtureFirstStartBenchmarks
{
    [Benchmark(Baseline = true, Description = "first WireMockServer.Start(), one stub, GET, Stop in a process")]
    public Task<int> WireMock() => FixtureVsWireMockBenchmarks.WireMockCycleAsync();

    [Benchmark(Description = "first CssmSimulator.StartAsync(), GET /_sim/health, DisposeAsync in a process")]
    public Task<int> CssmSim() => FixtureVsWireMockBenchmarks.CssmSimCycleAsync();
}
