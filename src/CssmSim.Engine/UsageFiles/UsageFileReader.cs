namespace CssmSim.Engine.UsageFiles;

/// <summary>
/// Reads an offline usage upload safely (artefacts.md §Offline usage upload): detects its form
/// by content (gzip by magic bytes, tar by its header, return file by its lines; never by name),
/// unpacks at most the nested CSLU depth, and enforces <see cref="UploadLimits"/> while
/// decompressing. Anything unsafe or invalid refuses the whole upload with
/// <see cref="ArchiveRejectedException"/>; what is inside the usage files is not looked at.
/// </summary>
public static class UsageFileReader
{
    private const int TarBlock = 512;

    /// <summary>
    /// Reads <paramref name="content"/> from its position to its end (at most
    /// <see cref="UploadLimits.MaxCompressedBytes"/> bytes). A seekable stream (an upload spooled to a
    /// temporary file) is read in place: archives are unpacked as they are read from it, so the upload
    /// itself is never held in memory, only the usage files it expands to. The stream is left open.
    /// </summary>
    public static UploadedUsageFile Read(string fileName, Stream content, UploadLimits limits)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        if (content.CanSeek) return ReadSeekable(fileName, content, limits);

        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        while (true)
        {
            var room = limits.MaxCompressedBytes + 1 - buffer.Length;
            var n = content.Read(chunk, 0, (int)Math.Min(chunk.Length, room));
            if (n == 0) break;
            buffer.Write(chunk, 0, n);
            if (buffer.Length > limits.MaxCompressedBytes) throw CompressedTooLarge(null, limits);
        }
        return ReadCore(fileName, new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length), limits, owned: true);
    }

    private static UploadedUsageFile ReadSeekable(string fileName, Stream content, UploadLimits limits)
    {
        var start = content.Position;
        var length = content.Length - start;
        if (length == 0) throw ArchiveRejectedException.Rejected("The upload is empty.");
        if (length > limits.MaxCompressedBytes) throw CompressedTooLarge(length, limits);

        var head = new byte[(int)Math.Min(TarBlock, length)];
        ReadUpTo(content, head);
        var context = new ReadContext(limits);
        OpenedArchive? archive = null;
        if (GzipDecodingStream.HasMagic(head))
        {
            // The CRC-32/length trailer is read first: the inflater then streams the file once.
            var trailer = new byte[length >= 8 ? 8 : 0];
            content.Position = start + length - trailer.Length;
            ReadUpTo(content, trailer);
            content.Position = start;
            archive = OpenGzip(new GzipDecodingStream(new BorrowedStream(content), length, trailer, fileName), fileName, context);
        }
        else if (head.Length == TarBlock && TarStreamReader.LooksLikeTar(head))
        {
            content.Position = start;
            archive = new OpenedArchive(new BudgetedStream(new BorrowedStream(content), context, fileName), null, IsGzip: false);
        }
        if (archive is { } opened)
        {
            using (opened.Stream)
            {
                return ReadOuter(fileName, opened, context, length);
            }
        }

        // Not an archive: the upload is one usage file, read into memory to be parsed, unless it is
        // larger than any RUM file may be and does not start like a return file: then its bytes are
        // not needed (the file is refused for its size alone) and are not read.
        context.ChargeExpanded(length, fileName);
        content.Position = start;
        if (length > Math.Min(Usage.RumFileReader.MaxFileBytes(), Array.MaxLength) && !MayBeReturnFile(content))
            return SingleFile(fileName, ReadOnlyMemory<byte>.Empty, context, unreadBytes: length);
        content.Position = start;
        var bytes = new byte[length];
        if (ReadUpTo(content, bytes) != bytes.Length) throw new IOException($"the upload file '{fileName}' ended before its length");
        return SingleFile(fileName, bytes, context);
    }

    /// <summary>Whether the complete lines of the first few KiB of <paramref name="content"/> read as a return file (or are blank).</summary>
    private static bool MayBeReturnFile(Stream content)
    {
        var head = new byte[4096];
        var n = ReadUpTo(content, head);
        var lines = head.AsSpan(0, n);
        var end = lines.LastIndexOf((byte)'\n');
        if (end < 0) return lines.Trim(" \t\r\n\f\v"u8).IsEmpty;
        lines = lines[..end];
        return lines.Trim(" \t\r\n\f\v"u8).IsEmpty || ReturnCodesOf(lines) is not null;
    }

    /// <summary>Reads an upload held in memory. The entries never share <paramref name="content"/>'s memory.</summary>
    public static UploadedUsageFile Read(string fileName, ReadOnlyMemory<byte> content, UploadLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        return ReadCore(fileName, content, limits, owned: false);
    }

    private static UploadedUsageFile ReadCore(string fileName, ReadOnlyMemory<byte> content, UploadLimits limits, bool owned)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        if (content.IsEmpty) throw ArchiveRejectedException.Rejected("The upload is empty.");
        if (content.Length > limits.MaxCompressedBytes) throw CompressedTooLarge(content.Length, limits);

        var context = new ReadContext(limits);
        var archive = OpenArchive(content, fileName, context);
        if (archive is null)
        {
            context.ChargeExpanded(content.Length, fileName);
            return SingleFile(fileName, owned ? content : content.ToArray(), context);
        }

        using (archive.Value.Stream)
        {
            return ReadOuter(fileName, archive.Value, context, content.Length);
        }
    }

    /// <summary>True for a line that is a well-formed return code: eight groups of six alphanumerics and one of three, joined by '-'.</summary>
    public static bool IsReturnCode(ReadOnlySpan<char> line)
    {
        if (line.Length != 59) return false;
        for (var i = 0; i < line.Length; i++)
        {
            var dash = i % 7 == 6;
            if (dash ? line[i] != '-' : !char.IsAsciiLetterOrDigit(line[i])) return false;
        }
        return true;
    }

    private readonly record struct OpenedArchive(Stream Stream, byte[]? FirstBlock, bool IsGzip);

    /// <summary>
    /// The tar stream of <paramref name="data"/> (gunzipped when it starts with the gzip magic),
    /// or null when it is not an archive. Gzip data that does not hold a tar is refused.
    /// </summary>
    private static OpenedArchive? OpenArchive(ReadOnlyMemory<byte> data, string name, ReadContext context)
    {
        if (GzipDecodingStream.HasMagic(data.Span)) return OpenGzip(new GzipDecodingStream(data, name), name, context);
        if (data.Length >= TarBlock && TarStreamReader.LooksLikeTar(data.Span[..TarBlock]))
            return new OpenedArchive(new BudgetedStream(MemoryStreams.Over(data), context, name), null, IsGzip: false);
        return null;
    }

    /// <summary>The tar stream inside a gzip stream; gzip data that does not hold a tar is refused.</summary>
    private static OpenedArchive OpenGzip(GzipDecodingStream gzip, string name, ReadContext context)
    {
        var stream = new BudgetedStream(gzip, context, name);
        var first = new byte[TarBlock];
        var n = ReadUpTo(stream, first);
        if (n < TarBlock || !TarStreamReader.LooksLikeTar(first))
        {
            // Short output: reading on to the end lets a broken gzip say so (its trailer check)
            // before the content is judged.
            using (stream)
            {
                if (n < TarBlock) ReadUpTo(stream, first);
            }
            throw ArchiveRejectedException.Rejected($"'{name}' is gzip-compressed but does not hold a tar archive.", name);
        }
        return new OpenedArchive(stream, first, IsGzip: true);
    }

    private static UploadedUsageFile ReadOuter(string fileName, OpenedArchive archive, ReadContext context, long compressedBytes)
    {
        UsageManifest? manifest = null;
        var vaArchives = new List<(string Path, bool IsGzip, List<TarFile> Files)>();
        var loose = new List<TarFile>();

        var reader = new TarStreamReader(archive.Stream, archive.FirstBlock, fileName, context);
        foreach (var file in reader.ReadFiles())
        {
            if (string.Equals(file.Path, UsageManifest.FileName, StringComparison.OrdinalIgnoreCase))
            {
                if (manifest is not null)
                    throw ArchiveRejectedException.Rejected($"'{fileName}' holds more than one {UsageManifest.FileName}.", EntryPaths.Join(fileName, file.RawName));
                manifest = UsageManifest.Parse(file.Data);
                continue;
            }
            var label = EntryPaths.Join(fileName, file.Path);
            var inner = OpenArchive(file.Data, label, context);
            if (inner is null)
            {
                loose.Add(file);
                continue;
            }
            using (inner.Value.Stream)
            {
                vaArchives.Add((file.Path, inner.Value.IsGzip, ReadInner(inner.Value, label, context)));
            }
        }

        var nested = manifest is not null || vaArchives.Count > 0;
        var archives = vaArchives.Select(va =>
        {
            var section = manifest?.FindSection(va.Path);
            var prefix = EntryPaths.WithoutArchiveExtension(va.Path);
            return new VirtualAccountArchive
            {
                Path = va.Path,
                Section = section,
                IsGzip = va.IsGzip,
                Entries = va.Files.Select(f => new UsageFileEntry
                {
                    Path = prefix + "/" + f.Path,
                    InnerPath = f.Path,
                    VirtualAccountArchivePath = va.Path,
                    VirtualAccount = section,
                    Content = f.Data,
                }).ToList(),
            };
        }).ToList();
        var entries = archives.SelectMany(a => a.Entries)
            .Concat(loose.Select(f => new UsageFileEntry { Path = f.Path, InnerPath = f.Path, Content = f.Data }))
            .ToList();
        var duplicate = entries.GroupBy(e => e.Path, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw ArchiveRejectedException.Rejected(
                $"Two entries of '{fileName}' have the same name '{duplicate.Key}'.", EntryPaths.Join(fileName, duplicate.Key));
        }

        return new UploadedUsageFile
        {
            FileName = fileName,
            Form = nested ? UsageFileForm.NestedArchive : UsageFileForm.PlainArchive,
            IsGzip = archive.IsGzip,
            Manifest = manifest,
            VirtualAccountArchives = archives,
            Entries = entries,
            CompressedBytes = compressedBytes,
            ExpandedBytes = context.ExpandedBytes,
            ArchiveEntryCount = context.Entries,
        };
    }

    /// <summary>A Virtual Account archive: its files are leaves; an archive inside it is one level too deep.</summary>
    private static List<TarFile> ReadInner(OpenedArchive archive, string label, ReadContext context)
    {
        var files = new List<TarFile>();
        var reader = new TarStreamReader(archive.Stream, archive.FirstBlock, label, context);
        foreach (var file in reader.ReadFiles())
        {
            var data = file.Data.AsSpan();
            if (GzipDecodingStream.HasMagic(data) || (data.Length >= TarBlock && TarStreamReader.LooksLikeTar(data[..TarBlock])))
            {
                throw ArchiveRejectedException.Rejected(
                    $"Entry {EntryPaths.Describe(label, file.RawName)} is itself an archive: a nested upload holds Virtual Account archives of device files, nothing deeper.",
                    EntryPaths.Join(label, file.Path));
            }
            files.Add(file);
        }
        return files;
    }

    private static UploadedUsageFile SingleFile(string fileName, ReadOnlyMemory<byte> content, ReadContext context, long unreadBytes = 0)
    {
        var codes = unreadBytes > 0 ? null : ReturnCodesOf(content.Span);
        var name = EntryPaths.FileNameOf(fileName);
        return new UploadedUsageFile
        {
            FileName = fileName,
            Form = codes is null ? UsageFileForm.RumFile : UsageFileForm.ReturnFile,
            Entries = [new UsageFileEntry { Path = name, InnerPath = name, Content = content, UnreadBytes = unreadBytes }],
            ReturnCodes = codes?.Select(c => c.Code).ToList() ?? [],
            ReturnCodeUdis = codes?.Select(c => c.Udi).ToList() ?? [],
            CompressedBytes = content.Length + unreadBytes,
            ExpandedBytes = context.ExpandedBytes,
            ArchiveEntryCount = 0,
        };
    }

    /// <summary>
    /// The codes when every non-blank line is a return code (and there is at least one), else null.
    /// Also reads the file a device saves (<c>license smart authorization return ... offline path</c>, seed 000
    /// L2612, L3589-3593): an optional "Enter this return code ..." line, then <c>UDI: PID:x,SN:y</c> and
    /// <c>Return code: CODE</c> lines; each code keeps the UDI named before it. Works on the bytes (codes are
    /// ASCII) and stops at the first line that is neither, so a large RUM file costs one short look.
    /// </summary>
    private static List<(string Code, string? Udi)>? ReturnCodesOf(ReadOnlySpan<byte> content)
    {
        if (content.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) content = content[3..];
        var codes = new List<(string, string?)>();
        Span<char> chars = stackalloc char[59];
        string? udi = null;
        var first = true;
        while (!content.IsEmpty)
        {
            var end = content.IndexOf((byte)'\n');
            var line = (end < 0 ? content : content[..end]).Trim(" \t\r\f\v"u8);
            content = end < 0 ? default : content[(end + 1)..];
            if (line.IsEmpty) continue;
            if (first && StartsWithIgnoreCase(line, "Enter this return code"u8) && line.Length <= 200) { first = false; continue; }
            first = false;
            if (StartsWithIgnoreCase(line, "UDI:"u8) && line.Length <= 300)
            {
                var text = System.Text.Encoding.ASCII.GetString(line[4..].Trim(" \t"u8));
                if (!ProductInstances.Udi.TryParse(text, out var parsed)) return null;
                udi = parsed.ToString();
                continue;
            }
            if (StartsWithIgnoreCase(line, "Return code:"u8)) line = line["Return code:".Length..].Trim(" \t"u8);
            if (line.Length != chars.Length) return null;
            for (var i = 0; i < line.Length; i++) chars[i] = (char)line[i];
            if (!IsReturnCode(chars)) return null;
            codes.Add((new string(chars), udi));
        }
        return codes.Count > 0 ? codes : null;
    }

    private static bool StartsWithIgnoreCase(ReadOnlySpan<byte> line, ReadOnlySpan<byte> prefix) =>
        line.Length >= prefix.Length && System.Text.Ascii.EqualsIgnoreCase(line[..prefix.Length], prefix);

    private static int ReadUpTo(Stream stream, byte[] buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = stream.Read(buffer, total, buffer.Length - total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private static ArchiveRejectedException CompressedTooLarge(long? size, UploadLimits limits) =>
        ArchiveRejectedException.TooLarge(size is { } s
            ? $"The upload is {s} bytes, more than the {limits.MaxCompressedBytes} bytes accepted (Uploads:MaxCompressedBytes)."
            : $"The upload is more than the {limits.MaxCompressedBytes} bytes accepted (Uploads:MaxCompressedBytes).");
}
