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
/// API-facing surfaces, holding at most <see cref="MaxBytes"/> of bodies and fields: the oldest
/// entries go first when either bound is reached (10,000 entries of 16 KB bodies once held
/// nearly a gigabyte). Readers can wait for entries without polling in a sleep loop. With
/// <paramref name="persistence"/> (<c>Journal:Persist</c>) each entry is also queued for the store,
/// and the <c>…All…</c> methods answer for every process on it; the others stay this process's.
/// </summary>
public sealed class RequestJournal(int capacity, long maxBytes = RequestJournal.DefaultMaxBytes, JournalPersistence? persistence = null) : IAsyncDisposable
{
    /// <summary><c>Journal:MaxBytes</c> default: 64 MiB.</summary>
    public const long DefaultMaxBytes = 64L * 1024 * 1024;

    private readonly object _gate = new();
    private readonly JournalEntry?[] _ring = new JournalEntry?[Math.Max(1, capacity)];
    private readonly long[] _sizes = new long[Math.Max(1, capacity)];
    private long _nextId = 1;
    private long _first;
    private long _count;
    private long _bytes;
    private TaskCompletionSource _changed = NewSignal();

    public int Capacity => _ring.Length;

    public long MaxBytes { get; } = Math.Max(1, maxBytes);

    /// <summary>The store's copy shared by every process on it, when <c>Journal:Persist</c> is on.</summary>
    public JournalPersistence? Persistence { get; } = persistence;

    /// <summary>The estimated size of the entries held.</summary>
    public long Bytes { get { lock (_gate) return _bytes; } }

    public long Append(Func<long, JournalEntry> make)
    {
        TaskCompletionSource signal;
        long id;
        JournalEntry entry;
        lock (_gate)
        {
            id = _nextId++;
            entry = make(id);
            var size = SizeOf(entry);
            if (_count - _first == _ring.Length) DropOldest();
            while (_count > _first && _bytes + size > MaxBytes) DropOldest();
            _ring[_count % _ring.Length] = entry;
            _sizes[_count % _ring.Length] = size;
            _bytes += size;
            _count++;
            signal = _changed;
            _changed = NewSignal();
        }
        signal.TrySetResult();
        Persistence?.Enqueue(entry);
        return id;
    }

    private void DropOldest()
    {
        var slot = _first % _ring.Length;
        _bytes -= _sizes[slot];
        _ring[slot] = null;
        _sizes[slot] = 0;
        _first++;
    }

    // Strings are UTF-16 in memory; the fixed part covers the record and its small fields.
    private static long SizeOf(JournalEntry e) =>
        256 + 2L * ((e.RequestBody?.Length ?? 0) + (e.ResponseBody?.Length ?? 0) + e.Path.Length
            + (e.SmartAccount?.Length ?? 0) + (e.VirtualAccount?.Length ?? 0) + (e.Udi?.Length ?? 0) + (e.TokenId?.Length ?? 0));

    /// <summary>Matching entries, oldest first, at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<JournalEntry> Query(JournalFilter filter, int limit = int.MaxValue)
    {
        var result = new List<JournalEntry>();
        lock (_gate)
        {
            for (var i = _first; i < _count && result.Count < limit; i++)
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
            Array.Clear(_sizes);
            _first = 0;
            _count = 0;
            _bytes = 0;
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

    /// <summary>Matching entries of every process on the store when persisted, else of this one.</summary>
    public Task<IReadOnlyList<JournalEntry>> QueryAllAsync(JournalFilter filter, int limit, CancellationToken ct) =>
        Persistence is { } p ? p.QueryAsync(filter, limit, ct) : Task.FromResult(Query(filter, limit));

    /// <summary><see cref="WaitForCountAsync"/> over every process's entries when persisted.</summary>
    public Task<bool> WaitForAllCountAsync(JournalFilter filter, int count, TimeSpan timeout, TimeProvider wall, CancellationToken ct) =>
        Persistence is { } p ? p.WaitForCountAsync(filter, count, timeout, ct) : WaitForCountAsync(filter, count, timeout, wall, ct);

    /// <summary>Clears this process's entries and, when persisted, every process's.</summary>
    public async Task ClearAllAsync(CancellationToken ct)
    {
        Clear();
        if (Persistence is { } p) await p.ClearAsync(ct);
    }

    /// <summary>Writes what the persisted journal still has queued (a clean stop loses nothing).</summary>
    public ValueTask DisposeAsync() => Persistence?.DisposeAsync() ?? ValueTask.CompletedTask;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
