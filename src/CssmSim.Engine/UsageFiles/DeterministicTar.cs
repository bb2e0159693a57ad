using System.IO.Compression;
using System.Text;

namespace CssmSim.Engine.UsageFiles;

/// <summary>
/// Writes small tar.gz archives whose bytes depend only on their input: POSIX ustar headers with
/// the caller's mtime, mode 0644, uid/gid 0, no user or group names, names longer than ustar
/// allows in a pax <c>path</c> record, the end-of-archive marker and padding to a 10240-byte
/// record (as GNU tar and Python write them), gzip with a zero mtime and a fixed OS byte.
/// </summary>
internal static class DeterministicTar
{
    private const int Block = 512;
    private const int Record = 20 * Block;
    private const byte UnixOs = 3;

    public static byte[] TarGz(IEnumerable<(string Name, ReadOnlyMemory<byte> Data)> files, DateTimeOffset modified)
    {
        var tar = Tar(files, modified);
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(tar);
        }
        var bytes = compressed.ToArray();
        bytes[9] = UnixOs; // the runtime's zlib writes the build platform's OS code; pin it
        return bytes;
    }

    public static byte[] Tar(IEnumerable<(string Name, ReadOnlyMemory<byte> Data)> files, DateTimeOffset modified)
    {
        var seconds = modified.ToUnixTimeSeconds();
        if (seconds < 0 || seconds > 0x1FFFFFFFFL) // 11 octal digits
            throw new ArgumentOutOfRangeException(nameof(modified), modified, "The tar mtime must lie between 1970 and 3058.");

        var output = new MemoryStream();
        foreach (var (name, data) in files)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            if (!TrySplitUstarName(nameBytes, out var prefix, out var shortName))
            {
                var pax = PaxRecord("path", nameBytes);
                WriteHeader(output, Encoding.ASCII.GetBytes("PaxHeader"), [], pax.Length, seconds, (byte)'x');
                WriteData(output, pax);
                prefix = [];
                shortName = nameBytes.AsSpan(nameBytes.Length - Math.Min(nameBytes.Length, 100)).ToArray();
            }
            WriteHeader(output, shortName, prefix, data.Length, seconds, (byte)'0');
            WriteData(output, data.Span);
        }
        output.Write(new byte[2 * Block]);
        var padding = (Record - output.Length % Record) % Record;
        output.Write(new byte[padding]);
        return output.ToArray();
    }

    private static bool TrySplitUstarName(byte[] name, out byte[] prefix, out byte[] shortName)
    {
        prefix = [];
        shortName = name;
        if (name.Length <= 100) return true;
        // ustar: prefix (≤155) + '/' + name (≤100), split at a '/'.
        for (var cut = Math.Min(name.Length - 1, 155); cut > 0; cut--)
        {
            if (name[cut] != (byte)'/' || name.Length - cut - 1 > 100) continue;
            if (name.Length - cut - 1 == 0) return false;
            prefix = name[..cut];
            shortName = name[(cut + 1)..];
            return true;
        }
        return false;
    }

    private static byte[] PaxRecord(string key, byte[] value)
    {
        // "<length> <key>=<value>\n" where <length> counts the whole record, its own digits included.
        var body = Encoding.UTF8.GetByteCount(key) + value.Length + 3; // ' ', '=', '\n'
        var length = body + 1;
        while (length != body + length.ToString(System.Globalization.CultureInfo.InvariantCulture).Length)
            length = body + length.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        var record = new MemoryStream();
        record.Write(Encoding.ASCII.GetBytes(length.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + key + "="));
        record.Write(value);
        record.WriteByte((byte)'\n');
        return record.ToArray();
    }

    private static void WriteHeader(Stream output, ReadOnlySpan<byte> name, ReadOnlySpan<byte> prefix, long size, long mtime, byte type)
    {
        if (size > 0x1FFFFFFFFL) throw new ArgumentOutOfRangeException(nameof(size), size, "A tar entry holds at most 8 GiB - 1 here.");
        var h = new byte[Block];
        name.CopyTo(h.AsSpan(0, 100));
        Octal(h, 100, 8, 0b110_100_100); // 0644
        Octal(h, 108, 8, 0); // uid
        Octal(h, 116, 8, 0); // gid
        Octal(h, 124, 12, size);
        Octal(h, 136, 12, mtime);
        h[156] = type;
        "ustar\0"u8.CopyTo(h.AsSpan(257));
        "00"u8.CopyTo(h.AsSpan(263));
        // uname (265) and gname (297) stay empty.
        Octal(h, 329, 8, 0); // devmajor
        Octal(h, 337, 8, 0); // devminor
        prefix.CopyTo(h.AsSpan(345, 155));

        h.AsSpan(148, 8).Fill((byte)' ');
        long sum = 0;
        foreach (var b in h) sum += b;
        var checksum = Convert.ToString(sum, 8).PadLeft(6, '0');
        Encoding.ASCII.GetBytes(checksum).CopyTo(h, 148);
        h[154] = 0;
        h[155] = (byte)' ';
        output.Write(h);
    }

    /// <summary>Zero-padded octal filling the field but its last byte, which stays NUL.</summary>
    private static void Octal(byte[] header, int offset, int length, long value)
    {
        var text = Convert.ToString(value, 8).PadLeft(length - 1, '0');
        Encoding.ASCII.GetBytes(text).CopyTo(header, offset);
    }

    private static void WriteData(Stream output, ReadOnlySpan<byte> data)
    {
        output.Write(data);
        var padding = (int)((Block - data.Length % Block) % Block);
        if (padding > 0) output.Write(new byte[padding]);
    }
}
