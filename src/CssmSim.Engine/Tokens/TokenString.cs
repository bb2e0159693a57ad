using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CssmSim.Engine.Ids;

namespace CssmSim.Engine.Tokens;

/// <summary>What <see cref="TokenString.Identify"/> recognised in an input.</summary>
public enum TokenKind
{
    /// <summary>A CSSM-format token: base64 of <c>&lt;uuid&gt;-&lt;expiry ms&gt;|&lt;secret&gt;</c>.</summary>
    Cssm,

    /// <summary>Any other non-empty string, taken verbatim (a seed token of another format).</summary>
    Verbatim,

    /// <summary>A bare token id (a hyphenated UUID): look the token up by id, not by value.</summary>
    BareId,

    /// <summary>Empty or longer than <see cref="TokenString.MaxInputLength"/>; see <see cref="TokenKey.Error"/>.</summary>
    Invalid,
}

/// <summary>
/// A normalised token input. <see cref="Canonical"/> is what a store compares: the decoded
/// <c>&lt;uuid&gt;-&lt;ms&gt;|&lt;secret&gt;</c> text for <see cref="TokenKind.Cssm"/>, the trimmed input for
/// <see cref="TokenKind.Verbatim"/>, and null for <see cref="TokenKind.BareId"/> and <see cref="TokenKind.Invalid"/>.
/// </summary>
public sealed record TokenKey(TokenKind Kind, Guid TokenId, string? Canonical, DateTimeOffset? Expires, string? Error = null)
{
    /// <summary>True for a token in CSSM's own format (its id and expiry come from inside it).</summary>
    public bool IsCssmFormat => Kind == TokenKind.Cssm;

    /// <summary>False only for <see cref="TokenKind.Invalid"/>.</summary>
    public bool IsValid => Kind != TokenKind.Invalid;
}

/// <summary>
/// Registration token strings (cssm-api.md §Registration tokens). A token is base64 of
/// <c>&lt;uuid&gt;-&lt;expiry epoch ms&gt;|&lt;base64 of 32 bytes&gt;</c>; its emitted form wraps that base64 at
/// 60 characters, ends every line with a newline and URL-encodes the result, so it holds no raw
/// newline and is safe in a URL path.
/// </summary>
public static partial class TokenString
{
    /// <summary>Inputs longer than this are refused (<see cref="TokenKind.Invalid"/>).</summary>
    public const int MaxInputLength = 4096;

    /// <summary>Base64 line length of the emitted form.</summary>
    public const int LineLength = 60;

    /// <summary>Length of the secret inside a token.</summary>
    public const int SecretLength = 32;

    // The latest instant DateTimeOffset can hold, in epoch milliseconds.
    private const long MaxEpochMs = 253_402_300_799_999;

    private const int MaxPercentPasses = 8;

    [GeneratedRegex(@"\A([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})-([0-9]{1,15})\|(.+)\z", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex DecodedShape();

    /// <summary>The emitted form of a token (the v1 <c>token</c> value, the portal copy and the <c>.txt</c> content).</summary>
    /// <exception cref="ArgumentException">The secret is not 32 bytes.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The expiry is before 1970-01-01 UTC.</exception>
    public static string Create(Guid tokenId, DateTimeOffset expires, ReadOnlySpan<byte> secret32)
    {
        if (secret32.Length != SecretLength)
            throw new ArgumentException($"a token secret is {SecretLength} bytes, not {secret32.Length}", nameof(secret32));
        var ms = expires.ToUnixTimeMilliseconds();
        ArgumentOutOfRangeException.ThrowIfNegative(ms, nameof(expires));

        var decoded = tokenId.ToString("D") + "-" + ms.ToString(CultureInfo.InvariantCulture) + "|" + Convert.ToBase64String(secret32);
        var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(decoded));

        var sb = new StringBuilder(base64.Length * 2);
        for (var i = 0; i < base64.Length; i += LineLength)
        {
            foreach (var c in base64.AsSpan(i, Math.Min(LineLength, base64.Length - i)))
            {
                sb.Append(c switch
                {
                    '=' => "%3D",
                    '+' => "%2B",
                    '/' => "%2F",
                    _ => c.ToString(),
                });
            }
            sb.Append("%0A");
        }
        return sb.ToString();
    }

    /// <summary>
    /// Normalises a token input (a body value, a <c>{token}</c> path segment, a CLI argument):
    /// percent-decodes while <c>%XX</c> remains, drops whitespace, base64-decodes and takes the UUID.
    /// A bare UUID is a token id; any other string is a verbatim seed token whose id is
    /// UUIDv5(<paramref name="seedNamespace"/>, trimmed input). Never throws.
    /// </summary>
    public static TokenKey Identify(string? input, Guid seedNamespace)
    {
        if (input is null) return Invalid("the token is empty");
        if (input.Length > MaxInputLength) return Invalid($"the token is longer than {MaxInputLength} characters");
        var trimmed = input.Trim();
        if (trimmed.Length == 0) return Invalid("the token is empty");

        var compact = RemoveWhitespace(PercentDecodeFully(trimmed));

        if (Guid.TryParseExact(compact, "D", out var bareId))
            return new TokenKey(TokenKind.BareId, bareId, null, null);

        if (TryDecodeCssm(compact, out var id, out var canonical, out var expires))
            return new TokenKey(TokenKind.Cssm, id, canonical, expires);

        return new TokenKey(TokenKind.Verbatim, Uuid.V5(seedNamespace, trimmed), trimmed, null);
    }

    private static TokenKey Invalid(string error) => new(TokenKind.Invalid, Guid.Empty, null, null, error);

    private static bool TryDecodeCssm(string compact, out Guid id, out string canonical, out DateTimeOffset expires)
    {
        id = Guid.Empty;
        canonical = "";
        expires = default;
        if (compact.Length == 0) return false;

        var padded = (compact.Length % 4) switch
        {
            0 => compact,
            2 => compact + "==",
            3 => compact + "=",
            _ => null,
        };
        if (padded is null) return false;

        var bytes = new byte[padded.Length / 4 * 3];
        if (!Convert.TryFromBase64String(padded, bytes, out var written)) return false;
        var decodedBytes = bytes.AsSpan(0, written);
        if (!System.Text.Unicode.Utf8.IsValid(decodedBytes)) return false;

        var text = Encoding.UTF8.GetString(decodedBytes);
        var m = DecodedShape().Match(text);
        if (!m.Success) return false;
        if (!Guid.TryParseExact(m.Groups[1].Value, "D", out id)) return false;
        if (!long.TryParse(m.Groups[2].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms > MaxEpochMs)
            return false;

        canonical = text;
        expires = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return true;
    }

    private static string RemoveWhitespace(string s)
    {
        if (!s.Any(char.IsWhiteSpace)) return s;
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
            if (!char.IsWhiteSpace(c)) sb.Append(c);
        return sb.ToString();
    }

    /// <summary>Percent-decodes until no <c>%XX</c> escape remains (bounded; a pass that changes nothing stops).</summary>
    internal static string PercentDecodeFully(string s)
    {
        for (var pass = 0; pass < MaxPercentPasses && HasEscape(s); pass++)
        {
            var next = PercentDecodeOnce(s);
            if (next == s) break;
            s = next;
        }
        return s;
    }

    private static bool HasEscape(string s)
    {
        for (var i = s.IndexOf('%'); i >= 0 && i + 2 < s.Length; i = s.IndexOf('%', i + 1))
            if (char.IsAsciiHexDigit(s[i + 1]) && char.IsAsciiHexDigit(s[i + 2])) return true;
        return false;
    }

    // Escapes become bytes, other characters their UTF-8 bytes; the bytes are read back as UTF-8
    // with replacement characters for invalid sequences (Encoding.UTF8 never throws on decode).
    private static string PercentDecodeOnce(string s)
    {
        var bytes = new List<byte>(s.Length);
        Span<byte> scratch = stackalloc byte[4];
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '%' && i + 2 < s.Length && char.IsAsciiHexDigit(s[i + 1]) && char.IsAsciiHexDigit(s[i + 2]))
            {
                bytes.Add((byte)(HexValue(s[i + 1]) << 4 | HexValue(s[i + 2])));
                i += 2;
                continue;
            }
            Rune rune;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                rune = new Rune(c, s[i + 1]);
                i++;
            }
            else
            {
                rune = char.IsSurrogate(c) ? Rune.ReplacementChar : new Rune(c);
            }
            var n = rune.EncodeToUtf8(scratch);
            for (var k = 0; k < n; k++) bytes.Add(scratch[k]);
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
