namespace CssmSim.Server.Pipeline;

/// <summary>
/// The error-shape families of cssm-api.md §Error shapes (plus the control API and portal).
/// Chosen from the path, so even a request that matches no route, or fails before its endpoint
/// runs, is answered in the shape its client parses.
/// </summary>
public enum ApiFamily
{
    /// <summary><c>{"error","error_description"}</c></summary>
    OAuth,
    /// <summary><c>{"status":"ERROR","statusMessage"}</c>: v1 account APIs, v2/accounts, tokens, licenses, devices, transfer, reservations.</summary>
    V1,
    /// <summary><c>{"status":"FAILED","message_code","message"}</c>: v2 account search and license summary.</summary>
    V2Search,
    /// <summary><c>{"status":"FAILED","message"}</c>: devices/authrequest, devices/reportusage, accounts/poll.</summary>
    Slp,
    /// <summary><c>{"header","status":"FAILED","error":{"code","message"}}</c>: /licservice/license and the device push paths.</summary>
    SmartTransport,
    /// <summary>RFC 9457 problem+json: the simulator's own control API.</summary>
    Control,
    /// <summary>Plain text: the portal and anything else.</summary>
    Portal,
}

/// <summary>The journal's surface names (control.md §Faults), which fault rules match on too.</summary>
public static class Surfaces
{
    public const string OAuth = "oauth";
    public const string CssmApi = "cssm-api";
    public const string Slp = "slp";
    public const string SmartTransport = "smart-transport";
    public const string UsageFiles = "usage-files";
    public const string Portal = "portal";
    public const string Control = "control";

    /// <summary>Surfaces whose requests the journal records.</summary>
    public static bool IsJournaled(string surface) => surface is OAuth or CssmApi or Slp or SmartTransport or UsageFiles;
}

public static class ApiPaths
{
    public const string Prefix = "/services/api/smart-accounts-and-licensing";

    /// <summary>Which family and surface a (normalised) path belongs to.</summary>
    public static (ApiFamily Family, string Surface) Classify(PathString path)
    {
        var p = path.Value ?? "/";
        if (StartsWith(p, "/as/") || StartsWith(p, "/oauth2/") || StartsWith(p, "/idp/")) return (ApiFamily.OAuth, Surfaces.OAuth);
        if (StartsWith(p, "/services/api/"))
        {
            var rest = StartsWith(p, Prefix + "/") ? p[(Prefix.Length + 1)..].TrimEnd('/') : "";
            if (rest.Equals("v2/accounts/search", StringComparison.OrdinalIgnoreCase)
                || rest.Equals("v2/licenses/summary", StringComparison.OrdinalIgnoreCase)
                || rest.Equals("v3/licenses/summary", StringComparison.OrdinalIgnoreCase))
                return (ApiFamily.V2Search, Surfaces.CssmApi);
            if (StartsWith(rest, "v2/devices/") || rest.Equals("v2/accounts/poll", StringComparison.OrdinalIgnoreCase))
                return (ApiFamily.Slp, Surfaces.Slp);
            return (ApiFamily.V1, Surfaces.CssmApi);
        }
        if (StartsWith(p, "/v1/software/")) return (ApiFamily.V1, Surfaces.CssmApi);
        if (StartsWith(p, "/licservice/") || StartsWith(p, "/its/") || StartsWith(p, "/cslu/")) return (ApiFamily.SmartTransport, Surfaces.SmartTransport);
        if (StartsWith(p, "/_sim/usage-files")) return (ApiFamily.Control, Surfaces.UsageFiles);
        if (StartsWith(p, "/_sim/") || p.Equals("/_sim", StringComparison.OrdinalIgnoreCase)) return (ApiFamily.Control, Surfaces.Control);
        return (ApiFamily.Portal, Surfaces.Portal);
    }

    private static bool StartsWith(string p, string prefix) => p.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);
}
