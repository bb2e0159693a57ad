namespace CssmSim.Engine.Faults;

/// <summary>The surfaces and operations fault rules match on (control.md §Faults); the journal uses the same names.</summary>
public static class FaultCatalog
{
    public const string AnySurface = "*";
    public const string NotSimulated = "notSimulated";

    public static readonly IReadOnlyList<string> Surfaces = ["oauth", "cssm-api", "slp", "smart-transport", "usage-files", "portal", "control"];

    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Operations = new Dictionary<string, IReadOnlyList<string>>
    {
        ["oauth"] = ["token"],
        ["cssm-api"] = ["accounts.search", "accounts.list", "virtualAccounts.list", "tokens.list", "tokens.create", "tokens.revoke",
            "licenses.list", "devices.list", "licenses.summary", "licenses.transfer", "reserveLicenses"],
        ["slp"] = ["authrequest", "reportusage", "poll"],
        ["smart-transport"] = ["HELLO", "TRUST_ESTABLISHMENT", "USAGE_REPORTING", "RESULT_POLLING", "AUTHORIZATION_REQUEST",
            "AUTHORIZATION_CONFIRMATION", "AUTHORIZATION_RETURN", "TRUST_SYNC", "TRUST_ACKNOWLEDGEMENT", "TELEMETRY_REPORTING"],
        ["usage-files"] = ["upload", "ack"],
        ["portal"] = [],
        ["control"] = [],
    };

    /// <summary>Whether <paramref name="operation"/> names an operation of <paramref name="surface"/> (any surface when null or <c>*</c>).</summary>
    public static bool IsKnownOperation(string? surface, string operation)
    {
        if (operation == NotSimulated) return true;
        if (surface is null or AnySurface) return Operations.Values.Any(ops => ops.Contains(operation));
        return Operations.TryGetValue(surface, out var list) && list.Contains(operation);
    }
}
