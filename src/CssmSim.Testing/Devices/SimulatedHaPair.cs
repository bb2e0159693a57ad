namespace CssmSim.Testing.Devices;

/// <summary>
/// Two product instances in one HA set: the active asks trust for both (scope <c>all</c>), and
/// TRUST_SYNC gives the standby trust when it lacks it. Over HTTP only, like the devices.
/// </summary>
public sealed class SimulatedHaPair
{
    /// <param name="active">The device that talks to CSSM.</param>
    /// <param name="standby">Its standby.</param>
    public SimulatedHaPair(SimulatedProductInstance active, SimulatedProductInstance standby)
    {
        ArgumentNullException.ThrowIfNull(active);
        ArgumentNullException.ThrowIfNull(standby);
        if (active.Udi == standby.Udi) throw new ArgumentException($"an HA pair needs two UDIs, not {active.Udi} twice", nameof(standby));
        Active = active;
        Standby = standby;
    }

    /// <summary>The active member.</summary>
    public SimulatedProductInstance Active { get; }

    /// <summary>The standby member.</summary>
    public SimulatedProductInstance Standby { get; }

    /// <summary>Both members, active first.</summary>
    public IReadOnlyList<SimulatedProductInstance> Members => [Active, Standby];

    private IReadOnlyList<(string Role, SimulatedProductInstance Device)> Roles => [("Active", Active), ("Standby", Standby)];

    /// <summary>TRUST_ESTABLISHMENT from the active with scope <c>all</c>: one trust code per member, one use of the token.</summary>
    public Task<TrustResult> EstablishTrustAsync(string idToken, bool force = false, CancellationToken ct = default) =>
        Active.EstablishTrustAsync(idToken, scopeAll: true, force: force, haMembers: Roles, ct: ct);

    /// <summary>TRUST_SYNC from the active: trust for a member that lacks it, without a token.</summary>
    public Task<TrustResult> SyncTrustAsync(CancellationToken ct = default) => Active.SyncTrustAsync(Roles, ct);

    /// <inheritdoc/>
    public override string ToString() => $"HA pair {Active.Udi} / {Standby.Udi}";
}
