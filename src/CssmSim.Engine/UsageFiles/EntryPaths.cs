namespace CssmSim.Engine.UsageFiles;

/// <summary>Entry-name rules shared by reading and writing.</summary>
public static class EntryPaths
{
    /// <summary>
    /// The safe relative form of a tar entry name: leading <c>./</c>, <c>.</c> segments, empty
    /// segments and a trailing <c>/</c> dropped. Absolute paths, drive letters, <c>..</c>
    /// segments, backslashes and NUL characters are refused. May return "" (the archive root).
    /// </summary>
    internal static string Normalize(string name, string archive)
    {
        var where = Describe(archive, name);
        if (name.Contains('\0'))
            throw ArchiveRejectedException.Rejected($"Entry {where} has a NUL character in its name.", Join(archive, name));
        if (name.Contains('\\'))
            throw ArchiveRejectedException.Rejected($"Entry {where} has a backslash in its name; only '/' separates path segments.", Join(archive, name));
        if (name.StartsWith('/'))
            throw ArchiveRejectedException.Rejected($"Entry {where} has an absolute path.", Join(archive, name));
        if (name.Length >= 2 && name[1] == ':' && char.IsAsciiLetter(name[0]))
            throw ArchiveRejectedException.Rejected($"Entry {where} starts with a drive letter.", Join(archive, name));

        var kept = new List<string>();
        foreach (var segment in name.Split('/'))
        {
            if (segment is "" or ".") continue;
            if (segment == "..")
                throw ArchiveRejectedException.Rejected($"Entry {where} has a '..' path segment.", Join(archive, name));
            kept.Add(segment);
        }
        return string.Join('/', kept);
    }

    /// <summary>The last <c>/</c>- or <c>\</c>-separated segment: the file name of an entry or an upload.</summary>
    public static string FileNameOf(string path)
    {
        var cut = path.LastIndexOfAny(['/', '\\']);
        return cut < 0 ? path : path[(cut + 1)..];
    }

    /// <summary><paramref name="path"/> without a trailing <c>.tar.gz</c>, <c>.tgz</c> or <c>.tar</c> (any case).</summary>
    public static string WithoutArchiveExtension(string path)
    {
        foreach (var ext in (string[])[".tar.gz", ".tgz", ".tar"])
        {
            if (path.Length > ext.Length && path.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) return path[..^ext.Length];
        }
        return path;
    }

    /// <summary>
    /// The device id of a <c>dev_&lt;id&gt;_&lt;ts&gt;.txt</c> file name (the token after <c>dev</c>;
    /// artefacts.md counts it as the third token of the <c>ACK_dev_&lt;id&gt;_&lt;ts&gt;.txt</c> name), or null.
    /// </summary>
    public static string? DeviceIdOf(string fileName)
    {
        var tokens = fileName.Split('_');
        if (tokens.Length >= 3 && string.Equals(tokens[0], "ACK", StringComparison.Ordinal)) tokens = tokens[1..];
        return tokens.Length >= 3 && tokens[0] == "dev" && tokens[1].Length > 0 ? tokens[1] : null;
    }

    internal static string Join(string archive, string name) => archive + "/" + name;

    internal static string Describe(string archive, string name) => $"'{name}' in '{archive}'";
}
