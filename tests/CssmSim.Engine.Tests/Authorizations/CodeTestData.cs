using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Engine.Signing;

namespace CssmSim.Engine.Tests.Authorizations;

/// <summary>Inputs and helpers shared by the code tests; values from the reference extractions where noted.</summary>
internal static class CodeTestData
{
    /// <summary>The PIID of the real SLR code, /work/shared/reference/seed-002.md line 583 (source L2452).</summary>
    public static readonly Guid Piid = Guid.Parse("bcf8d256-97d1-4444-84aa-691315b3a8b3");

    /// <summary>The timestamp of the same code, seed-002.md line 583.</summary>
    public const long TimestampMs = 1627512888369;

    /// <summary>The CSR1000V that installed it, seed-002.md line 618 (source L2481).</summary>
    public static readonly UdiRef CsrUdi = new("CSR1000V", "95QS2T1KUJX");

    /// <summary>The C9800-CL active unit whose return code is in seed-000.md lines 715–716.</summary>
    public static readonly UdiRef C9800Udi = new("C9800-CL-K9", "93BBAH93MGS");

    /// <summary>Both tags in the comma (report) form; the code XML must carry the dot form (seed-002.md lines 161–172).</summary>
    public const string Ax10GTag = "regid.2014-05.com.cisco.ax_10G,1.0_251f937f-655c-427d-b181-222784aae79a";

    public const string DnaHsecTag = "regid.2019-03.com.cisco.DNA_HSEC,1.0_509c41ab-05a8-431f-95fe-ec28086e8844";

    public static IReadOnlyList<CodeEntitlement> ReferenceEntitlements { get; } =
    [
        new(Ax10GTag, 1, "CSR 1KV AX 10G", "CSR 1KV AX 10G"),
        new(DnaHsecTag, 1, "Router US Export Lic. for DNA", "U.S. Export Restriction Compliance license for DNA based Routers"),
    ];

    public static ArtefactSigner Signer(SigningAlgorithm algorithm) => ArtefactSigner.Create(CertificateBundle.LoadEmbedded(), algorithm);

    /// <summary>Plain string search: the text from the first <paramref name="start"/> through the first <paramref name="end"/> after it.</summary>
    public static string Span(string text, string start, string end)
    {
        var i = text.IndexOf(start, StringComparison.Ordinal);
        i.ShouldBeGreaterThanOrEqualTo(0, $"'{start}' not found");
        var j = text.IndexOf(end, i, StringComparison.Ordinal);
        j.ShouldBeGreaterThan(i, $"'{end}' not found after '{start}'");
        return text[i..(j + end.Length)];
    }

    /// <summary>The text strictly between the first <paramref name="start"/> and the next <paramref name="end"/>.</summary>
    public static string Between(string text, string start, string end)
    {
        var span = Span(text, start, end);
        return span[start.Length..^end.Length];
    }

    /// <summary>The element the signature covers, found the way a user would: by plain string search.</summary>
    public static string AuthorizationCodeElement(string xml) => Span(xml, "<authorizationCode>", "</authorizationCode>");

    public static byte[] SignatureBytes(string xml) => Convert.FromBase64String(Between(xml, "<signature>", "</signature>"));
}
