using System.Collections.Concurrent;
using System.Text.Json;
using CssmSim.Engine.Storage;

namespace CssmSim.Server.Journal;

/// <summary>
/// <c>Journal:Persist</c> (control.md §Journal and events): the journal written to the store in
/// batches, so every process on one database (replicas behind one address) answers
/// <c>GET /_sim/journal</c> with every process's requests, in one id sequence. A request only
/// queues its entry; a writer appends what is queued every <see cref="FlushInterval"/> in one
/// transaction, and a reader first writes what this process has queued, so it always sees its own
/// requests. Best effort by design: a batch the store refuses is dropped (and logged), never the
/// request; a killed process loses at most its last interval.
/// </summary>
public sealed class JournalPersistence : IAsyncDisposable
{
    /// <summary>How long another process's requests may take to show: well inside the contract's 1 s.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    private readonly IJournalStore _store;
    private readonly long _keep;
    private readonly TimeProvider _wall;
    private readonly Action<Exception>? _onWriteFailed;
    private readonly ConcurrentQueue<JournalEntry> _queue = new();
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _writer;
    private int _queued;

    public JournalPersistence(IJournalStore store, long keep, TimeProvider wall, Action<Exception>? onWriteFailed = null)
    {
        _store = store;
        _keep = Math.Max(1, keep);
        _wall = wall;
        _onWriteFailed = onWriteFailed;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Queues an entry; never blocks. Beyond <c>keep</c> entries waiting, the oldest go (they would be trimmed anyway).</summary>
    public void Enqueue(JournalEntry entry)
    {
        _queue.Enqueue(entry);
        if (Interlocked.Increment(ref _queued) > _keep && _queue.TryDequeue(out _)) Interlocked.Decrement(ref _queued);
    }

    /// <summary>Appends what is queued now, in one transaction.</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        if (Volatile.Read(ref _queued) == 0) return;
        await _writing.WaitAsync(ct);
        try
        {
            var batch = new List<NewJournalEntry>();
            while (_queue.TryDequeue(out var e))
            {
                Interlocked.Decrement(ref _queued);
                batch.Add(new NewJournalEntry(e.Surface, e.Operation, e.Udi, e.Outcome, JsonSerializer.Serialize(e, Json)));
            }
            try
            {
                await _store.AppendAsync(batch, _keep, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _onWriteFailed?.Invoke(e);
            }
        }
        finally { _writing.Release(); }
    }

    public async Task<IReadOnlyList<JournalEntry>> QueryAsync(JournalFilter filter, int limit, CancellationToken ct = default)
    {
        await FlushAsync(ct);
        var rows = await _store.QueryAsync(ToStored(filter), limit, ct);
        return rows.Select(r => JsonSerializer.Deserialize<JournalEntry>(r.Json, Json)! with { Id = r.Id }).ToList();
    }

    public async Task<long> CountAsync(JournalFilter filter, CancellationToken ct = default)
    {
        await FlushAsync(ct);
        return await _store.CountAsync(ToStored(filter), ct);
    }

    /// <summary>Waits (wall time) until at least <paramref name="count"/> entries match, reading the store every <see cref="FlushInterval"/>.</summary>
    public async Task<bool> WaitForCountAsync(JournalFilter filter, int count, TimeSpan timeout, CancellationToken ct)
    {
        var started = _wall.GetTimestamp();
        while (true)
        {
            if (await CountAsync(filter, ct) >= count) return true;
            var left = timeout - _wall.GetElapsedTime(started);
            if (left <= TimeSpan.Zero) return false;
            await Task.Delay(left < FlushInterval ? left : FlushInterval, _wall, ct);
        }
    }

    /// <summary>Forgets what is queued and what every process wrote.</summary>
    public async Task ClearAsync(CancellationToken ct = default)
    {
        await _writing.WaitAsync(ct);
        try
        {
            while (_queue.TryDequeue(out _)) Interlocked.Decrement(ref _queued);
            await _store.ClearAsync(ct);
        }
        finally { _writing.Release(); }
    }

    private static StoredJournalFilter ToStored(JournalFilter f) => new(f.Surface, f.Operation, f.Udi, f.Outcome, f.Since);

    private async Task WriteLoopAsync()
    {
        using var timer = new PeriodicTimer(FlushInterval, _wall);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token)) await FlushAsync(_stop.Token);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Stops the writer and appends what is left (a clean stop loses nothing).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync();
        await _writer;
        await FlushAsync(CancellationToken.None);
        _stop.Dispose();
    }
}
