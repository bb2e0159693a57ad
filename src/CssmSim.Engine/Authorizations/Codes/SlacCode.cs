using System.Diagnostics.CodeAnalysis;
using System.Xml.Linq;
using CssmSim.Engine.Signing;

namespace CssmSim.Engine.Authorizations.Codes;

/// <summary>
/// The SLAC (Smart Licensing Authorization Code). As a file:
/// <c>&lt;smartLicense&gt;&lt;smartLicenseAuthorization&gt;&lt;authorizationCode&gt;…&lt;/authorizationCode&gt;&lt;signature&gt;BASE64&lt;/signature&gt;&lt;udi&gt;P:PID,S:SN&lt;/udi&gt;&lt;/smartLicenseAuthorization&gt;&lt;/smartLicense&gt;</c>;
/// inside an ACK the <c>&lt;smartLicenseAuthorization&gt;</c> element alone. Same content model
/// and signature rule as <see cref="SlrCode"/>.
/// </summary>
public static class SlacCode
{
    internal const string ElementName = "smartLicenseAuthorization";

    /// <summary>
    /// Signs a SLAC for <paramref name="udi"/> (flag <c>A</c>, version <c>C</c>); render it with
    /// <see cref="SignedAuthorizationCode.ToSlacFileXml"/> or <see cref="SignedAuthorizationCode.ToSlacAckElementXml"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A value XML cannot carry, a negative count or timestamp.</exception>
    public static SignedAuthorizationCode Create(
        Guid piid, UdiRef udi, long timestampMs, IEnumerable<CodeEntitlement> entitlements, ArtefactSigner signer) =>
        SlrCode.Create(piid, udi, timestampMs, entitlements, signer);

    /// <summary>
    /// Reads a SLAC file (<c>&lt;smartLicense&gt;</c> holding only one
    /// <c>&lt;smartLicenseAuthorization&gt;</c>) or the bare element. Never throws.
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
            error = $"A SLAC never has the PLR flag {AuthorizationCodeContent.UniversalFlag}.";
            return false;
        }

        return true;
    }

    /// <exception cref="FormatException">The text is not a SLAC.</exception>
    public static SignedAuthorizationCode Parse(string text) =>
        TryParse(text, out var code, out var error) ? code : throw new FormatException(error);

    private static (XElement?, string?) FindContainer(XElement root)
    {
        if (root.Name == ElementName)
        {
            return (root, null);
        }

        if (root.Name != "smartLicense")
        {
            return (null, $"A SLAC has the root <smartLicense> or <{ElementName}>, not <{root.Name.LocalName}>.");
        }

        var children = root.Elements().ToList();
        return children is [{ } only] && only.Name == ElementName
            ? (only, null)
            : (null, $"A SLAC file's <smartLicense> holds exactly one <{ElementName}> and nothing else.");
    }
}
