using CssmSim.Engine.Licensing;

namespace CssmSim.Engine.Policies;

/// <summary>The four license classes a policy gives reporting terms for (artefacts.md §Policy file).</summary>
public enum PolicyClass
{
    /// <summary><c>unenforced_perpetual</c>: unenforced PERPETUAL and STANDARD licenses.</summary>
    UnenforcedPerpetual,
    /// <summary><c>unenforced_subscription</c>: unenforced TERM and DEMO licenses.</summary>
    UnenforcedSubscription,
    /// <summary><c>enforced</c>: enforced licenses, perpetual or subscription.</summary>
    Enforced,
    /// <summary><c>export</c>: export-controlled licenses, perpetual or subscription.</summary>
    Export,
}

/// <summary>The three day counts of one license class; 0 means "not required".</summary>
/// <param name="FirstReportDays">The first report must be sent within this many days.</param>
/// <param name="ReportingFrequencyDays">Later reports must be sent within this many days.</param>
/// <param name="ReportOnChangeDays">After a usage change, a report must be sent within this many days.</param>
public sealed record PolicyTerms(int FirstReportDays, int ReportingFrequencyDays, int ReportOnChangeDays)
{
    /// <summary>The value of one day field by its JSON name (<c>first_report_days</c> and so on).</summary>
    public int this[string dayField] => dayField switch
    {
        "first_report_days" => FirstReportDays,
        "reporting_frequency_days" => ReportingFrequencyDays,
        "report_on_change_days" => ReportOnChangeDays,
        _ => throw new ArgumentOutOfRangeException(nameof(dayField), dayField, "not a policy day field"),
    };
}

/// <summary>Names of license classes and which class a license belongs to.</summary>
public static class PolicyClasses
{
    /// <summary>All classes in the order of the policy JSON.</summary>
    public static IReadOnlyList<PolicyClass> All { get; } =
        [PolicyClass.UnenforcedPerpetual, PolicyClass.UnenforcedSubscription, PolicyClass.Enforced, PolicyClass.Export];

    /// <summary>The JSON key of a class (<c>unenforced_perpetual</c>, <c>unenforced_subscription</c>, <c>enforced</c>, <c>export</c>).</summary>
    public static string JsonName(this PolicyClass c) => c switch
    {
        PolicyClass.UnenforcedPerpetual => "unenforced_perpetual",
        PolicyClass.UnenforcedSubscription => "unenforced_subscription",
        PolicyClass.Enforced => "enforced",
        PolicyClass.Export => "export",
        _ => throw new ArgumentOutOfRangeException(nameof(c), c, "unknown policy class"),
    };

    /// <summary>
    /// The class whose terms apply to a license: export-controlled and enforced licenses have their
    /// own classes; unenforced PERPETUAL and STANDARD count as perpetual, TERM and DEMO as subscription.
    /// </summary>
    public static PolicyClass Of(Enforcement enforcement, LicenseType type) => enforcement switch
    {
        Enforcement.ExportControlled => PolicyClass.Export,
        Enforcement.Enforced => PolicyClass.Enforced,
        _ => type.IsSubscription() ? PolicyClass.UnenforcedSubscription : PolicyClass.UnenforcedPerpetual,
    };

    /// <summary>The class whose terms apply to <paramref name="license"/>.</summary>
    public static PolicyClass Of(License license)
    {
        ArgumentNullException.ThrowIfNull(license);
        return Of(license.Enforcement, license.Type);
    }
}

/// <summary>
/// The Cisco default policy (artefacts.md §Policy file; the guides' Table 2) and the labels a
/// resolved policy uses.
/// </summary>
public static class PolicyDefaults
{
    /// <summary>The <c>version</c> of the policy JSON.</summary>
    public const string FormatVersion = "1.0";

    /// <summary>The <c>policy_name</c> when no custom policy applies.</summary>
    public const string PolicyName = "Cisco default";

    /// <summary>The <c>policy_name</c> of a custom policy that does not name itself.</summary>
    public const string UnnamedCustomPolicyName = "Custom policy";

    /// <summary>The source label of a value taken from the Cisco default.</summary>
    public const string CiscoSource = "CISCO default";

    /// <summary>The source label of a value set by a Smart or Virtual Account's custom policy.</summary>
    public const string CustomerSource = "Customer Policy";

    /// <summary>The XML element of a signed policy.</summary>
    public const string ElementName = "smartLicensePolicy";

    /// <summary>The JSON key (and <c>sources</c> key) of the ACK flag.</summary>
    public const string ReportingAckRequiredKey = "reporting_ack_required";

    /// <summary>The Cisco default is always "yes".</summary>
    public const bool ReportingAckRequired = true;

    /// <summary>Unenforced/Non-Export Perpetual: 365 / 0 / 90.</summary>
    public static PolicyTerms UnenforcedPerpetual { get; } = new(365, 0, 90);

    /// <summary>Unenforced/Non-Export Subscription: 90 / 90 / 90.</summary>
    public static PolicyTerms UnenforcedSubscription { get; } = new(90, 90, 90);

    /// <summary>Enforced (Perpetual/Subscription): 0 / 0 / 0.</summary>
    public static PolicyTerms Enforced { get; } = new(0, 0, 0);

    /// <summary>Export (Perpetual/Subscription): 0 / 0 / 0.</summary>
    public static PolicyTerms Export { get; } = new(0, 0, 0);

    /// <summary>The Cisco default terms of <paramref name="c"/>.</summary>
    public static PolicyTerms TermsOf(PolicyClass c) => c switch
    {
        PolicyClass.UnenforcedPerpetual => UnenforcedPerpetual,
        PolicyClass.UnenforcedSubscription => UnenforcedSubscription,
        PolicyClass.Enforced => Enforced,
        PolicyClass.Export => Export,
        _ => throw new ArgumentOutOfRangeException(nameof(c), c, "unknown policy class"),
    };

    /// <summary>
    /// Every <c>sources</c> key in the order of the policy JSON: <c>reporting_ack_required</c>, then
    /// <c>&lt;class&gt;.&lt;day field&gt;</c> for each class and day field.
    /// </summary>
    public static IReadOnlyList<string> AttributeKeys { get; } =
    [
        ReportingAckRequiredKey,
        .. PolicyClasses.All.SelectMany(c => PolicyAttributes.DayFields.Select(f => c.JsonName() + "." + f)),
    ];
}
