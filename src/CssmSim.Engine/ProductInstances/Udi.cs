namespace CssmSim.Engine.ProductInstances;

/// <summary>
/// A product instance's identity: PID and serial number. Its text form <c>PID:x,SN:y</c> is the
/// store key; <c>displayName</c> and code files use other spellings of the same pair.
/// </summary>
public readonly record struct Udi(string Pid, string Serial)
{
    public override string ToString() => $"PID:{Pid},SN:{Serial}";

    /// <summary>The v1 devices API's display name, trailing space included.</summary>
    public string DisplayName => $"UDI_PID:{Pid}; UDI_SN:{Serial}; ";

    /// <summary>Parses <c>PID:x,SN:y</c>.</summary>
    public static bool TryParse(string? text, out Udi udi)
    {
        udi = default;
        if (text is null || !text.StartsWith("PID:", StringComparison.OrdinalIgnoreCase)) return false;
        var comma = text.IndexOf(",SN:", StringComparison.OrdinalIgnoreCase);
        if (comma < 5 || comma + 4 >= text.Length) return false;
        udi = new Udi(text[4..comma], text[(comma + 4)..]);
        return true;
    }

    /// <summary>Checks what devices send: non-empty, at most 128 characters, no control characters or commas.</summary>
    public static string? Problem(string? pid, string? serial)
    {
        static string? Check(string? v, string name) =>
            string.IsNullOrWhiteSpace(v) ? $"{name} is required"
            : v.Length > 128 ? $"{name} is longer than 128 characters"
            : v.Any(ch => char.IsControl(ch) || ch == ',') ? $"{name} holds a control character or a comma"
            : null;
        return Check(pid, "udi_pid") ?? Check(serial, "udi_serial_number");
    }
}
