using System.Security.Cryptography;
using System.Text;

namespace CssmSim.Engine.Authorizations.Codes;

/// <summary>
/// The code a device prints after installing an SLR code or a SLAC: the first 8 lowercase hex
/// characters of SHA-256 over the <c>&lt;authorizationCode&gt;</c> element bytes (e.g. <c>102fc949</c>).
/// </summary>
public static class ConfirmationCode
{
    public const int Length = 8;

    public static string For(ReadOnlySpan<byte> authorizationCodeElementBytes)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(authorizationCodeElementBytes, hash);
        return Convert.ToHexStringLower(hash[..(Length / 2)]);
    }

    /// <summary>The code over the UTF-8 bytes of <paramref name="authorizationCodeElement"/>.</summary>
    public static string For(string authorizationCodeElement)
    {
        ArgumentNullException.ThrowIfNull(authorizationCodeElement);
        return For(Encoding.UTF8.GetBytes(authorizationCodeElement));
    }

    /// <summary>Exactly 8 lowercase hex characters after trimming.</summary>
    public static bool IsWellFormed(string? code)
    {
        if (code is null)
        {
            return false;
        }

        var t = code.AsSpan().Trim();
        if (t.Length != Length)
        {
            return false;
        }

        foreach (var c in t)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether a device's <paramref name="candidate"/> (trimmed) is <paramref name="expected"/>.</summary>
    public static bool Matches(string? candidate, string expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        return IsWellFormed(candidate) && candidate.AsSpan().Trim().SequenceEqual(expected);
    }
}
