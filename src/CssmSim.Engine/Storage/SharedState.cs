using CssmSim.Engine.Faults;
using CssmSim.Engine.Time;

namespace CssmSim.Engine.Storage;

/// <summary>
/// Keeps what each process caches of the store (compiled fault rules, the virtual clock) in step
/// with the store when several processes share it (control.md: a change on one is in force on the
/// others within 1 s): a request reads the versions only when the last read is older than
/// <see cref="RefreshInterval"/>, and re-reads rules or clock only when a version moved. A store no
/// other process can open (in-memory) is never re-read. The clock is also read back at start, so
/// it survives a restart.
/// </summary>
public sealed class SharedState(ISimulatorStore store, FaultEngine faults, SimulatorClock clock, TimeProvider? wall = null)
{
    /// <summary>
    /// How stale this process's copy may get: a version read on every request cost a SQLite read
    /// per request (a third of <c>GET /_sim/health</c>'s time); a quarter second keeps a change
    /// made elsewhere in force here well within the 1 s the contract allows.
    /// </summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(250);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _wall = wall ?? TimeProvider.System;
    private readonly bool _shared = store.Location.Engine != StoreEngine.SqliteMemory;
    private long _faults = -1;
    private long _clock = -1;
    // Wall timestamp (TimeProvider ticks) of the last version read; long.MinValue: never read.
    private long _readAt = long.MinValue;
    private int _reading;

    /// <summary>At start (after migrations and the seed): the stored clock, when there is one, wins over the configured one.</summary>
    public async Task InitializeAsync(CancellationToken ct = default)
    {
        var versions = await store.State.ReadVersionsAsync(ct);
        if (await store.State.GetSettingAsync(ClockState.Key, ct) is { } json) ClockState.TryApply(clock, json);
        Volatile.Write(ref _faults, versions.FaultRules);
        Volatile.Write(ref _clock, versions.Clock);
        Volatile.Write(ref _readAt, _wall.GetTimestamp());
    }

    /// <summary>
    /// Per request: catches up when the last version read is older than <see cref="RefreshInterval"/>.
    /// One request at a time does the read; the others go on with what this process has (at most
    /// that old), rather than queueing behind it.
    /// </summary>
    public Task RefreshIfStaleAsync(CancellationToken ct = default)
    {
        if (!_shared) return Task.CompletedTask;
        var last = Volatile.Read(ref _readAt);
        if (last != long.MinValue && _wall.GetElapsedTime(last) < RefreshInterval) return Task.CompletedTask;
        if (Interlocked.CompareExchange(ref _reading, 1, 0) != 0) return Task.CompletedTask;
        return RefreshOnceAsync(ct);
    }

    private async Task RefreshOnceAsync(CancellationToken ct)
    {
        try
        {
            var started = _wall.GetTimestamp();
            await RefreshAsync(ct);
            Volatile.Write(ref _readAt, started);
        }
        finally { Volatile.Write(ref _reading, 0); }
    }

    /// <summary>Re-reads the fault rules and the clock if another process (or path) changed them.</summary>
    public async Task RefreshAsync(CancellationToken ct = default)
    {
        var versions = await store.State.ReadVersionsAsync(ct);
        if (versions.FaultRules == Volatile.Read(ref _faults) && versions.Clock == Volatile.Read(ref _clock)) return;
        await _gate.WaitAsync(ct);
        try
        {
            // Read again under the gate: a concurrent request may have caught up already.
            versions = await store.State.ReadVersionsAsync(ct);
            if (versions.FaultRules != _faults)
            {
                await faults.RefreshAsync(ct);
                Volatile.Write(ref _faults, versions.FaultRules);
            }
            if (versions.Clock != _clock)
            {
                if (await store.State.GetSettingAsync(ClockState.Key, ct) is { } json) ClockState.TryApply(clock, json);
                Volatile.Write(ref _clock, versions.Clock);
            }
        }
        finally { _gate.Release(); }
    }
}
