using CssmSim.Engine.Accounts;
using CssmSim.Engine.Faults;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Storage;

namespace CssmSim.Engine.Devices;

/// <summary>Settings of the device rules (<c>SmartTransport:MaxClockSkewSeconds</c>, <c>Rum:StrictSignatures</c>).</summary>
public sealed record DeviceRules(long? MaxClockSkewSeconds = null, bool StrictRumSignatures = false);

/// <summary>Who sent a device message that names no account: its product instance (when known) and that instance's account.</summary>
public sealed record DeviceSender(Udi Udi, SmartAccount? Account, VirtualAccount? VirtualAccount)
{
    internal StoredProductInstance? Instance { get; init; }

    public bool Known => Instance is not null;
    public bool Trusted => Instance?.TrustCodeId is not null;
    public string? Piid => Instance?.Piid;
    /// <summary>The product instance's key in the store, whose last contact a handled message sets; null when unknown.</summary>
    public string? InstanceUdi => Instance?.Udi;
}

/// <summary>A device message let in (or refused) before its operation runs, with the fault rule that fired on it.</summary>
public sealed record Admission(DeviceSender Sender, FaultDecision? Fault, CssmError? Refusal);

/// <summary>
/// What every device message goes through before its operation: the sender identified, the fault
/// question asked once, CSSM's clock-skew rule; and, after a handled message, the contact recorded.
/// </summary>
public sealed class DeviceGate(ISimulatorStore store, TimeProvider clock, DeviceRules rules)
{
    public async Task<DeviceSender> IdentifyAsync(Udi udi, CancellationToken ct = default)
    {
        var pi = await store.Inventory.FindProductInstanceAsync(udi.ToString(), ct);
        var owner = pi is null ? null : await store.Accounts.FindByVirtualAccountIdAsync(pi.VirtualAccountId, ct);
        return new DeviceSender(udi, owner?.Account, owner?.VirtualAccount) { Instance = pi };
    }

    /// <summary>
    /// The UDI a PIID names (smart-transport <c>product_instance_identifier</c>); null when no product instance has it,
    /// never had it or was removed: the device must register again.
    /// </summary>
    public async Task<Udi?> IdentifyByPiidAsync(string piid, CancellationToken ct = default) =>
        await store.Inventory.FindProductInstanceByPiidAsync(piid, ct) is { } pi ? new Udi(pi.Pid, pi.Serial) : null;

    /// <summary>
    /// Identifies the sender, asks the fault point about <paramref name="operation"/> and checks the
    /// message time. <paramref name="operationAnswersFaultError"/>: the operation applies an injected
    /// error itself (result polling, whose poll effects come first).
    /// </summary>
    public async Task<Admission> AdmitAsync(Udi udi, string operation, long? sentAtMs, IFaultPoint faults, bool operationAnswersFaultError = false,
        CancellationToken ct = default)
    {
        var sender = await IdentifyAsync(udi, ct);
        var decision = await faults.AskAsync(new FaultQuestion(operation, sender.Account?.Domain, sender.VirtualAccount?.Name, udi.Pid, udi.Serial));
        if (decision?.Effect.Error is { } code && !operationAnswersFaultError) return new Admission(sender, decision, CssmError.ServerError(code));
        return new Admission(sender, decision, SkewProblem(sentAtMs));
    }

    /// <summary>CLOCK_SKEW when the device's clock is further from CSSM's than the configured limit.</summary>
    public CssmError? SkewProblem(long? sentAtMs)
    {
        if (rules.MaxClockSkewSeconds is not { } max || sentAtMs is not { } ts) return null;
        var skew = Math.Abs(clock.GetUtcNow().ToUnixTimeMilliseconds() - ts) / 1000.0;
        return skew > max ? new CssmError(CssmCodes.ClockSkew, $"header.timestamp is {skew:0} s away from CSSM time (limit {max} s)") : null;
    }

    /// <summary>Only a message that was handled counts as contact: a refused one leaves the store as it was.</summary>
    public Task ContactAsync(DeviceSender sender, CancellationToken ct = default) =>
        sender.Instance is { } pi ? store.Inventory.TouchAsync(pi.Udi, clock.GetUtcNow(), ct) : Task.CompletedTask;

    /// <summary>The account the SLP headers name (<c>X-CSW-SMART-ACCOUNT-ID</c>, <c>X-CSW-VIRTUAL-ACCOUNT-ID</c>); null when unknown or not a pair.</summary>
    public async Task<(SmartAccount Account, VirtualAccount VirtualAccount)?> FindAccountAsync(string smartAccountId, string virtualAccountId,
        CancellationToken ct = default)
    {
        var owner = await store.Accounts.FindByVirtualAccountIdAsync(virtualAccountId, ct);
        return owner is { } o && o.Account.Id == smartAccountId ? o : null;
    }
}
