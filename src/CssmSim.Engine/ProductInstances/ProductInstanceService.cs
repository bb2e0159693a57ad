using CssmSim.Engine.Accounts;
using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Engine.Events;
using CssmSim.Engine.Licensing;
using CssmSim.Engine.Storage;

namespace CssmSim.Engine.ProductInstances;

/// <summary>A product instance with what it uses: reported in-use counts and active authorizations (SLAC, SLR, PLR).</summary>
public sealed record ProductInstanceView(StoredProductInstance Instance, IReadOnlyList<TagUsage> InUse, IReadOnlyList<StoredAuthorization> Authorizations)
{
    /// <summary>True when the instance holds a license reservation (SLR or PLR): removing it takes the device's reservation return code.</summary>
    public bool Reserved => Authorizations.Any(a => a.Kind is "SLR" or "PLR");

    /// <summary>CSSM's display name: <c>UDI_PID:x; UDI_SN:y;</c>.</summary>
    public string DisplayName => $"UDI_PID:{Instance.Pid}; UDI_SN:{Instance.Serial};";
}

/// <summary>One page of a Virtual Account's product instances and how many there are in all.</summary>
public sealed record ProductInstancePage(int Total, int Skip, IReadOnlyList<ProductInstanceView> Items);

/// <summary>A product instance transfer: done (with the receiving Virtual Account), or refused and why (nothing moved).</summary>
public sealed record TransferOutcome(bool Succeeded, string Message, VirtualAccount? Target);

/// <summary>Why a removal did nothing.</summary>
public enum RemovalProblem
{
    /// <summary>No such product instance in that Virtual Account.</summary>
    NotFound,
    /// <summary>The instance holds a reservation and no return code was given.</summary>
    ReturnCodeRequired,
    /// <summary>The return code given is not well-formed (eight groups of six and one of three).</summary>
    ReturnCodeMalformed,
}

/// <summary>A removal: done (with the authorizations it released), or refused and why.</summary>
public sealed record RemovalOutcome(RemovalProblem? Problem, string? Message, StoredProductInstance? Removed, IReadOnlyList<StoredAuthorization> Released)
{
    public bool Succeeded => Problem is null;

    public static RemovalOutcome Refused(RemovalProblem problem, string message) => new(problem, message, null, []);
}

/// <summary>
/// The product instances of a Virtual Account (CSSM's Inventory → Product Instances tab): listing with
/// their license use, and removal. Removing an instance removes its trust codes, reports, ACKs and
/// authorizations, so its licenses go back to the pool; one that holds a reservation (SLR or PLR) can
/// only be removed from the portal with the reservation return code the device printed, and since the
/// UDI is known from the context any well-formed code does (artefacts.md §Reservation and SLAC codes).
/// </summary>
public sealed class ProductInstanceService(ISimulatorStore store, EventLog events)
{
    /// <summary>The instances of <paramref name="va"/> alone, without what each uses or holds (pickers).</summary>
    public Task<IReadOnlyList<StoredProductInstance>> ListAsync(VirtualAccount va, CancellationToken ct = default) =>
        store.Inventory.ListProductInstancesAsync([va.Id], ct);

    /// <summary>
    /// One page of the instances of <paramref name="va"/> (in the store's order) with what each uses, and
    /// how many there are in all: only the page's instance rows are read and looked into (usage and
    /// authorizations, two reads each).
    /// </summary>
    public async Task<ProductInstancePage> PageAsync(VirtualAccount va, int skip, int take, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        ArgumentOutOfRangeException.ThrowIfNegative(take);
        var (total, rows) = await store.Inventory.PageProductInstancesAsync([va.Id], skip, take, ct);
        var items = new List<ProductInstanceView>(rows.Count);
        foreach (var pi in rows) items.Add(await ViewAsync(pi, ct));
        return new ProductInstancePage(total, skip, items);
    }

    /// <summary>The instances of <paramref name="va"/> that hold an authorization (SLAC, SLR or PLR).</summary>
    public async Task<IReadOnlyList<ProductInstanceView>> AuthorizedAsync(VirtualAccount va, CancellationToken ct = default)
    {
        var udis = (await store.Authorizations.AuthorizedAsync(va.Id, ct)).Select(a => a.Udi).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var result = new List<ProductInstanceView>();
        foreach (var udi in udis)
        {
            if (await store.Inventory.FindProductInstanceAsync(udi, ct) is { } pi && pi.VirtualAccountId == va.Id) result.Add(await ViewAsync(pi, ct));
        }
        return result;
    }

    private async Task<ProductInstanceView> ViewAsync(StoredProductInstance pi, CancellationToken ct)
    {
        var inUse = (await store.Usage.InUseOfAsync(pi.Udi, ct)).Where(u => u.InUse > 0).ToList();
        var authorizations = await store.Authorizations.ListActiveAsync(pi.Udi, ct);
        return new ProductInstanceView(pi, inUse, authorizations);
    }

    /// <summary>
    /// CSSM's Transfer (seed 004 L115): moves an instance of <paramref name="from"/> to another Virtual Account of the
    /// same Smart Account, with its reported use and authorizations, so the accounting of both moves along.
    /// </summary>
    public async Task<TransferOutcome> TransferAsync(SmartAccount account, VirtualAccount from, string udi, string targetVirtualAccount, CancellationToken ct = default)
    {
        var key = udi.Trim();
        var pi = await store.Inventory.FindProductInstanceAsync(key, ct);
        if (pi is null || pi.VirtualAccountId != from.Id) return new TransferOutcome(false, $"no product instance '{key}' in Virtual Account '{from.Name}'", null);
        var target = string.IsNullOrWhiteSpace(targetVirtualAccount) ? null : await store.Accounts.FindVirtualAccountAsync(account.Id, targetVirtualAccount.Trim(), ct);
        if (target is null) return new TransferOutcome(false, $"no Virtual Account '{targetVirtualAccount}' in Smart Account {account.Domain}", null);
        if (target.Id == from.Id) return new TransferOutcome(false, $"'{key}' is already in Virtual Account '{from.Name}'", null);
        if (!await store.Inventory.MoveProductInstanceAsync(pi.Udi, from.Id, target.Id, ct))
            return new TransferOutcome(false, $"no product instance '{key}' in Virtual Account '{from.Name}'", null);
        await events.AppendAsync(EventTypes.PiMoved, account.Id, target.Name, pi.Udi,
            new { from_virtual_account_id = from.Id, to_virtual_account_id = target.Id, transfer = true }, ct);
        return new TransferOutcome(true, "", target);
    }

    /// <summary>Removes an instance of <paramref name="va"/> whatever it holds (control API, resets).</summary>
    public Task<RemovalOutcome> RemoveAsync(SmartAccount account, VirtualAccount va, string udi, CancellationToken ct = default) =>
        RemoveCoreAsync(account, va, udi, checkReturnCode: false, null, ct);

    /// <summary>
    /// Removes an instance of <paramref name="va"/> as CSSM's Remove action does: an instance holding a
    /// reservation needs <paramref name="reservationReturnCode"/>, which must be well-formed.
    /// </summary>
    public Task<RemovalOutcome> RemoveWithReturnCodeAsync(SmartAccount account, VirtualAccount va, string udi, string? reservationReturnCode,
        CancellationToken ct = default) =>
        RemoveCoreAsync(account, va, udi, checkReturnCode: true, reservationReturnCode, ct);

    private async Task<RemovalOutcome> RemoveCoreAsync(SmartAccount account, VirtualAccount va, string udi, bool checkReturnCode, string? returnCode,
        CancellationToken ct)
    {
        var key = udi.Trim();
        var pi = await store.Inventory.FindProductInstanceAsync(key, ct);
        if (pi is null || pi.VirtualAccountId != va.Id)
            return RemovalOutcome.Refused(RemovalProblem.NotFound, $"no product instance '{key}' in Virtual Account '{va.Name}'");
        var active = await store.Authorizations.ListActiveAsync(pi.Udi, ct);
        if (checkReturnCode && active.Any(a => a.Kind is "SLR" or "PLR"))
        {
            if (string.IsNullOrWhiteSpace(returnCode))
                return RemovalOutcome.Refused(RemovalProblem.ReturnCodeRequired,
                    "this product instance holds a license reservation: enter the reservation return code the device printed");
            if (!ReturnCode.IsWellFormed(returnCode.Trim()))
                return RemovalOutcome.Refused(RemovalProblem.ReturnCodeMalformed,
                    "the reservation return code is not well-formed (eight groups of six letters or digits and one of three, joined by '-')");
        }
        if (!await store.Inventory.DeleteProductInstanceAsync(pi.Udi, ct))
            return RemovalOutcome.Refused(RemovalProblem.NotFound, $"no product instance '{key}' in Virtual Account '{va.Name}'");
        await events.AppendAsync(EventTypes.PiRemoved, account.Id, va.Name, pi.Udi, new { piid = pi.Piid }, ct);
        foreach (var released in active)
        {
            await events.AppendAsync(released.Kind == "SLAC" ? EventTypes.SlacReturned : EventTypes.ReservationReturned, account.Id, va.Name, pi.Udi,
                new { authorization_id = released.Id, removed = true }, ct);
        }
        return new RemovalOutcome(null, null, pi, active);
    }
}
