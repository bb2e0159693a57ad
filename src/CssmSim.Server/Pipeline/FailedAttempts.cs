using System.Collections.Concurrent;
using System.Net;

namespace CssmSim.Server.Pipeline;

/// <summary>
/// Slows down guessing of the control key (the <c>X-CssmSim-Key</c> header and the portal login,
/// which take the same key): after <c>Security:MaxFailedAttempts</c> wrong keys from one client
/// address, that address is answered 429 with <c>Retry-After</c> for <c>Security:LockoutSeconds</c>,
/// doubling with each further lockout. Wall time (injectable), since the simulator clock is the
/// caller's to move.
/// </summary>
public sealed class FailedAttempts(int maxFailures, TimeSpan lockout, TimeProvider wall)
{
    private const int MaxTracked = 10_000;

    private sealed class Entry
    {
        public int Failures;
        public int Lockouts;
        public DateTimeOffset LockedUntil;
    }

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>How long <paramref name="client"/> must still wait, or null when it may try.</summary>
    public TimeSpan? LockedFor(IPAddress? client)
    {
        if (!_entries.TryGetValue(Key(client), out var e)) return null;
        lock (e)
        {
            var left = e.LockedUntil - wall.GetUtcNow();
            return left > TimeSpan.Zero ? left : null;
        }
    }

    public void Failed(IPAddress? client)
    {
        // Bounded: a flood from many addresses cannot grow the table without end.
        if (_entries.Count >= MaxTracked) _entries.Clear();
        var e = _entries.GetOrAdd(Key(client), _ => new Entry());
        lock (e)
        {
            if (++e.Failures < maxFailures) return;
            e.Failures = 0;
            var factor = Math.Pow(2, Math.Min(e.Lockouts, 16));
            e.LockedUntil = wall.GetUtcNow() + lockout * factor;
            e.Lockouts++;
        }
    }

    public void Succeeded(IPAddress? client) => _entries.TryRemove(Key(client), out _);

    /// <summary>Answers 429 with Retry-After in the control API's shape.</summary>
    public static Task WriteLockedOutAsync(HttpContext ctx, TimeSpan left)
    {
        var seconds = (int)Math.Ceiling(left.TotalSeconds);
        ctx.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ApiErrors.WriteAsync(ctx, ApiFamily.Control, 429, $"too many wrong control keys from this address; retry in {seconds} s");
    }

    private static string Key(IPAddress? client) => client?.ToString() ?? "-";
}
