using BenchmarkDotNet.Running;
using CssmSim.Benchmarks;

// dotnet run -c Release --project benchmarks/CssmSim.Benchmarks -- --filter '*Fixture*'
// dotnet run -c Release --project benchmarks/CssmSim.Benchmarks -- phases [cycles] [--portal]
if (args is ["phases", ..])
{
    var portal = args.Contains("--portal");
    var numbers = args.Skip(1).Where(a => a != "--portal").ToArray();
    await StartPhases.RunAsync(numbers.Length > 0 ? int.Parse(numbers[0], System.Globalization.CultureInfo.InvariantCulture) : 40, portal);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(FixtureStartBenchmarks).Assembly).Run(args);
