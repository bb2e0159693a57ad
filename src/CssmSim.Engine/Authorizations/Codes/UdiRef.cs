using System.Diagnostics.CodeAnalysis;

namespace CssmSim.Engine.Authorizations.Codes;

/// <summary>
/// A Unique Device Identifier: product id (PID) and serial number. Its text form is the short
/// one Cisco puts in codes, <c>P:PID,S:SERIAL</c>; <see cref="TryParse"/> also reads the long
/// display form <c>PID:PID,SN:SERIAL</c> and the mixed forms seen in syslogs.
/// </summary>
/// <remarks>
/// Both parts are 1–128 characters without whitespace, control or non-BMP characters, and the PID has
/// no comma (the comma ends it in the text form). A PID may contain <c>:</c> and <c>-</c>.
/// </remarks>
public readonly record struct UdiRef
{
    public const int MaxPartLength = 128;

    private readonly string? pid;
    private readonly string? serial;

    /// <exception cref="ArgumentException">A part is empty, too long, or has a forbidden character.</exception>
    public UdiRef(string pid, string serial)
    {
        if (Problem(pid, serial) is { } problem)
        {
            throw new ArgumentException(problem);
        }

        this.pid = pid;
        this.serial = serial;
    }

    public string Pid => pid ?? string.Empty;

    public string Serial => serial ?? string.Empty;

    /// <summary><c>P:PID,S:SERIAL</c>.</summary>
    public override string ToString() => "P:" + Pid + ",S:" + Serial;

    /// <summary>Reads <c>P:X,S:Y</c>, <c>PID:X,SN:Y</c> or a mix of the two, after trimming.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out UdiRef udi)
    {
        udi = default;
        if (text is null)
        {
            return false;
        }

        var t = text.AsSpan().Trim();
        int pidStart;
        if (t.StartsWith("PID:", StringComparison.Ordinal))
        {
            pidStart = 4;
        }
        else if (t.StartsWith("P:", StringComparison.Ordinal))
        {
            pidStart = 2;
        }
        else
        {
            return false;
        }

        var comma = t[pidStart..].IndexOf(',');
        if (comma < 0)
        {
            return false;
        }

        var p = t.Slice(pidStart, comma);
        var rest = t[(pidStart + comma + 1)..];
        ReadOnlySpan<char> s;
        if (rest.StartsWith("SN:", StringComparison.Ordinal))
        {
            s = rest[3..];
        }
        else if (rest.StartsWith("S:", StringComparison.Ordinal))
        {
            s = rest[2..];
        }
        else
        {
            return false;
        }

        var ps = p.ToString();
        var ss = s.ToString();
        if (Problem(ps, ss) is not null)
        {
            return false;
        }

        udi = new UdiRef(ps, ss);
        return true;
    }

    /// <exception cref="FormatException">The text is not a UDI.</exception>
    public static UdiRef Parse(string text) =>
        TryParse(text, out var udi) ? udi : throw new FormatException($"Not a UDI (expected P:PID,S:SERIAL): '{text}'.");

    internal static string? Problem(string? pid, string? serial) =>
        PartProblem(pid, "PID") ?? PartProblem(serial, "serial number")
        ?? (pid!.Contains(',', StringComparison.Ordinal) ? "The UDI PID must not contain ','." : null);

    private static string? PartProblem(string? value, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            return $"The UDI {name} is empty.";
        }

        if (value.Length > MaxPartLength)
        {
            return $"The UDI {name} is longer than {MaxPartLength} characters.";
        }

        foreach (var c in value)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c) || !System.Xml.XmlConvert.IsXmlChar(c))
            {
                return $"The UDI {name} contains whitespace or a character XML cannot hold here (control, surrogate, U+FFFE/U+FFFF).";
            }
        }

        return null;
    }
}
