using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Security.Cryptography;
using System.Xml.Linq;
using CssmSim.Engine.Signing;

namespace CssmSim.Engine.Authorizations.Codes;

/// <summary>
/// PLR (universal reservation) codes. The spec fixes only what a user sees: six groups of six
/// alphanumerics joined by <c>-</c>, derived from a signature. The simulator's choices:
/// <list type="bullet">
/// <item>The signed form is a <see cref="SignedAuthorizationCode"/> whose content has flag
/// <c>U</c> (<see cref="AuthorizationCodeContent.UniversalFlag"/>), version <c>C</c>, the PIID,
/// the timestamp and the entitlements asked for (none for a plain universal reservation), signed
/// like an SLR code over the exact <c>&lt;authorizationCode&gt;</c> bytes and kept as
/// <c>&lt;universalPLR&gt;&lt;authorizationCode&gt;…&lt;/authorizationCode&gt;&lt;signature&gt;BASE64&lt;/signature&gt;&lt;udi&gt;P:PID,S:SN&lt;/udi&gt;&lt;/universalPLR&gt;</c>
/// (<see cref="SignedAuthorizationCode.ToUniversalPlrXml"/>). The flag keeps an SLR code from
/// passing for a PLR authorization and back.</item>
/// <item>The visible code (<see cref="From"/>) is SHA-256 of the signature bytes, read as an
/// unsigned big-endian integer, reduced modulo 62^36 and written as 36 base62 digits
/// (<c>0-9A-Za-z</c>, left-padded with <c>0</c>) in six groups of six. The same signature always
/// gives the same code.</item>
/// <item>To check a code the device shows against a stored authorization: the authorization
/// <see cref="SignedAuthorizationCode.Verify(string)"/>s and <see cref="Matches"/> the code.</item>
/// </list>
/// </summary>
public static class PlrCode
{
    internal const string RootName = "universalPLR";

    private const int Groups = 6;
    private const int GroupSize = 6;
    private const int Digits = Groups * GroupSize;

    private static readonly BigInteger Modulus = BigInteger.Pow(62, Digits);

    /// <summary>Signs a universal authorization for <paramref name="udi"/>; hand out <see cref="From"/> of it.</summary>
    /// <exception cref="ArgumentException">A value XML cannot carry, a negative count or timestamp.</exception>
    public static SignedAuthorizationCode Create(
        Guid piid, UdiRef udi, long timestampMs, IEnumerable<CodeEntitlement> entitlements, ArtefactSigner signer)
    {
        ArgumentNullException.ThrowIfNull(entitlements);
        var content = new AuthorizationCodeContent(
            AuthorizationCodeContent.UniversalFlag, AuthorizationCodeContent.CurrentVersion, piid.ToString("D"), timestampMs, entitlements.ToList());
        return SignedAuthorizationCode.Sign(content, udi, signer);
    }

    /// <summary>The visible PLR code of <paramref name="authorization"/>.</summary>
    public static string From(SignedAuthorizationCode authorization)
    {
        ArgumentNullException.ThrowIfNull(authorization);
        return FromSignature(authorization.Signature.Span);
    }

    /// <summary>The visible PLR code derived from <paramref name="signature"/> (deterministic).</summary>
    public static string FromSignature(ReadOnlySpan<byte> signature)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(signature, hash);
        var value = BigInteger.Remainder(new BigInteger(hash, isUnsigned: true, isBigEndian: true), Modulus);
        return Base62.Group(Base62.Encode(value, Digits), GroupSize);
    }

    /// <summary>Six groups of six <c>0-9A-Za-z</c> joined by <c>-</c>, after trimming.</summary>
    public static bool IsWellFormed(string? code) => Base62.TryUngroup(code, [6, 6, 6, 6, 6, 6], out _);

    /// <summary>Whether <paramref name="code"/> (trimmed) is the visible code of <paramref name="authorization"/>.</summary>
    public static bool Matches(SignedAuthorizationCode authorization, string? code)
    {
        ArgumentNullException.ThrowIfNull(authorization);
        return IsWellFormed(code) && code.AsSpan().Trim().SequenceEqual(From(authorization));
    }

    /// <summary>Reads the stored <c>&lt;universalPLR&gt;</c> form; its flag must be <c>U</c>. Never throws.</summary>
    public static bool TryParse(
        string? text, [NotNullWhen(true)] out SignedAuthorizationCode? authorization, [NotNullWhen(false)] out string? error)
    {
        if (!SignedAuthorizationCode.TryParse(text, FindContainer, out authorization, out error))
        {
            return false;
        }

        if (authorization.Content.Flag != AuthorizationCodeContent.UniversalFlag)
        {
            authorization = null;
            error = $"A PLR authorization has the flag {AuthorizationCodeContent.UniversalFlag}.";
            return false;
        }

        return true;
    }

    /// <exception cref="FormatException">The text is not a PLR authorization.</exception>
    public static SignedAuthorizationCode Parse(string text) =>
        TryParse(text, out var authorization, out var error) ? authorization : throw new FormatException(error);

    private static (XElement?, string?) FindContainer(XElement root) =>
        root.Name == RootName ? (root, null) : (null, $"A PLR authorization has the root <{RootName}>, not <{root.Name.LocalName}>.");
}
