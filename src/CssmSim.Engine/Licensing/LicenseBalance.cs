namespace CssmSim.Engine.Licensing;

/// <summary>
/// One license of a Virtual Account with its accounting: the pool entry (null when product
/// instances of the VA report a tag the VA holds none of) and how its use splits.
/// </summary>
public sealed record LicenseBalance(
    string VirtualAccountId,
    string Tag,
    string DisplayName,
    Enforcement Enforcement,
    License? Pool,
    UsageSplit Usage,
    bool StartsLater,
    bool Expired = false)
{
    /// <summary>CSSM's alert for a license whose balance is negative (Inventory → Licenses, "Alerts" column).</summary>
    public const string InsufficientLicenses = "Insufficient Licenses";

    /// <summary>The pool's licenses; a TERM or DEMO license past its end date has left the pool.</summary>
    public long Purchased => Expired ? 0 : Pool?.Quantity ?? 0;
    public long InUse => Usage.InUse;
    public long Reserved => Usage.Reserved;
    public long Pending => Usage.Pending;
    public long Available => LicenseAccounting.Available(Purchased, Usage);

    /// <summary>
    /// Derived, never stored: out of compliance when use exceeds the pool (negative available), or when an
    /// enforced or export-controlled license is used beyond what authorization codes cover.
    /// </summary>
    public bool InCompliance => Available >= 0 && !UsedWithoutAuthorization;

    /// <summary>Reported use of an enforced or export-controlled license that no authorization covers.</summary>
    public bool UsedWithoutAuthorization => Enforcement != Enforcement.Unenforced && InUse > 0;

    /// <summary>The license's alerts as CSSM lists them: <c>Insufficient Licenses</c> when the balance is negative.</summary>
    public IReadOnlyList<string> Alerts => Available < 0 ? [InsufficientLicenses] : [];

    /// <summary>Purchased licenses whose term has begun.</summary>
    public long Entitled => StartsLater ? 0 : Purchased;

    /// <summary>Purchased licenses whose term starts after today.</summary>
    public long FutureEntitled => StartsLater ? Purchased : 0;

    /// <summary>What a transfer may take: the purchased licenses nothing consumes.</summary>
    public long Transferable => Math.Max(0, Available);
}

/// <summary>An authorization's hold on one tag for one product instance, for accounting.</summary>
/// <param name="Udi">The product instance (<c>PID:x,SN:y</c>).</param>
/// <param name="Tag">The entitlement tag (either form).</param>
/// <param name="Count">The authorized count.</param>
/// <param name="InTransition">How much of <paramref name="Count"/> the device has not confirmed yet.</param>
public sealed record InstanceAuthorization(string Udi, string Tag, long Count, long InTransition = 0);

/// <summary>
/// Where the accounting learns what authorizations (SLAC, SLR, PLR) hold. The authorizations
/// capability supplies it by registering an implementation; without one, no license is reserved.
/// </summary>
public interface IAuthorizationSource
{
    /// <summary>The active authorizations of the product instances of a Virtual Account.</summary>
    Task<IReadOnlyList<InstanceAuthorization>> ActiveAsync(string virtualAccountId, CancellationToken ct = default);
}
