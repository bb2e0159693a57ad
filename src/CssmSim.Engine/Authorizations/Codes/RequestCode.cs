using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace CssmSim.Engine.Authorizations.Codes;

/// <summary>A reservation request code taken apart (<see cref="RequestCode"/>).</summary>
/// <param name="Code">The code as parsed: the input with surrounding whitespace trimmed.</param>
/// <param name="Prefix">The two characters before <c>-Z</c> (not checked).</param>
/// <param name="Udi">The PID (from <c>-Z</c> to the last <c>:</c>) and serial number.</param>
/// <param name="Random">The segment between the serial number and the suffix.</param>
/// <param name="Suffix">The last segment (not checked).</param>
public sealed record ParsedRequestCode(string Code, string Prefix, UdiRef Udi, string Random, string Suffix);

/// <summary>
/// Reservation request codes, which a device prints for an SLR or PLR:
/// <c>&lt;2 chars&gt;-Z&lt;PID&gt;:&lt;serial&gt;-&lt;random&gt;-&lt;2 chars&gt;</c>
/// (artefacts.md §Reservation and SLAC codes). The PID runs from <c>-Z</c> to the <b>last</b>
/// <c>:</c>, so it may hold <c>:</c> and <c>-</c>; the serial number may hold <c>-</c> (the last
/// two <c>-</c> end it) but not <c>:</c>.
/// </summary>
public static class RequestCode
{
    public const int MaxLength = 512;

    private const string Alphanumerics = Base62.Alphabet;
    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Hex = "0123456789ABCDEF";

    /// <summary>Takes a request code apart after trimming it. Never throws; <paramref name="error"/> says what is wrong.</summary>
    public static bool TryParse(
        string? text, [NotNullWhen(true)] out ParsedRequestCode? parsed, [NotNullWhen(false)] out string? error)
    {
        parsed = null;
        error = Parse(text, out parsed);
        return error is null;
    }

    /// <exception cref="FormatException">The text is not a request code.</exception>
    public static ParsedRequestCode Parse(string text) =>
        TryParse(text, out var parsed, out var error) ? parsed : throw new FormatException(error);

    /// <summary>
    /// A code as a simulated device prints it: <c>C</c> and a random capital, <c>-Z</c>, the UDI,
    /// nine random alphanumerics and two hex digits, all drawn from <paramref name="random"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The serial number holds <c>:</c> (it could not be read back) or the UDI is the default value.</exception>
    public static string Generate(UdiRef udi, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (udi.Pid.Length == 0)
        {
            throw new ArgumentException("The UDI is empty.", nameof(udi));
        }

        if (udi.Serial.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException("A serial number with ':' cannot be written in a request code.", nameof(udi));
        }

        var sb = new StringBuilder(udi.Pid.Length + udi.Serial.Length + 20);
        sb.Append('C').Append(Upper[random.Next(Upper.Length)]).Append("-Z").Append(udi.Pid).Append(':').Append(udi.Serial).Append('-');
        for (var i = 0; i < 9; i++)
        {
            sb.Append(Alphanumerics[random.Next(Alphanumerics.Length)]);
        }

        sb.Append('-').Append(Hex[random.Next(16)]).Append(Hex[random.Next(16)]);
        return sb.ToString();
    }

    private static string? Parse(string? text, out ParsedRequestCode? parsed)
    {
        parsed = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return "The request code is empty.";
        }

        var code = text.Trim();
        if (code.Length > MaxLength)
        {
            return $"The request code is longer than {MaxLength} characters.";
        }

        foreach (var c in code)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return "The request code contains whitespace or control characters.";
            }
        }

        if (code.Length < 4 || code[2] != '-' || code[3] != 'Z')
        {
            return "A request code starts with two characters and '-Z' (<2 chars>-Z<PID>:<serial>-<random>-<2 chars>).";
        }

        var body = code[4..];
        var colon = body.LastIndexOf(':');
        if (colon < 0)
        {
            return "The request code has no ':' between PID and serial number.";
        }

        if (colon == 0)
        {
            return "The request code has an empty PID.";
        }

        var pid = body[..colon];
        var tail = body[(colon + 1)..];
        var lastDash = tail.LastIndexOf('-');
        var randomDash = lastDash > 0 ? tail.LastIndexOf('-', lastDash - 1) : -1;
        if (lastDash < 0 || randomDash < 0)
        {
            return "The request code needs '-<random>-<2 chars>' after the serial number.";
        }

        var serial = tail[..randomDash];
        var randomPart = tail[(randomDash + 1)..lastDash];
        var suffix = tail[(lastDash + 1)..];
        if (serial.Length == 0)
        {
            return "The request code has an empty serial number.";
        }

        if (randomPart.Length == 0 || suffix.Length == 0)
        {
            return "The request code has an empty random part or suffix.";
        }

        if (UdiRef.Problem(pid, serial) is { } problem)
        {
            return problem;
        }

        parsed = new ParsedRequestCode(code, code[..2], new UdiRef(pid, serial), randomPart, suffix);
        return null;
    }
}
