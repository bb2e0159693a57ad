using CssmSim.Engine.Licensing;

namespace CssmSim.Scenarios.Running;

/// <summary>Short names for the default seed's entitlement tags, so scenario files stay readable (the fixture resolves the same ones).</summary>
public static class Tags
{
    public static IReadOnlyDictionary<string, string> Aliases => LicenseShortNames.Aliases;

    /// <summary>The full tag for a short name; anything else as given.</summary>
    public static string Resolve(string tag) => LicenseShortNames.Resolve(tag);
}
