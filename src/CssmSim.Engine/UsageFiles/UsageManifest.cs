using System.Text;

namespace CssmSim.Engine.UsageFiles;

/// <summary>One <c>Key: value</c> line of a manifest, as written (value trimmed, continuation lines joined).</summary>
public sealed record ManifestAttribute(string Name, string Value);

/// <summary>A per-Virtual-Account section of <c>manifest.mf</c>, opened by <c>Name: /UD_VA_&lt;ts&gt;.tar.gz</c>.</summary>
public sealed class ManifestVaSection
{
    /// <summary>The <c>Name:</c> value as written, e.g. <c>/UD_VA_1700.tar.gz</c> ("" when the section has none).</summary>
    public required string Name { get; init; }

    /// <summary><see cref="Name"/> without leading <c>/</c> and <c>./</c>: the archive entry it names.</summary>
    public required string FileName { get; init; }

    /// <summary><c>Specification-VA</c> (the Virtual Account name); null when the line is missing, "" when empty.</summary>
    public string? VirtualAccount { get; init; }

    /// <summary><c>Specification-VA-ID</c>; null when the line is missing, "" when empty.</summary>
    public string? VirtualAccountId { get; init; }

    /// <summary>Every line of the section but <c>Name:</c>, in order, unknown ones included.</summary>
    public required IReadOnlyList<ManifestAttribute> Attributes { get; init; }
}

/// <summary>
/// The <c>manifest.mf</c> of a nested CSLU/script upload (a JAR-style manifest):
/// <c>Manifest-Version</c>, <c>Created-By</c>, <c>Smart-Account</c>, <c>Smart-Account-ID</c>,
/// then one section per Virtual Account archive. Parsing is tolerant: CRLF or LF, missing or
/// unknown lines, empty values, lines without a colon (ignored) and JAR continuation lines
/// (a leading space continues the previous value).
/// </summary>
public sealed class UsageManifest
{
    public const string FileName = "manifest.mf";

    public string? ManifestVersion { get; init; }
    public string? CreatedBy { get; init; }

    /// <summary><c>Smart-Account</c> (the account's name or domain); null when missing, "" when empty.</summary>
    public string? SmartAccount { get; init; }

    /// <summary><c>Smart-Account-ID</c>; null when missing, "" when empty.</summary>
    public string? SmartAccountId { get; init; }

    /// <summary>Every line before the first <c>Name:</c>, in order.</summary>
    public required IReadOnlyList<ManifestAttribute> MainAttributes { get; init; }

    public required IReadOnlyList<ManifestVaSection> VirtualAccounts { get; init; }

    /// <summary>The line ending the manifest used (<c>"\r\n"</c> or <c>"\n"</c>); the ACK manifest reuses it.</summary>
    public string LineEnding { get; init; } = "\n";

    public static UsageManifest Parse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) utf8 = utf8[3..];
        return Parse(Encoding.UTF8.GetString(utf8));
    }

    public static UsageManifest Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith('\uFEFF')) text = text[1..];
        var lineEnding = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";

        var main = new List<(string Name, StringBuilder Value)>();
        var sections = new List<(string Name, List<(string Name, StringBuilder Value)> Lines)>();
        var current = main;
        StringBuilder? last = null;

        foreach (var raw in text.Split(["\r\n", "\n", "\r"], StringSplitOptions.None))
        {
            if (last is not null && raw.StartsWith(' ') && raw.Trim().Length > 0)
            {
                last.Append(raw[1..]); // JAR continuation line
                continue;
            }
            last = null;
            var line = raw.TrimStart();
            var colon = line.IndexOf(':');
            if (colon <= 0) continue; // blank or unknown line
            var name = line[..colon].Trim();
            var value = new StringBuilder(line[(colon + 1)..].TrimStart());
            if (name.Length == 0) continue;
            if (name.Equals("Name", StringComparison.OrdinalIgnoreCase))
            {
                current = [];
                sections.Add((value.ToString(), current));
                last = null; // a continued Name is not expected; keep the first line
                continue;
            }
            current.Add((name, value));
            last = value;
        }

        static List<ManifestAttribute> Freeze(List<(string Name, StringBuilder Value)> lines) =>
            lines.Select(l => new ManifestAttribute(l.Name, l.Value.ToString().Trim())).ToList();

        static string? Find(IReadOnlyList<ManifestAttribute> lines, string name) =>
            lines.FirstOrDefault(l => l.Name.Equals(name, StringComparison.OrdinalIgnoreCase))?.Value;

        var mainAttributes = Freeze(main);
        return new UsageManifest
        {
            ManifestVersion = Find(mainAttributes, "Manifest-Version"),
            CreatedBy = Find(mainAttributes, "Created-By"),
            SmartAccount = Find(mainAttributes, "Smart-Account"),
            SmartAccountId = Find(mainAttributes, "Smart-Account-ID"),
            MainAttributes = mainAttributes,
            LineEnding = lineEnding,
            VirtualAccounts = sections.Select(s =>
            {
                var attributes = Freeze(s.Lines);
                var name = s.Name.Trim();
                return new ManifestVaSection
                {
                    Name = name,
                    FileName = StripRoot(name),
                    VirtualAccount = Find(attributes, "Specification-VA"),
                    VirtualAccountId = Find(attributes, "Specification-VA-ID"),
                    Attributes = attributes,
                };
            }).ToList(),
        };
    }

    /// <summary>
    /// The section naming the archive entry <paramref name="archivePath"/> (normalized path inside
    /// the upload): an exact match first, then one on the file name alone.
    /// </summary>
    public ManifestVaSection? FindSection(string archivePath)
    {
        var exact = VirtualAccounts.FirstOrDefault(s => s.FileName.Length > 0 && string.Equals(s.FileName, archivePath, StringComparison.Ordinal));
        if (exact is not null) return exact;
        var fileName = EntryPaths.FileNameOf(archivePath);
        return VirtualAccounts.FirstOrDefault(s => s.FileName.Length > 0 && string.Equals(EntryPaths.FileNameOf(s.FileName), fileName, StringComparison.Ordinal));
    }

    private static string StripRoot(string name)
    {
        while (true)
        {
            if (name.StartsWith('/')) name = name[1..];
            else if (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..];
            else return name;
        }
    }
}
