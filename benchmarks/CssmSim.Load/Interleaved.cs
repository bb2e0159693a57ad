namespace CssmSim.Load;

/// <summary>One server's share of a measurement: operations, errors, time under load and its CPU time (null when unknown).</summary>
public sealed record Slice(long Operations, long Errors, TimeSpan Elapsed, TimeSpan? Cpu)
{
    public double PerSecond => Elapsed > TimeSpan.Zero ? Operations / Elapsed.TotalSeconds : 0;

    public static Slice operator +(Slice x, Slice y) =>
        new(x.Operations + y.Operations, x.Errors + y.Errors, x.Elapsed + y.Elapsed, x.Cpu is { } a && y.Cpu is { } b ? a + b : null);

    public static Slice Empty { get; } = new(0, 0, TimeSpan.Zero, TimeSpan.Zero);
}

/// <summary>
/// Compares two servers on a machine shared with other work: each gets <c>slices</c> turns of
/// <c>duration / slices</c>, in ABBA order (A B, B A, A B, ...), so that a burst of other load, or a
/// trend across the run, falls on both alike instead of on whichever ran second.
/// </summary>
public static class Interleaved
{
    public static async Task<(Slice A, Slice B)> RunAsync(int slices, TimeSpan duration, Func<TimeSpan, Task<Slice>> a, Func<TimeSpan, Task<Slice>> b)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slices, 1);
        var length = duration / slices;
        var (totalA, totalB) = (Slice.Empty, Slice.Empty);
        for (var s = 0; s < slices; s++)
        {
            if (s % 2 == 0)
            {
                totalA += await a(length);
                totalB += await b(length);
            }
            else
            {
                totalB += await b(length);
                totalA += await a(length);
            }
        }
        return (totalA, totalB);
    }
}
