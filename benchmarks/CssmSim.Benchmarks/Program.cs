using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using CssmSim.Benchmarks;

// dotnet run -c Release --project benchmarks/CssmSim.Benchmarks -- --filter '*Fixture*'
// dotnet run -c Release --project benchmarks/CssmSim.Benchmarks -- --filter '*WireMock*' '*FirstStart*'
// dotnet run -c Release --project benchmarks/CssmSim.Benchmarks -- phases [cycles] [--portal]
// dotnet run -c Release --project benchmarks/CssmSim.Benchmarks -- alternate [cycles]
if (args is ["phases", ..])
{
    var portal = args.Contains("--portal");
    var numbers = args.Skip(1).Where(a => a != "--portal").ToArray();
    await StartPhases.RunAsync(numbers.Length > 0 ? int.Parse(numbers[0], CultureInfo.InvariantCulture) : 40, portal);
    return;
}
if (args is ["alternate", ..])
{
    // The issue's own method: one process, WireMock and CssmSim cycles alternating, so both see the
    // same machine; the first cycle of each is the fresh-process figure, the median the warm one.
    var cycles = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30;
    var wire = new List<double>();
    var sim = new List<double>();
    for (var i = 0; i <= cycles + 5; i++)
    {
        var clock = Stopwatch.StartNew();
        await FixtureVsWireMockBenchmarks.WireMockCycleAsync();
        wire.Add(clock.Elapsed.TotalMilliseconds);
        clock.Restart();
        await FixtureVsWireMockBenchmarks.CssmSimCycleAsync();
        sim.Add(clock.Elapsed.TotalMilliseconds);
    }
    static double Median(IEnumerable<double> xs) { var s = xs.Order().ToList(); return s[s.Count / 2]; }
    var (w, c) = (Median(wire.Skip(6)), Median(sim.Skip(6)));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"first cycle in this process: WireMock {wire[0]:0.0} ms (then CssmSim {sim[0]:0.0} ms, after WireMock's start warmed the shared ASP.NET Core code)"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"warm median of {cycles} alternating cycles after 5: WireMock {w:0.00} ms, CssmSim {c:0.00} ms = {c / w:0.00}x (target <= 1.0x)"));
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(FixtureStartBenchmarks).Assembly).Run(args);
