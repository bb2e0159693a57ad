using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Storage;
using CssmSim.Testing.Devices;

namespace CssmSim.Testing;

/// <summary>A product instance as CSSM's inventory shows it.</summary>
/// <param name="Udi">The UDI, <c>PID:x,SN:y</c>.</param>
/// <param name="Pid">The product id.</param>
/// <param name="Serial">The serial number.</param>
/// <param name="Piid">The product instance id (a UUID).</param>
/// <param name="SmartAccount">The Smart Account's domain.</param>
/// <param name="VirtualAccount">The Virtual Account's name.</param>
/// <param name="Hostname">The hostname it reported.</param>
/// <param name="HaRole">Its HA role (<c>active</c>, <c>standby</c>, <c>member</c>), if any.</param>
/// <param name="HaGroup">The HA group it belongs to, if any.</param>
/// <param name="TrustCodeId">The id of its trust code in force; null without trust.</param>
/// <param name="TrustedAt">When that trust code was issued.</param>
/// <param name="TrustTokenId">The token that gave it trust; null for trust without a token.</param>
/// <param name="RegisteredAt">When CSSM first knew it.</param>
/// <param name="LastContact">When it last reached CSSM.</param>
public sealed record ProductInstanceInfo(
    string Udi, string Pid, string Serial, string Piid, string SmartAccount, string VirtualAccount, string Hostname, string? HaRole, string? HaGroup,
    string? TrustCodeId, DateTimeOffset? TrustedAt, string? TrustTokenId, DateTimeOffset RegisteredAt, DateTimeOffset? LastContact)
{
    /// <summary>Whether it holds a trust code.</summary>
    public bool Trusted => TrustCodeId is not null;
}

/// <summary>A product instance's SLR or PLR as CSSM shows it.</summary>
/// <param name="Kind"><c>SLR</c> or <c>PLR</c>.</param>
/// <param name="State"><c>IN_TRANSITION</c> until the device's confirmation code is entered, then <c>CONFIRMED</c>.</param>
/// <param name="Label"><c>Reserved Licenses</c> or <c>Awaiting confirmation</c>.</param>
/// <param name="AuthorizationCode">The code to install on the device.</param>
/// <param name="Licenses">The reserved tags and counts.</param>
public sealed record ReservationInfo(string Kind, string State, string Label, string AuthorizationCode, IReadOnlyList<(string Tag, long Count)> Licenses);

/// <summary>Product instances (the inventory): list per Virtual Account, find by UDI, remove, transfer, reservations.</summary>
public sealed class SimulatorProductInstances
{
    private readonly EngineAccess _engine;

    internal SimulatorProductInstances(EngineAccess engine) => _engine = engine;

    /// <summary>A Virtual Account's product instances.</summary>
    public Task<IReadOnlyList<ProductInstanceInfo>> ListAsync(string virtualAccount = "DEFAULT", string? smartAccount = null, CancellationToken ct = default) =>
        EngineAccess.CallAsync(async () =>
        {
            var (sa, va) = await _engine.VirtualAccountAsync(smartAccount, virtualAccount, ct);
            var list = await _engine.Store.Inventory.ListProductInstancesAsync([va.Id], ct);
            return (IReadOnlyList<ProductInstanceInfo>)list.Select(p => ToInfo(p, sa.Domain, va.Name)).ToList();
        });

    /// <summary>The product instance with this PID and serial number, in any account, or null.</summary>
    public async Task<ProductInstanceInfo?> FindAsync(string pid, string serial, CancellationToken ct = default)
    {
        if (Udi.Problem(pid, serial) is { } problem) throw new ArgumentException(problem);
        var p = await _engine.Store.Inventory.FindProductInstanceAsync(new Udi(pid.Trim(), serial.Trim()).ToString(), ct);
        if (p is null) return null;
        var owner = await _engine.Store.Accounts.FindByVirtualAccountIdAsync(p.VirtualAccountId, ct);
        return ToInfo(p, owner?.Account.Domain ?? "", owner?.VirtualAccount.Name ?? "");
    }

    /// <summary>What CSSM knows of this simulated device, or null.</summary>
    public Task<ProductInstanceInfo?> FindAsync(SimulatedProductInstance device, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        return FindAsync(device.Udi.Pid, device.Udi.Serial, ct);
    }

    /// <summary>Removes a product instance with its trust codes (as <c>POST /_sim/reset?udi=</c>); false when there is none.</summary>
    public Task<bool> RemoveAsync(SimulatedProductInstance device, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        return _engine.Store.Inventory.DeleteProductInstanceAsync(device.Udi.ToString(), ct);
    }

    /// <summary>
    /// CSSM's Transfer: moves the device to another Virtual Account of its Smart Account, with its reported use and
    /// authorizations. Returns what CSSM then knows of it.
    /// </summary>
    /// <exception cref="ArgumentException">The device is unknown, or the target is not a Virtual Account of its Smart Account.</exception>
    public Task<ProductInstanceInfo> TransferAsync(SimulatedProductInstance device, string targetVirtualAccount, CancellationToken ct = default) =>
        EngineAccess.CallAsync(async () =>
        {
            ArgumentNullException.ThrowIfNull(device);
            var pi = await _engine.Store.Inventory.FindProductInstanceAsync(device.Udi.ToString(), ct) ?? throw new ArgumentException($"{device.Udi} is not a known product instance");
            var (account, va) = await _engine.Store.Accounts.FindByVirtualAccountIdAsync(pi.VirtualAccountId, ct) ?? throw new ArgumentException($"{device.Udi} has no Virtual Account");
            var outcome = await _engine.Instances.TransferAsync(account, va, pi.Udi, targetVirtualAccount, ct);
            if (!outcome.Succeeded) throw new ArgumentException(outcome.Message);
            return (await FindAsync(device, ct))!;
        });

    /// <summary>
    /// The device's reservation as CSSM shows it: kind (SLR, PLR), state, label (<c>Reserved Licenses</c> once confirmed,
    /// else <c>Awaiting confirmation</c>) and the authorization code ("Download Reservation Authorization Code"); null when none.
    /// </summary>
    public async Task<ReservationInfo?> ReservationAsync(SimulatedProductInstance device, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        var r = await _engine.Authorizations.ReservationOfAsync(device.Udi, ct);
        return r is null ? null : new ReservationInfo(r.Authorization.Kind, r.Authorization.State, r.Label, r.Authorization.CodeXml,
            r.Authorization.Entitlements.Select(e => (e.Tag, e.Count)).ToList());
    }

    /// <summary>"Enter Confirmation Code": the code the device printed after installing its reservation; false when it matches nothing awaiting confirmation.</summary>
    public async Task<bool> ConfirmReservationAsync(SimulatedProductInstance device, string confirmationCode, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentException.ThrowIfNullOrWhiteSpace(confirmationCode);
        return await _engine.Authorizations.ConfirmAsync(device.Udi, confirmationCode, ct) is not null;
    }

    /// <summary>"Update Reserved Licenses": the whole new set of the device's SLR; returns the new authorization code (in transition until confirmed).</summary>
    /// <exception cref="ArgumentException">No SLR to update, unknown license, or not enough licenses.</exception>
    public Task<string> UpdateReservationAsync(SimulatedProductInstance device, IReadOnlyList<(string Tag, long Count)> licenses, CancellationToken ct = default) =>
        EngineAccess.CallAsync(async () =>
        {
            ArgumentNullException.ThrowIfNull(device);
            var pi = await _engine.Store.Inventory.FindProductInstanceAsync(device.Udi.ToString(), ct) ?? throw new ArgumentException($"{device.Udi} is not a known product instance");
            var (account, va) = await _engine.Store.Accounts.FindByVirtualAccountIdAsync(pi.VirtualAccountId, ct) ?? throw new ArgumentException($"{device.Udi} has no Virtual Account");
            var outcome = await _engine.Authorizations.UpdateReservationAsync(account, va, device.Udi, licenses, ct);
            return outcome.Succeeded ? outcome.AuthorizationCode! : throw new ArgumentException(outcome.ErrorMessage);
        });

    private static ProductInstanceInfo ToInfo(StoredProductInstance p, string domain, string virtualAccount) => new(
        p.Udi, p.Pid, p.Serial, p.Piid, domain, virtualAccount, p.Hostname, p.HaRole, p.HaGroup, p.TrustCodeId, p.TrustedAt, p.TrustTokenId,
        p.RegisteredAt, p.LastContact);
}
