using BenchmarkDotNet.Attributes;
using CssmSim.Testing;

namespace CssmSim.Benchmarks;

/// <summary>
/// What a test pays for its own simulator (SPEC §1: under 150 ms warm, median, in-memory store,
/// HTTP): start on a random port, the first successful request, dispose. Each invocation is one
/// whole cycle, so the median is the warm cost a test sees after the first one in its process.
/// </summary>
[MemoryDiagnoser, MedianColumn, MinColumn, Q3Column]
public class FixtureStartBenchmarks
{
    [Benchmark(Description = "start, GET /_sim/health, dispose")]
    public async Task<int> StartFirstRequestDispose()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        using var http = cssm.CreateClient();
        using var response = await http.GetAsync("/_sim/health");
        response.EnsureSuccessStatusCode();
        return (int)response.StatusCode;
    }
}

/// <summary>What a test pays instead when it shares a fixture's simulator and resets it first.</summary>
[MemoryDiagnoser, MedianColumn]
public class FixtureResetBenchmarks
{
    private CssmSimulator _cssm = null!;

    [GlobalSetup]
    public void Start() => _cssm = CssmSimulator.StartAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Stop() => _cssm.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "create a token, reset")]
    public async Task TokenThenReset()
    {
        await _cssm.Tokens.CreateAsync();
        await _cssm.ResetAsync();
    }
}

/// <summary>Twenty simulators side by side in one process, as twenty parallel tests would start them.</summary>
[MemoryDiagnoser, MedianColumn]
public class FixtureParallelBenchmarks
{
    [Params(20)]
    public int Simulators { get; set; }

    [Benchmark(Description = "start N at once, GET /_sim/health on each, dispose all")]
    public async Task StartManyAtOnce()
    {
        var started = await Task.WhenAll(Enumerable.Range(0, Simulators).Select(_ => CssmSimulator.StartAsync()));
        await Task.WhenAll(started.Select(async cssm =>
        {
            using var http = cssm.CreateClient();
            using var response = await http.GetAsync("/_sim/health");
            response.EnsureSuccessStatusCode();
            await cssm.DisposeAsync();
        }));
    }
}
