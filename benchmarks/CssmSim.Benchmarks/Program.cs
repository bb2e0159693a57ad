using BenchmarkDotNet.Running;
using CssmSim.Benchmarks;

// dotnet run -c Release --project benchmarks/CssmSim.Benchmarks -- --filter '*Fixture*'
// dotnet run -c Release --project benchmarks/CssmSim.Benchmarks -- phases [cycles]
if (args is ["phases", ..])
{
    await StartPhases.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 40);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(FixtureStartBenchmarks).Assembly).Run(args);
