using System.Text;

namespace CssmSim.Engine.UsageFiles;

/// <summary>An ACK download: its file name, media type and bytes.</summary>
public sealed record AckDownload(string FileName, string ContentType, byte[] Content);

/// <summary>
/// Packages ACK texts (built and signed elsewhere) into the download that matches the upload's
/// form (artefacts.md §Offline usage upload and ACK file): form 1 an <c>ACK_UD_SA_&lt;ts&gt;.tar.gz</c>
/// with a <c>manifest.mf</c> and one <c>ACK_UD_VA_&lt;ts&gt;.tar.gz</c> per Virtual Account
/// archive, holding one <c>ACK_dev_&lt;id&gt;_&lt;ts&gt;.txt</c> per device; forms 2–3 one
/// <c>ACK_&lt;name&gt;.txt</c>; form 4 nothing. Archives are deterministic: the same input and
/// <c>modified</c> time give the same bytes.
/// </summary>
public static class AckArchiveWriter
{
    public const string DefaultCreatedBy = "CssmSim";
    public const string GzipContentType = "application/gzip";
    public const string TextContentType = "text/plain; charset=utf-8";

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary><c>ACK_</c> before the last segment of <paramref name="path"/>: <c>UD_VA_1/dev_42_1.txt</c> → <c>UD_VA_1/ACK_dev_42_1.txt</c>.</summary>
    public static string AckName(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var cut = path.LastIndexOf('/');
        return cut < 0 ? "ACK_" + path : path[..(cut + 1)] + "ACK_" + path[(cut + 1)..];
    }

    /// <summary>
    /// The ACK file name of a form 2–3 upload: <c>ACK_</c> + the upload's file name without
    /// <c>.tar</c>, <c>.tar.gz</c>, <c>.tgz</c>, <c>.txt</c> or <c>.xml</c> + <c>.txt</c>.
    /// </summary>
    public static string SingleAckFileName(string uploadFileName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uploadFileName);
        var name = EntryPaths.FileNameOf(uploadFileName);
        foreach (var ext in (string[])[".tar.gz", ".tgz", ".tar", ".txt", ".xml"])
        {
            if (name.Length > ext.Length && name.EndsWith(ext, StringComparison.OrdinalIgnoreCase))
            {
                name = name[..^ext.Length];
                break;
            }
        }
        return "ACK_" + name + ".txt";
    }

    /// <summary>Form 1 with the ACK texts as UTF-8 strings; see the byte overload.</summary>
    public static AckDownload WriteNested(
        UploadedUsageFile upload, IReadOnlyDictionary<string, string> ackTextByEntryPath, DateTimeOffset modified, string createdBy = DefaultCreatedBy)
    {
        ArgumentNullException.ThrowIfNull(ackTextByEntryPath);
        return WriteNested(upload, ackTextByEntryPath.ToDictionary(kv => kv.Key, kv => Utf8.GetBytes(kv.Value), StringComparer.Ordinal), modified, createdBy);
    }

    /// <summary>
    /// Form 1: <c>ACK_&lt;upload name&gt;</c>, a tar.gz holding <c>manifest.mf</c> (the upload's
    /// Smart Account and Virtual Account lines, <c>Name: /ACK_UD_VA_&lt;ts&gt;.tar.gz</c>) and, per
    /// Virtual Account archive of the upload, <c>ACK_&lt;its name&gt;</c> with one
    /// <c>ACK_&lt;device file name&gt;</c> per entry in <paramref name="ackByEntryPath"/>
    /// (keyed by <see cref="UsageFileEntry.Path"/>; a device without an ACK text gets no file).
    /// Report files of the outer archive get <c>ACK_&lt;name&gt;</c> beside the manifest.
    /// </summary>
    public static AckDownload WriteNested(
        UploadedUsageFile upload, IReadOnlyDictionary<string, byte[]> ackByEntryPath, DateTimeOffset modified, string createdBy = DefaultCreatedBy)
    {
        ArgumentNullException.ThrowIfNull(upload);
        ArgumentNullException.ThrowIfNull(ackByEntryPath);
        ArgumentNullException.ThrowIfNull(createdBy);
        if (createdBy.AsSpan().IndexOfAny('\r', '\n') >= 0) throw new ArgumentException("Created-By must be a single line.", nameof(createdBy));
        if (upload.Form != UsageFileForm.NestedArchive)
            throw new InvalidOperationException($"Only a nested upload gets an ACK archive; '{upload.FileName}' is a {upload.Form}.");
        var paths = upload.Entries.Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        var unknown = ackByEntryPath.Keys.Where(k => !paths.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"No entry of '{upload.FileName}' is named {string.Join(", ", unknown.Select(u => $"'{u}'"))}.", nameof(ackByEntryPath));

        var outer = new List<(string Name, ReadOnlyMemory<byte> Data)>
        {
            (UsageManifest.FileName, Utf8.GetBytes(AckManifest(upload, createdBy))),
        };
        foreach (var archive in upload.VirtualAccountArchives)
        {
            var devices = archive.Entries
                .Where(e => ackByEntryPath.ContainsKey(e.Path))
                .Select(e => (AckName(e.InnerPath), (ReadOnlyMemory<byte>)ackByEntryPath[e.Path]));
            outer.Add((AckName(archive.Path), DeterministicTar.TarGz(devices, modified)));
        }
        foreach (var entry in upload.Entries.Where(e => e.VirtualAccountArchivePath is null && ackByEntryPath.ContainsKey(e.Path)))
        {
            outer.Add((AckName(entry.Path), ackByEntryPath[entry.Path]));
        }
        return new AckDownload(AckName(EntryPaths.FileNameOf(upload.FileName)), GzipContentType, DeterministicTar.TarGz(outer, modified));
    }

    /// <summary>Forms 2–3 with the ACK text as a UTF-8 string; see the byte overload.</summary>
    public static AckDownload WriteSingle(UploadedUsageFile upload, string ackText)
    {
        ArgumentNullException.ThrowIfNull(ackText);
        return WriteSingle(upload, Utf8.GetBytes(ackText));
    }

    /// <summary>
    /// Forms 2–3: one <see cref="SingleAckFileName"/> file holding exactly <paramref name="ackText"/>
    /// (the caller's concatenation of one <c>&lt;smartLicenseRumAck&gt;</c> per UDI).
    /// </summary>
    public static AckDownload WriteSingle(UploadedUsageFile upload, ReadOnlySpan<byte> ackText)
    {
        ArgumentNullException.ThrowIfNull(upload);
        return upload.Form switch
        {
            UsageFileForm.PlainArchive or UsageFileForm.RumFile =>
                new AckDownload(SingleAckFileName(upload.FileName), TextContentType, ackText.ToArray()),
            UsageFileForm.ReturnFile => throw new InvalidOperationException($"'{upload.FileName}' is a return file; return files have no ACK."),
            _ => throw new InvalidOperationException($"'{upload.FileName}' is a nested upload; use {nameof(WriteNested)}."),
        };
    }

    private static string AckManifest(UploadedUsageFile upload, string createdBy)
    {
        var manifest = upload.Manifest;
        var nl = manifest?.LineEnding ?? "\n";
        var text = new StringBuilder();
        text.Append("Manifest-Version: 1.0").Append(nl);
        text.Append("Created-By: ").Append(createdBy).Append(nl);
        foreach (var line in manifest?.MainAttributes ?? [])
        {
            if (line.Name.Equals("Manifest-Version", StringComparison.OrdinalIgnoreCase)
                || line.Name.Equals("Created-By", StringComparison.OrdinalIgnoreCase)) continue;
            text.Append(line.Name).Append(": ").Append(line.Value).Append(nl);
        }
        text.Append(nl);

        // The upload's sections in manifest order, then archives the manifest does not name.
        var archives = upload.VirtualAccountArchives;
        var ordered = archives
            .OrderBy(a => a.Section is null ? int.MaxValue : IndexOf(manifest!.VirtualAccounts, a.Section))
            .ThenBy(a => IndexOf(archives, a));
        foreach (var archive in ordered)
        {
            text.Append("Name: /").Append(AckName(archive.Path)).Append(nl);
            foreach (var line in archive.Section?.Attributes ?? [])
                text.Append(line.Name).Append(": ").Append(line.Value).Append(nl);
            text.Append(nl);
        }
        return text.ToString();
    }

    private static int IndexOf<T>(IReadOnlyList<T> list, T item) where T : class
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (ReferenceEquals(list[i], item)) return i;
        }
        return -1;
    }
}
