namespace CssmSim.Server.Journal;

/// <summary>One journaled request (control.md §Journal and events).</summary>
public sealed record JournalEntry(
    long Id,
    DateTimeOffset Time,
    string Surface,
    string? Operation,
    string Method,
    string Path,
    string? SmartAccount,
    string? VirtualAccount,
    string? Udi,
    string? TokenId,
    int HttpStatus,
    string Outcome,
    string? ErrorCode,
    JournalFault? Fault,
    long LatencyMs,
    string RequestId,
    string? RequestBody,
    string? ResponseBody,
    bool Truncated);

public sealed record JournalFault(
    [property: System.Text.Json.Serialization.JsonPropertyName("id")] string Id,
    [property: System.Text.Json.Serialization.JsonPropertyName("name")] string? Name);

/// <summary>What a query asks of the journal; null members do not filter.</summary>
public sealed record JournalFilter(string? Surface = null, string? Operation = null, string? Udi = null, string? Outcome = null, long? Since = null)
{
    public bool Matches(JournalEntry e) =>
        (Surface is null || string.Equals(e.Surface, Surface, StringComparison.OrdinalIgnoreCase))
        && (Operation is null || string.Equals(e.Operation, Operation, StringComparison.OrdinalIgnoreCase))
        && (Udi is null || string.Equals(e.Udi, Udi, StringComparison.OrdinalIgnoreCase))
        && (Outcome is null || string.Equals(e.Outcome, Outcome, StringComparison.OrdinalIgnoreCase))
        && (Since is null || e.Id > Since);
}

/// <summary>
/// An in-memory ring buffer of the last <see cref="Capacity"/> requests on the device- and
/// API-facing surfaces. Readers can wait for entries without polling in a sleep loop.
/// </summary>
public sealed class RequestJournal(int capacity)
{
    private readonly object _gate = new();
    private readonly JournalEntry?[] _ring = new JournalEntry?[Math.Max(1, capacity)];
    private long _nextId = 1;
    private long _count;
    private TaskCompletionSource _changed = NewSignal();

    public int Capacity => _ring.Length;

    public long Append(Func<long, JournalEntry> make)
    {
        TaskCompletionSource signal;
        long id;
        lock (_gate)
        {
            id = _nextId++;
            _ring[_count % _ring.Length] = make(id);
            _count++;
            signal = _changed;
            _changed = NewSignal();
        }
        signal.TrySetResult();
        return id;
    }

    /// <summary>Matching entries, oldest first, at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<JournalEntry> Query(JournalFilter filter, int limit = int.MaxValue)
    {
        var result = new List<JournalEntry>();
        lock (_gate)
        {
            var first = Math.Max(0, _count - _ring.Length);
            for (var i = first; i < _count && result.Count < limit; i++)
            {
                var e = _ring[i % _ring.Length]!;
                if (filter.Matches(e)) result.Add(e);
            }
        }
        return result;
    }

    public int Count(JournalFilter filter) => Query(filter).Count;

    public void Clear()
    {
        lock (_gate)
        {
            Array.Clear(_ring);
            _count = 0;
        }
    }

    /// <summary>Waits (wall time) until at least <paramref name="count"/> entries match, or the timeout passes; true when they do.</summary>
    public async Task<bool> WaitForCountAsync(JournalFilter filter, int count, TimeSpan timeout, TimeProvider wall, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        while (true)
        {
            Task signal;
            lock (_gate) signal = _changed.Task;
            if (Count(filter) >= count) return true;
            try
            {
                await signal.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return Count(filter) >= count;
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
