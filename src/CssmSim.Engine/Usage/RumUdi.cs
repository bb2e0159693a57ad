using System.Diagnostics.CodeAnalysis;

namespace CssmSim.Engine.Usage;

/// <summary>
/// A device's unique device identifier, as a report's <c>sudi</c> object
/// <c>{"udi_pid","udi_serial_number"}</c> carries it.
/// </summary>
public sealed record RumUdi(string Pid, string SerialNumber)
{
    /// <summary>The canonical text form <c>PID:&lt;pid&gt;,SN:&lt;sn&gt;</c> (as <c>show license udi</c> prints it).</summary>
    public string Text => "PID:" + Pid + ",SN:" + SerialNumber;

    /// <inheritdoc cref="Text"/>
    public override string ToString() => Text;

    /// <summary>Parses <c>PID:&lt;pid&gt;,SN:&lt;sn&gt;</c> (keys case-insensitive, spaces around parts ignored).</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out RumUdi? udi)
    {
        udi = null;
        if (text is null) return false;
        var t = text.Trim();
        if (!t.StartsWith("PID:", StringComparison.OrdinalIgnoreCase)) return false;
        for (var comma = t.IndexOf(','); comma >= 0; comma = t.IndexOf(',', comma + 1))
        {
            var rest = t.AsSpan(comma + 1).TrimStart();
            if (!rest.StartsWith("SN:", StringComparison.OrdinalIgnoreCase)) continue;
            var pid = t[4..comma].Trim();
            var sn = rest[3..].Trim().ToString();
            if (pid.Length == 0 || sn.Length == 0) return false;
            udi = new RumUdi(pid, sn);
            return true;
        }
        return false;
    }
}

/// <summary>One member of a high-availability set (<c>{"role","sudi"}</c>), e.g. role <c>Active</c> or <c>Standby</c>.</summary>
public sealed record RumHaUdi(string? Role, RumUdi Udi);
