using System.Security.Cryptography;
using System.Text;

namespace CssmSim.Engine.Usage;

/// <summary>
/// The <c>builtin</c> RUM signature: base64 of HMAC-SHA256 over the exact UTF-8 bytes of the
/// payload string, keyed with the device's 32-byte <c>rum_key</c> from its trust code
/// (artefacts.md §Trust code file). 32 bytes give the 44 base64 characters real reports carry.
/// </summary>
public static class RumSignature
{
    /// <summary>Length of a <c>rum_key</c>.</summary>
    public const int KeyLength = 32;

    /// <summary>The signature value for <paramref name="payloadJson"/>.</summary>
    /// <exception cref="ArgumentException">The key is not 32 bytes.</exception>
    public static string Sign(string payloadJson, ReadOnlySpan<byte> rumKey)
    {
        ArgumentNullException.ThrowIfNull(payloadJson);
        CheckKey(rumKey);
        return Convert.ToBase64String(HMACSHA256.HashData(rumKey, Encoding.UTF8.GetBytes(payloadJson)));
    }

    /// <summary>
    /// <see cref="Verify(string, string?, ReadOnlySpan{byte})"/> with the RUM key as stored with a trust code
    /// (base64); a missing or malformed stored key verifies nothing.
    /// </summary>
    public static bool VerifyWithStoredKey(string payloadJson, string? signatureValue, string? base64RumKey)
    {
        Span<byte> key = stackalloc byte[32];
        return base64RumKey is not null && Convert.TryFromBase64String(base64RumKey, key, out var n) && n == key.Length
            && Verify(payloadJson, signatureValue, key);
    }

    /// <summary>
    /// Whether <paramref name="signatureValue"/> is the signature of <paramref name="payloadJson"/>
    /// under <paramref name="rumKey"/> (constant-time comparison; a value that is not base64 of 32 bytes fails).
    /// </summary>
    /// <exception cref="ArgumentException">The key is not 32 bytes.</exception>
    public static bool Verify(string payloadJson, string? signatureValue, ReadOnlySpan<byte> rumKey)
    {
        ArgumentNullException.ThrowIfNull(payloadJson);
        CheckKey(rumKey);
        if (signatureValue is null || signatureValue.Length > 64) return false;
        Span<byte> given = stackalloc byte[48];
        if (!Convert.TryFromBase64String(signatureValue.Trim(), given, out var n) || n != HMACSHA256.HashSizeInBytes) return false;
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(rumKey, Encoding.UTF8.GetBytes(payloadJson), expected);
        return CryptographicOperations.FixedTimeEquals(expected, given[..n]);
    }

    private static void CheckKey(ReadOnlySpan<byte> rumKey)
    {
        if (rumKey.Length != KeyLength)
            throw new ArgumentException($"a rum_key is {KeyLength} bytes, not {rumKey.Length}", nameof(rumKey));
    }
}
