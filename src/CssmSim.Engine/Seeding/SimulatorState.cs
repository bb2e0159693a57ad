using CssmSim.Engine.Faults;
using CssmSim.Engine.Jobs;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Time;
using CssmSim.Engine.Tokens;
using CssmSim.Engine.Trust;

namespace CssmSim.Engine.Seeding;

/// <summary>
/// Keeps the parts of the simulator's state in step: the store (through <see cref="SeedService"/>),
/// the fault rules, the poll transitions and the clock. Start-up, seed merges and resets go
/// through here so that none of them leaves one part behind (a reset that leaves data behind is a bug).
/// </summary>
public sealed class SimulatorState(
    SeedService seeds, FaultEngine faults, PollTransitionService transitions, SimulatorClock clock,
    ISimulatorStore store, TokenService tokens, TrustService trust, Policies.PolicyService policies)
{
    public async Task InitializeAsync(CancellationToken ct = default)
    {
        var seeded = await seeds.InitializeAsync(ct, markApplied: false);
        await faults.InitializeAsync(ct);
        if (!seeded)
        {
            // A reset of one account killed part-way (its inventory half re-created) is finished here.
            foreach (var account in seeds.Startup.Accounts)
            {
                if (await store.State.GetSettingAsync(AccountResetKey(account.Domain), ct) == Pending) await ResetAsync(account.Domain, ct);
            }
            return;
        }
        await faults.ApplySeedAsync(seeds.Startup.Faults, ct);
        await ApplyInventoryAsync(seeds.Startup, null, ct);
        // Recorded last: a start killed before here applies the seed again on the next start, and
        // every step above is idempotent, so it converges to the same state.
        await seeds.MarkStartupAppliedAsync(ct);
    }

    private const string Pending = "pending";
    private const string Done = "done";

    private static string AccountResetKey(string domain) => "account_reset/" + domain.Trim().ToLowerInvariant();

    /// <summary>Merges a seed document: its fault rules are checked before anything is applied.</summary>
    public async Task MergeSeedAsync(SeedDocument doc, CancellationToken ct = default)
    {
        faults.ValidateSeed(doc.Faults);
        await seeds.MergeAsync(doc, ct);
        await faults.ApplySeedAsync(doc.Faults, ct);
        await ApplyInventoryAsync(doc, null, ct);
    }

    /// <summary>
    /// Everything back to the start-up seed (control.md §Reset and snapshot): store, user fault
    /// rules gone and built-ins at their start-up values, poll transitions at their defaults, clock
    /// at its start-up mode and offset. With <paramref name="smartAccountDomain"/>, only that account.
    /// </summary>
    public async Task ResetAsync(string? smartAccountDomain, CancellationToken ct = default)
    {
        // A full reset killed part-way is finished by the next start (the seed counts as not applied until the end).
        if (smartAccountDomain is null) await seeds.MarkStartupPendingAsync(ct);
        else await store.State.SetSettingAsync(AccountResetKey(smartAccountDomain), Pending, ct);
        await seeds.ResetAsync(smartAccountDomain, ct);
        if (smartAccountDomain is not null)
        {
            // The account and its VAs go back in one transaction, its seed inventory after: until
            // that is in, the account's reset counts as pending and the next start does it again.
            await ApplyInventoryAsync(seeds.Startup, smartAccountDomain, ct);
            await store.State.SetSettingAsync(AccountResetKey(smartAccountDomain), Done, ct);
            return;
        }
        await transitions.ResetAsync(ct);
        policies.Forget();
        await faults.ResetAsync(ct);
        await faults.ApplySeedAsync(seeds.Startup.Faults, ct);
        clock.Reset();
        await ClockState.SaveAsync(store, clock, ct);
        await ApplyInventoryAsync(seeds.Startup, null, ct);
        await seeds.MarkStartupAppliedAsync(ct);
    }

    /// <summary>
    /// A seed's tokens and product instances, created through their own services so they follow
    /// the same id derivation and rules as API-made ones. A <c>trusted</c> product instance gets
    /// trust in its seed VA (moving it there if it was trusted elsewhere).
    /// </summary>
    private async Task ApplyInventoryAsync(SeedDocument doc, string? onlyDomain, CancellationToken ct)
    {
        foreach (var account in doc.Accounts)
        {
            if (onlyDomain is not null && !account.Domain.Equals(onlyDomain, StringComparison.OrdinalIgnoreCase)) continue;
            var sa = await store.Accounts.FindSmartAccountAsync(account.Domain, ct);
            if (sa is null) continue;
            foreach (var seedVa in account.VirtualAccounts)
            {
                var va = await store.Accounts.FindVirtualAccountAsync(sa.Id, seedVa.Name, ct);
                if (va is null) continue;
                for (var i = 0; i < seedVa.Tokens.Count; i++)
                {
                    var t = seedVa.Tokens[i];
                    // The entry's place and content identify it: the same document applied again adds no second token.
                    var seedKey = $"{i}/{t.Description}/{t.ExpiresAfterDays}/{t.MaxUses}/{t.ExportControlled}";
                    await tokens.CreateAsync(sa, va, new TokenRequest(t.Description ?? "", t.ExpiresAfterDays ?? 30, t.MaxUses, t.ExportControlled ?? true, "seed", t.Token,
                        seedKey), ct);
                }
                foreach (var p in seedVa.ProductInstances)
                {
                    var udi = new Udi(p.UdiPid.Trim(), p.UdiSerialNumber.Trim());
                    var existing = await store.Inventory.FindProductInstanceAsync(udi.ToString(), ct);
                    var now = clock.GetUtcNow();
                    await store.Inventory.UpsertProductInstanceAsync(ProductInstanceRegistry.Untrusted(udi, existing?.Piid ?? Piids.For(seeds.Ids, udi), va.Id,
                        p.Hostname ?? "", existing?.RegisteredAt ?? now, null, p.ExportControlled), ct);
                    if (p.Trusted == true && existing?.TrustCodeId is null)
                        await trust.IssueAsync(va, [udi], force: true, ct);
                }
            }
        }
    }
}
