using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace CssmSim.Load;

/// <summary>What one operation came to: success, or the kind of failure (counted by kind).</summary>
public readonly record struct OpResult(bool Ok, string? Error = null)
{
    public static OpResult Success { get; } = new(true);
    public static OpResult Fail(string error) => new(false, error);
}

/// <summary>One sampling interval of a run (soak): operations and errors in it, the server's RSS at its end.</summary>
public sealed record IntervalSample(TimeSpan At, long Operations, long Errors, long TotalErrors, long? RssBytes);

/// <summary>A run's totals: operations, errors by kind, rate and latency percentiles (successful and failed operations alike).</summary>
public sealed record LoadResult(string Name, int Clients, long Operations, long Errors, IReadOnlyDictionary<string, long> ErrorKinds, TimeSpan Elapsed,
    double P50Ms, double P95Ms, double P99Ms, double MaxMs, IReadOnlyList<IntervalSample> Samples)
{
    public double PerSecond => Operations / Elapsed.TotalSeconds;

    public override string ToString()
    {
        var ic = CultureInfo.InvariantCulture;
        var errors = Errors == 0 ? "0 errors" : $"{Errors} errors ({string.Join(", ", ErrorKinds.Select(k => $"{k.Key} ×{k.Value}"))})";
        return string.Create(ic, $"{Name}: {Operations} ops in {Elapsed.TotalSeconds:0.0} s with {Clients} clients = {PerSecond:0.0}/s; latency p50 {P50Ms:0.00} ms, p95 {P95Ms:0.00} ms, p99 {P99Ms:0.00} ms, max {MaxMs:0.0} ms; {errors}");
    }
}

/// <summary>
/// Runs an operation from N concurrent clients for a duration: as fast as each client can
/// (closed loop), or paced to a total rate (each client's k-th call due at a fixed time, so the
/// offered load stays steady when the server slows).
/// </summary>
public static class LoadRun
{
    public static async Task<LoadResult> RunAsync(string name, int clients, TimeSpan duration, Func<int, long, CancellationToken, Task<OpResult>> op,
        double? ratePerSecond = null, TimeSpan? sampleEvery = null, Func<long?>? rss = null, Action<IntervalSample>? onSample = null,
        CancellationToken ct = default)
    {
        long operations = 0, errors = 0;
        var kinds = new ConcurrentDictionary<string, long>();
        var latencies = new List<long>[clients];
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(duration);

        async Task Worker(int w)
        {
            var mine = latencies[w] = new List<long>(4096);
            for (long k = 0; !stop.IsCancellationRequested; k++)
            {
                if (ratePerSecond is { } rate)
                {
                    var due = TimeSpan.FromSeconds((k * clients + w) / rate) - clock.Elapsed;
                    if (due > TimeSpan.Zero)
                    {
                        try { await Task.Delay(due, stop.Token); }
                        catch (OperationCanceledException) { break; }
                    }
                }
                var started = Stopwatch.GetTimestamp();
                OpResult result;
                try
                {
                    result = await op(w, k, ct);
                }
                catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or System.Text.Json.JsonException or InvalidOperationException)
                {
                    if (ct.IsCancellationRequested) break;
                    result = OpResult.Fail(e.GetType().Name);
                }
                mine.Add(Stopwatch.GetTimestamp() - started);
                Interlocked.Increment(ref operations);
                if (!result.Ok)
                {
                    Interlocked.Increment(ref errors);
                    kinds.AddOrUpdate(result.Error ?? "error", 1, (_, n) => n + 1);
                }
            }
        }

        var samples = new List<IntervalSample>();
        var sampler = sampleEvery is { } every ? Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(every);
            long lastOps = 0, lastErrors = 0;
            try
            {
                while (await timer.WaitForNextTickAsync(stop.Token))
                {
                    var ops = Interlocked.Read(ref operations);
                    var errs = Interlocked.Read(ref errors);
                    var sample = new IntervalSample(clock.Elapsed, ops - lastOps, errs - lastErrors, errs, rss?.Invoke());
                    (lastOps, lastErrors) = (ops, errs);
                    samples.Add(sample);
                    onSample?.Invoke(sample);
                }
            }
            catch (OperationCanceledException) { }
        }) : Task.CompletedTask;

        await Task.WhenAll(Enumerable.Range(0, clients).Select(w => Task.Run(() => Worker(w))));
        var elapsed = clock.Elapsed;
        await sampler;

        var all = latencies.Where(l => l is not null).SelectMany(l => l).Order().ToArray();
        double Pct(double p) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)Math.Ceiling(p * all.Length) - 1)] * 1000.0 / Stopwatch.Frequency;
        return new LoadResult(name, clients, operations, errors, new Dictionary<string, long>(kinds), elapsed,
            Pct(0.50), Pct(0.95), Pct(0.99), all.Length == 0 ? 0 : all[^1] * 1000.0 / Stopwatch.Frequency, samples);
    }
}
