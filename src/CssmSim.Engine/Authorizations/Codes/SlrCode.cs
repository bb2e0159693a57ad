using System.Diagnostics.CodeAnalysis;
using System.Xml.Linq;
using CssmSim.Engine.Signing;

namespace CssmSim.Engine.Authorizations.Codes;

/// <summary>
/// The SLR (specific reservation) authorization code, one line:
/// <c>&lt;specificPLR&gt;&lt;authorizationCode&gt;…&lt;/authorizationCode&gt;&lt;signature&gt;BASE64&lt;/signature&gt;&lt;udi&gt;P:PID,S:SERIAL&lt;/udi&gt;&lt;/specificPLR&gt;</c>
/// (artefacts.md §Reservation and SLAC codes). The signature covers the exact UTF-8 bytes of the
/// <c>&lt;authorizationCode&gt;</c> element; an update lists every reserved licence again.
/// </summary>
public static class SlrCode
{
    internal const string RootName = "specificPLR";

    /// <summary>
    /// Signs a code for <paramref name="udi"/> (flag <c>A</c>, version <c>C</c>). Keep the result
    /// for its <see cref="SignedAuthorizationCode.ExpectedConfirmationCode"/>; the text to hand out
    /// is <see cref="SignedAuthorizationCode.ToSlrXml"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A value XML cannot carry, a negative count or timestamp.</exception>
    public static SignedAuthorizationCode Create(
        Guid piid, UdiRef udi, long timestampMs, IEnumerable<CodeEntitlement> entitlements, ArtefactSigner signer)
    {
        ArgumentNullException.ThrowIfNull(entitlements);
        var content = new AuthorizationCodeContent(
            AuthorizationCodeContent.SpecificFlag, AuthorizationCodeContent.CurrentVersion, piid.ToString("D"), timestampMs, entitlements.ToList());
        return SignedAuthorizationCode.Sign(content, udi, signer);
    }

    /// <summary>The one-line <c>&lt;specificPLR&gt;</c> text of <see cref="Create"/>.</summary>
    public static string Build(
        Guid piid, UdiRef udi, long timestampMs, IEnumerable<CodeEntitlement> entitlements, ArtefactSigner signer) =>
        Create(piid, udi, timestampMs, entitlements, signer).ToSlrXml();

    /// <summary>
    /// Reads a <c>&lt;specificPLR&gt;</c> code (surrounding whitespace and line breaks between
    /// elements allowed). Never throws; <paramref name="error"/> says what is wrong.
    /// </summary>
    public static bool TryParse(
        string? text, [NotNullWhen(true)] out SignedAuthorizationCode? code, [NotNullWhen(false)] out string? error)
    {
        if (!SignedAuthorizationCode.TryParse(text, FindContainer, out code, out error))
        {
            return false;
        }

        if (code.Content.Flag == AuthorizationCodeContent.UniversalFlag)
        {
            code = null;
            error = $"An SLR code never has the PLR flag {AuthorizationCodeContent.UniversalFlag}.";
            return false;
        }

        return true;
    }

    /// <exception cref="FormatException">The text is not an SLR code.</exception>
    public static SignedAuthorizationCode Parse(string text) =>
        TryParse(text, out var code, out var error) ? code : throw new FormatException(error);

    private static (XElement?, string?) FindContainer(XElement root) =>
        root.Name == RootName ? (root, null) : (null, $"An SLR code has the root <{RootName}>, not <{root.Name.LocalName}>.");
}
