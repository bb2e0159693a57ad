using CssmSim.Engine.Licensing;

namespace CssmSim.Testing;

/// <summary>A license pool entry of a Virtual Account.</summary>
/// <param name="Tag">The entitlement tag, e.g. <c>regid.2019-03.com.cisco.DNA_HSEC,1.0_...</c>.</param>
/// <param name="DisplayName">The name CSSM shows.</param>
/// <param name="Enforcement"><c>unenforced</c>, <c>enforced</c> or <c>export-controlled</c>.</param>
/// <param name="Type"><c>PERPETUAL</c>, <c>STANDARD</c>, <c>TERM</c> or <c>DEMO</c>.</param>
/// <param name="Quantity">How many were purchased.</param>
/// <param name="StartDate">When a term license starts.</param>
/// <param name="EndDate">When a term license ends.</param>
public sealed record LicenseInfo(string Tag, string DisplayName, string Enforcement, string Type, long Quantity, DateOnly? StartDate, DateOnly? EndDate)
{
    /// <summary>In use: the latest reports of the Virtual Account's product instances (plus pending authorizations), as the portal's Licenses page counts.</summary>
    public long InUse { get; init; }

    /// <summary>Held by SLR, PLR and SLAC authorizations.</summary>
    public long Reserved { get; init; }

    /// <summary><see cref="Quantity"/> less what is in use and reserved; negative when over-used.</summary>
    public long Available { get; init; }
}

/// <summary>Licenses held by Virtual Accounts.</summary>
public sealed class SimulatorLicenses
{
    private readonly EngineAccess _engine;

    internal SimulatorLicenses(EngineAccess engine) => _engine = engine;

    /// <summary>A Virtual Account's licenses, by tag, with what is in use, reserved and available.</summary>
    public Task<IReadOnlyList<LicenseInfo>> ListAsync(string virtualAccount = "DEFAULT", string? smartAccount = null, CancellationToken ct = default) =>
        EngineAccess.CallAsync(async () =>
        {
            var (_, va) = await _engine.VirtualAccountAsync(smartAccount, virtualAccount, ct);
            var balances = (await _engine.Licenses.BalancesAsync(va, ct)).ToDictionary(b => EntitlementTag.Normalize(b.Tag), StringComparer.OrdinalIgnoreCase);
            return (IReadOnlyList<LicenseInfo>)(await _engine.Store.Accounts.ListLicensesAsync(va.Id, ct))
                .Select(l =>
                {
                    var b = balances.GetValueOrDefault(EntitlementTag.Normalize(l.Tag));
                    return new LicenseInfo(l.Tag, l.DisplayName, l.Enforcement.ToWire(), l.Type.ToWire(), l.Quantity, l.StartDate, l.EndDate)
                    {
                        InUse = b?.InUse ?? 0,
                        Reserved = b?.Reserved ?? 0,
                        Available = b?.Available ?? l.Quantity,
                    };
                }).ToList();
        });
}
