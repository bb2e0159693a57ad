namespace CssmSim.Engine.Licensing;

/// <summary>
/// Short names for the default seed's entitlement tags (<c>DNA_NWStack</c> for
/// <c>regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-…</c>). Scenario files and the test fixture's
/// simulated devices resolve them the same way, so a short name never becomes a license of its own.
/// </summary>
public static class LicenseShortNames
{
    public static readonly IReadOnlyDictionary<string, string> Aliases = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["DNA_NWStack"] = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896",
        ["AIR-DNA-A"] = "regid.2017-08.com.cisco.AIR-DNA-A,1.0_b6308627-3ab0-4a11-a3d9-586911a0d790",
        ["DNA_HSEC"] = "regid.2019-03.com.cisco.DNA_HSEC,1.0_509c41ab-05a8-431f-95fe-ec28086e8844",
        ["CSSMSIM_ENFORCED_DEMO"] = "regid.2020-01.com.cisco.CSSMSIM_ENFORCED_DEMO,1.0_00000000-0000-4000-8000-000000000001",
    };

    /// <summary>The full tag for a short name; anything else as given.</summary>
    public static string Resolve(string tag) => Aliases.TryGetValue(tag, out var full) ? full : tag;
}
