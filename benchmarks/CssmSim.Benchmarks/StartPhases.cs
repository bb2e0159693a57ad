using System.Diagnostics;
using System.Globalization;
using CssmSim.Engine.Signing;
using CssmSim.Engine.Storage;
using CssmSim.Server.Hosting;

namespace CssmSim.Benchmarks;

/// <summary>
/// Where a simulator's start-up time goes, phase by phase, through the same public entry points the
/// fixture uses (<see cref="SimulatorApp.CreateAsync"/>, whose configure hook runs just before
/// <c>builder.Build()</c>). Stopwatch medians over many cycles after a warm-up, not a BenchmarkDotNet run.
/// </summary>
internal static class StartPhases
{
    private static readonly string[] Phases =
        ["engine + builder (to configure hook)", "build + map endpoints", "Kestrel start", "first request", "second request", "dispose", "total"];

    public static async Task RunAsync(int cycles, bool portal = false)
    {
        var samples = Phases.ToDictionary(p => p, _ => new List<double>());
        for (var i = -5; i < cycles; i++)
        {
            var times = await OneCycleAsync(portal);
            if (i < 0) continue; // warm-up: JIT and first-use caches
            for (var p = 0; p < Phases.Length; p++) samples[Phases[p]].Add(times[p]);
        }
        Console.WriteLine($"{cycles} cycles after 5 warm-up cycles, portal {(portal ? "on" : "off")}; milliseconds");
        Console.WriteLine($"{"phase",-40} {"median",8} {"p90",8}");
        foreach (var phase in Phases)
        {
            var sorted = samples[phase].Order().ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{phase,-40} {sorted[sorted.Count / 2],8:F1} {sorted[(int)(sorted.Count * 0.9)],8:F1}"));
        }
    }

    private static async Task<double[]> OneCycleAsync(bool portal)
    {
        var start = Stopwatch.GetTimestamp();
        double Ms() => Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var hook = 0.0;
        // What CssmSimulator.StartAsync passes by default (the embedded keys, never a certs folder; the portal only when asked).
        var options = new SimulatorOptions
        {
            Urls = ["http://127.0.0.1:0"], Store = StoreLocation.Memory, Certificates = CertificateBundle.LoadEmbedded(),
            MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.None, Portal = portal,
        };
        var server = await SimulatorApp.CreateAsync(options, _ => hook = Ms());
        var created = Ms();
        await server.StartAsync();
        var started = Ms();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = server.BaseAddress };
        (await http.GetAsync("/_sim/health")).EnsureSuccessStatusCode();
        var first = Ms();
        (await http.GetAsync("/_sim/health")).EnsureSuccessStatusCode();
        var second = Ms();
        await server.DisposeAsync();
        var disposed = Ms();
        return [hook, created - hook, started - created, first - started, second - first, disposed - second, disposed];
    }
}
