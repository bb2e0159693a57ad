namespace CssmSim.Engine.Licensing;

/// <summary>How CSSM enforces a license (SPEC §2).</summary>
public enum Enforcement { Unenforced, Enforced, ExportControlled }

/// <summary>The seeded license type; PERPETUAL and STANDARD count as perpetual for policy, TERM and DEMO as subscription.</summary>
public enum LicenseType { Perpetual, Standard, Term, Demo }

public static class LicenseNames
{
    public static string ToWire(this Enforcement e) => e switch
    {
        Enforcement.Enforced => "enforced",
        Enforcement.ExportControlled => "export-controlled",
        _ => "unenforced",
    };

    public static bool TryParseEnforcement(string? s, out Enforcement e)
    {
        switch (s)
        {
            case "unenforced": e = Enforcement.Unenforced; return true;
            case "enforced": e = Enforcement.Enforced; return true;
            case "export-controlled": e = Enforcement.ExportControlled; return true;
            default: e = default; return false;
        }
    }

    public static string ToWire(this LicenseType t) => t.ToString().ToUpperInvariant();

    public static bool TryParseType(string? s, out LicenseType t)
    {
        switch (s)
        {
            case "PERPETUAL": t = LicenseType.Perpetual; return true;
            case "STANDARD": t = LicenseType.Standard; return true;
            case "TERM": t = LicenseType.Term; return true;
            case "DEMO": t = LicenseType.Demo; return true;
            default: t = default; return false;
        }
    }

    /// <summary>TERM and DEMO licenses carry dates; PERPETUAL and STANDARD do not.</summary>
    public static bool IsSubscription(this LicenseType t) => t is LicenseType.Term or LicenseType.Demo;
}

/// <summary>A license pool entry of one Virtual Account.</summary>
public sealed record License(
    string VirtualAccountId,
    string Tag,
    string DisplayName,
    Enforcement Enforcement,
    LicenseType Type,
    long Quantity,
    DateOnly? StartDate,
    DateOnly? EndDate);
