using CssmSim.Engine.Accounts;
using CssmSim.Engine.Ids;
using CssmSim.Engine.Storage;

namespace CssmSim.Engine.ProductInstances;

/// <summary>The PIID rule: a product instance's id is derived from its UDI, so it is the same in every run with one seed.</summary>
public static class Piids
{
    public static string For(DerivedIds ids, Udi udi) => For(ids, udi.ToString());

    /// <param name="ids">The seed's derived ids.</param>
    /// <param name="udi">The UDI's key form, <c>PID:x,SN:y</c>.</param>
    public static string For(DerivedIds ids, string udi) => ids.Uuid5("pi/" + udi).ToString();
}

/// <summary>
/// The one owner of "an unknown UDI joins the Virtual Account": SLP calls, usage reports and
/// uploads, reservations and the seed create product instances through here (trust creates
/// them inside its own transaction, with the same PIID rule).
/// </summary>
public sealed class ProductInstanceRegistry(ISimulatorStore store, TimeProvider clock, Func<DerivedIds> ids)
{
    /// <summary>A product instance without trust: what a new UDI, or an existing one moved or renamed, is stored as.</summary>
    public static StoredProductInstance Untrusted(Udi udi, string piid, string virtualAccountId, string hostname, DateTimeOffset registeredAt,
        DateTimeOffset? lastContact, bool? exportControlled = null) =>
        new(udi.ToString(), udi.Pid, udi.Serial, piid, virtualAccountId, hostname, HaRole: null, HaGroup: null, TrustCodeId: null, TrustedAt: null,
            TrustTokenId: null, TrustExportControlled: null, ExportControlled: exportControlled, RumKey: null, RegisteredAt: registeredAt, LastContact: lastContact);

    /// <summary>A new UDI as it joins <paramref name="va"/> now (not yet stored).</summary>
    public StoredProductInstance New(Udi udi, VirtualAccount va, string hostname = "")
    {
        var now = clock.GetUtcNow();
        return Untrusted(udi, Piids.For(ids(), udi), va.Id, hostname, now, now);
    }

    /// <summary>The product instance of <paramref name="udi"/>; an unknown UDI joins <paramref name="va"/> first. A known one stays where it is.</summary>
    public async Task<StoredProductInstance> JoinAsync(Udi udi, VirtualAccount va, string hostname, CancellationToken ct = default)
    {
        var pi = await store.Inventory.FindProductInstanceAsync(udi.ToString(), ct);
        if (pi is not null) return pi;
        await store.Inventory.UpsertProductInstanceAsync(New(udi, va, hostname), ct);
        return (await store.Inventory.FindProductInstanceAsync(udi.ToString(), ct))!;
    }
}
