using System.Text;

namespace CssmSim.Engine.UsageFiles;

/// <summary>A regular file read out of a tar archive: its normalized path, its name as written, its bytes.</summary>
internal readonly record struct TarFile(string Path, string RawName, byte[] Data);

/// <summary>
/// A strict, forward-only tar reader for untrusted archives. It understands ustar, old GNU and
/// v7 headers, POSIX pax extended headers (<c>path</c>, <c>size</c>) and GNU long names
/// (<c>L</c>/<c>K</c>), checks every header checksum, refuses links, devices, FIFOs, sparse and
/// multi-volume entries, unsafe paths and duplicates, counts entries and expanded bytes against
/// the limits, and requires the end-of-archive marker. After the marker it reads its source to
/// the end, so a gzip layer underneath verifies its trailer.
/// </summary>
internal sealed class TarStreamReader
{
    private const int Block = 512;
    private const int MaxMetadataBytes = 1024 * 1024; // pax records and GNU long names

    private readonly Stream _source;
    private readonly string _archive;
    private readonly ReadContext _context;
    private byte[]? _firstBlock;
    private long _offset;

    /// <param name="source">The (already decompressed, budgeted) tar byte stream.</param>
    /// <param name="firstBlock">The first 512 bytes when the caller already read them to sniff the format.</param>
    /// <param name="archive">The archive's name for messages ("outer" or "outer/inner").</param>
    /// <param name="context">The limits and counters shared by every level of the upload.</param>
    public TarStreamReader(Stream source, byte[]? firstBlock, string archive, ReadContext context)
    {
        if (firstBlock is not null && firstBlock.Length != Block) throw new ArgumentException("The first block must be 512 bytes.", nameof(firstBlock));
        _source = source;
        _firstBlock = firstBlock;
        _archive = archive;
        _context = context;
    }

    /// <summary>True when <paramref name="block"/> (a full first block) looks like the start of a tar archive.</summary>
    public static bool LooksLikeTar(ReadOnlySpan<byte> block)
    {
        if (block.Length < Block) return false;
        block = block[..Block];
        if (!block.ContainsAnyExcept((byte)0)) return true; // an empty archive: the end marker alone
        if (block.Slice(257, 5).SequenceEqual("ustar"u8)) return true;
        return ChecksumMatches(block); // v7 headers carry no magic
    }

    public IEnumerable<TarFile> ReadFiles()
    {
        var header = new byte[Block];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? pendingPath = null;
        long? pendingSize = null;
        var pendingMetadata = false;

        while (true)
        {
            var headerOffset = _offset;
            if (!ReadHeader(header))
            {
                throw ArchiveRejectedException.Rejected(
                    $"The tar archive '{_archive}' is truncated: it ends at byte {headerOffset} without the end-of-archive marker.", _archive);
            }
            if (!header.AsSpan().ContainsAnyExcept((byte)0))
            {
                if (pendingMetadata)
                    throw ArchiveRejectedException.Rejected($"The tar archive '{_archive}' ends with an extended header that describes no entry.", _archive);
                DrainToEnd();
                yield break;
            }
            if (!ChecksumMatches(header))
            {
                throw ArchiveRejectedException.Rejected(
                    $"The tar archive '{_archive}' is corrupt: the header at byte {headerOffset} fails its checksum.", _archive);
            }

            var type = (char)header[156];
            var headerName = HeaderName(header);
            if (!TryParseNumber(header.AsSpan(124, 12), out var size))
                throw Corrupt($"the size field of '{headerName}' at byte {headerOffset} is not a number");

            switch (type)
            {
                case 'x':
                    ApplyPax(ReadMetadata(size, headerName), ref pendingPath, ref pendingSize, headerName);
                    pendingMetadata = true;
                    continue;
                case 'g':
                    ApplyPax(ReadMetadata(size, headerName), ref _ignoredPath, ref _ignoredSize, headerName);
                    continue;
                case 'L':
                    pendingPath = CString(ReadMetadata(size, headerName));
                    pendingMetadata = true;
                    continue;
                case 'K':
                    ReadMetadata(size, headerName);
                    pendingMetadata = true;
                    continue;
            }

            var name = pendingPath ?? headerName;
            if (pendingSize is { } paxSize) size = paxSize;
            pendingPath = null;
            pendingSize = null;
            pendingMetadata = false;
            var shown = EntryPaths.Join(_archive, name);

            _context.CountEntry(shown);
            if (type == 'V') // GNU volume label: not a path
            {
                Skip(size, shown);
                continue;
            }

            var path = EntryPaths.Normalize(name, _archive);
            switch (type)
            {
                case '0' or '\0' or '7' when !name.EndsWith('/'):
                    if (path.Length == 0)
                        throw ArchiveRejectedException.Rejected($"The tar archive '{_archive}' has a file entry without a name.", shown);
                    if (!seen.Add(path))
                        throw ArchiveRejectedException.Rejected($"Entry {EntryPaths.Describe(_archive, name)} appears twice.", shown);
                    yield return new TarFile(path, name, ReadData(size, shown));
                    break;
                case '0' or '\0' or '7' or '5' or 'D': // directories (v7 marks them with a trailing '/')
                    Skip(size, shown);
                    break;
                case '1':
                    throw Refused(name, "is a hard link; links are not accepted");
                case '2':
                    throw Refused(name, "is a symbolic link; links are not accepted");
                case '3':
                    throw Refused(name, "is a character device; devices are not accepted");
                case '4':
                    throw Refused(name, "is a block device; devices are not accepted");
                case '6':
                    throw Refused(name, "is a FIFO; only regular files and directories are accepted");
                case 'S':
                    throw Refused(name, "is a GNU sparse file; sparse files are not accepted");
                case 'M':
                    throw Refused(name, "continues a multi-volume archive; multi-volume archives are not accepted");
                default:
                    throw Refused(name, $"has the unsupported entry type '{Printable(type)}'");
            }
        }
    }

    // A global pax header's records are read and checked but apply to nothing.
    private string? _ignoredPath;
    private long? _ignoredSize;

    private ArchiveRejectedException Refused(string name, string what) =>
        ArchiveRejectedException.Rejected($"Entry {EntryPaths.Describe(_archive, name)} {what}.", EntryPaths.Join(_archive, name));

    private ArchiveRejectedException Corrupt(string what) =>
        ArchiveRejectedException.Rejected($"The tar archive '{_archive}' is corrupt: {what}.", _archive);

    private static string Printable(char c) => c is >= ' ' and < (char)127 ? c.ToString() : $"\\x{(int)c:X2}";

    private bool ReadHeader(byte[] header)
    {
        if (_firstBlock is not null)
        {
            _firstBlock.CopyTo(header, 0);
            _firstBlock = null;
            _offset += Block;
            return true;
        }
        var n = ReadUpTo(header);
        if (n == 0) return false;
        if (n < Block)
            throw ArchiveRejectedException.Rejected($"The tar archive '{_archive}' is truncated inside the header at byte {_offset - n}.", _archive);
        return true;
    }

    private byte[] ReadMetadata(long size, string headerName)
    {
        if (size > MaxMetadataBytes)
            throw Corrupt($"the extended header '{headerName}' declares {size} bytes (at most {MaxMetadataBytes} are accepted)");
        var shown = EntryPaths.Join(_archive, headerName);
        return ReadData(size, shown);
    }

    private byte[] ReadData(long size, string shown)
    {
        _context.EnsureFits(size, shown);
        if (size > Array.MaxLength)
            throw ArchiveRejectedException.TooLarge($"Entry '{shown}' declares {size} bytes, too large to read.", shown);
        var data = new byte[size];
        var n = ReadUpTo(data);
        if (n < size)
            throw ArchiveRejectedException.Rejected($"The tar archive '{_archive}' is truncated inside the data of '{shown}'.", shown);
        SkipExactly(Padding(size), shown);
        return data;
    }

    private void Skip(long size, string shown)
    {
        _context.EnsureFits(size, shown);
        SkipExactly(size + Padding(size), shown);
    }

    private static long Padding(long size) => (Block - size % Block) % Block;

    private void SkipExactly(long count, string shown)
    {
        if (count == 0) return;
        var scratch = new byte[(int)Math.Min(count, 64 * 1024)];
        while (count > 0)
        {
            var n = ReadUpTo(scratch.AsSpan(0, (int)Math.Min(count, scratch.Length)));
            if (n == 0)
                throw ArchiveRejectedException.Rejected($"The tar archive '{_archive}' is truncated inside the data of '{shown}'.", shown);
            count -= n;
        }
    }

    private void DrainToEnd()
    {
        var scratch = new byte[64 * 1024];
        while (ReadUpTo(scratch) > 0) { }
    }

    /// <summary>Fills <paramref name="buffer"/> unless the source ends first; returns the bytes read.</summary>
    private int ReadUpTo(Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = _source.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        _offset += total;
        return total;
    }

    private static string HeaderName(byte[] header)
    {
        var name = CString(header.AsSpan(0, 100));
        // POSIX ustar ("ustar\0" + "00") splits long names into prefix + name; old GNU ("ustar  \0")
        // uses those bytes for other fields.
        if (header.AsSpan(257, 6).SequenceEqual("ustar\0"u8))
        {
            var prefix = CString(header.AsSpan(345, 155));
            if (prefix.Length > 0) name = prefix + "/" + name;
        }
        return name;
    }

    private static string CString(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    private static bool ChecksumMatches(ReadOnlySpan<byte> header)
    {
        if (!TryParseNumber(header.Slice(148, 8), out var stored)) return false;
        long unsignedSum = 0, signedSum = 0;
        for (var i = 0; i < Block; i++)
        {
            var b = i is >= 148 and < 156 ? (byte)' ' : header[i];
            unsignedSum += b;
            signedSum += (sbyte)b;
        }
        return stored == unsignedSum || stored == signedSum;
    }

    /// <summary>Octal (space/NUL padded) or GNU base-256 numeric header fields; negative values are refused.</summary>
    internal static bool TryParseNumber(ReadOnlySpan<byte> field, out long value)
    {
        value = 0;
        if (field.Length > 0 && (field[0] & 0x80) != 0)
        {
            if ((field[0] & 0x40) != 0) return false; // negative base-256
            value = field[0] & 0x3F;
            foreach (var b in field[1..])
            {
                if (value > (long.MaxValue >> 8)) return false;
                value = (value << 8) | b;
            }
            return true;
        }
        var i = 0;
        while (i < field.Length && field[i] == (byte)' ') i++;
        for (; i < field.Length; i++)
        {
            var b = field[i];
            if (b is 0 or (byte)' ') break;
            if (b is < (byte)'0' or > (byte)'7') return false;
            if (value > (long.MaxValue >> 3)) return false;
            value = (value << 3) | (long)(b - '0');
        }
        for (; i < field.Length; i++)
        {
            if (field[i] is not (0 or (byte)' ')) return false;
        }
        return true;
    }

    private void ApplyPax(byte[] data, ref string? path, ref long? size, string headerName)
    {
        var pos = 0;
        while (pos < data.Length)
        {
            var space = Array.IndexOf(data, (byte)' ', pos);
            if (space < 0 || !int.TryParse(data.AsSpan(pos, space - pos), System.Globalization.NumberStyles.None, null, out var length)
                || length <= space - pos || pos + length > data.Length || data[pos + length - 1] != (byte)'\n')
            {
                throw Corrupt($"the pax extended header '{headerName}' has a malformed record at byte {pos}");
            }
            var record = data.AsSpan(space + 1, pos + length - 1 - (space + 1));
            var equals = record.IndexOf((byte)'=');
            if (equals <= 0) throw Corrupt($"the pax extended header '{headerName}' has a record without a key");
            var key = Encoding.UTF8.GetString(record[..equals]);
            var value = record[(equals + 1)..];
            if (key == "path")
            {
                path = value.IsEmpty ? null : Encoding.UTF8.GetString(value);
            }
            else if (key == "size")
            {
                if (!long.TryParse(value, System.Globalization.NumberStyles.None, null, out var parsed))
                    throw Corrupt($"the pax extended header '{headerName}' has an invalid size");
                size = parsed;
            }
            else if (key.StartsWith("GNU.sparse.", StringComparison.Ordinal))
            {
                throw ArchiveRejectedException.Rejected(
                    $"The tar archive '{_archive}' holds a GNU sparse file; sparse files are not accepted.", EntryPaths.Join(_archive, headerName));
            }
            pos += length;
        }
    }
}
