using CssmSim.Engine.Licensing;

namespace CssmSim.Engine.Authorizations.Codes;

/// <summary>
/// One <c>&lt;entitlement&gt;</c> of an authorization code. <see cref="Tag"/> is always the
/// canonical comma form (<see cref="EntitlementTag.Normalize"/>), whichever form it was given or
/// parsed in; the XML carries the dot form. Text values are kept as they are (empty when absent).
/// </summary>
public sealed record CodeEntitlement(
    string Tag,
    int Count,
    string DisplayName = "",
    string TagDescription = "",
    string LicenseType = CodeEntitlement.Perpetual,
    string StartDate = "",
    string EndDate = "",
    string SubscriptionId = "")
{
    public const string Perpetual = "PERPETUAL";

    private readonly string tag = Canonical(Tag);

    /// <summary>The canonical (comma) form, also after <c>with { Tag = ... }</c>.</summary>
    public string Tag
    {
        get => tag;
        init => tag = Canonical(value);
    }

    private static string Canonical(string value) =>
        EntitlementTag.Normalize(value ?? throw new ArgumentNullException(nameof(Tag)));
}
