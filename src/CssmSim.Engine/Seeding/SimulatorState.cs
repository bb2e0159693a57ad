using CssmSim.Engine.Faults;
using CssmSim.Engine.Jobs;
using CssmSim.Engine.Time;

namespace CssmSim.Engine.Seeding;

/// <summary>
/// Keeps the parts of the simulator's state in step: the store (through <see cref="SeedService"/>),
/// the fault rules, the poll transitions and the clock. Start-up, seed merges and resets go
/// through here so that none of them leaves one part behind (a reset that leaves data behind is a bug).
/// </summary>
public sealed class SimulatorState(SeedService seeds, FaultEngine faults, PollTransitionService transitions, SimulatorClock clock)
{
    public async Task InitializeAsync(CancellationToken ct = default)
    {
        var seeded = await seeds.InitializeAsync(ct);
        await faults.InitializeAsync(ct);
        if (seeded) await faults.ApplySeedAsync(seeds.Startup.Faults, ct);
    }

    /// <summary>Merges a seed document: its fault rules are checked before anything is applied.</summary>
    public async Task MergeSeedAsync(SeedDocument doc, CancellationToken ct = default)
    {
        faults.ValidateSeed(doc.Faults);
        await seeds.MergeAsync(doc, ct);
        await faults.ApplySeedAsync(doc.Faults, ct);
    }

    /// <summary>
    /// Everything back to the start-up seed (control.md §Reset and snapshot): store, user fault
    /// rules gone and built-ins at their start-up values, poll transitions at their defaults, clock
    /// at its start-up mode and offset. With <paramref name="smartAccountDomain"/>, only that account.
    /// </summary>
    public async Task ResetAsync(string? smartAccountDomain, CancellationToken ct = default)
    {
        await seeds.ResetAsync(smartAccountDomain, ct);
        if (smartAccountDomain is not null) return;
        await transitions.ResetAsync(ct);
        await faults.ResetAsync(ct);
        await faults.ApplySeedAsync(seeds.Startup.Faults, ct);
        clock.Reset();
    }
}
