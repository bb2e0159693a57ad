using CssmSim.Engine.Faults;
using CssmSim.Engine.Time;

namespace CssmSim.Engine.Storage;

/// <summary>
/// Keeps what each process caches of the store (compiled fault rules, the virtual clock) in step
/// with the store when several processes share it: one cheap version read per request, a re-read
/// only when a version moved. The clock is also read back at start, so it survives a restart.
/// </summary>
public sealed class SharedState(ISimulatorStore store, FaultEngine faults, SimulatorClock clock)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _faults = -1;
    private long _clock = -1;

    /// <summary>At start (after migrations and the seed): the stored clock, when there is one, wins over the configured one.</summary>
    public async Task InitializeAsync(CancellationToken ct = default)
    {
        var versions = await store.State.ReadVersionsAsync(ct);
        if (await store.State.GetSettingAsync(ClockState.Key, ct) is { } json) ClockState.TryApply(clock, json);
        Volatile.Write(ref _faults, versions.FaultRules);
        Volatile.Write(ref _clock, versions.Clock);
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
