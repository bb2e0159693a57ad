using System.IO.Compression;
using System.Text;

namespace CssmSim.Engine.Tests.UsageFiles;

/// <summary>Hand-made tar headers and decompression bombs generated on the fly (never written to disk).</summary>
internal static class HostileArchives
{
    public const int Block = 512;

    /// <summary>A ustar header with a valid checksum.</summary>
    public static byte[] Header(string name, long size, char type = '0')
    {
        var h = new byte[Block];
        Encoding.UTF8.GetBytes(name).CopyTo(h, 0);
        Octal(h, 100, 8, Convert.ToInt64("644", 8));
        Octal(h, 108, 8, 0);
        Octal(h, 116, 8, 0);
        Octal(h, 124, 12, size);
        Octal(h, 136, 12, 1_700_000_000);
        h[156] = (byte)type;
        "ustar\000"u8.CopyTo(h.AsSpan(257));
        h.AsSpan(148, 8).Fill((byte)' ');
        long sum = 0;
        foreach (var b in h) sum += b;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(h, 148);
        return h;
    }

    private static void Octal(byte[] h, int offset, int length, long value) =>
        Encoding.ASCII.GetBytes(Convert.ToString(value, 8).PadLeft(length - 1, '0')).CopyTo(h, offset);

    /// <summary>
    /// A tar.gz of <paramref name="entries"/> files of <paramref name="entrySize"/> zero bytes each,
    /// compressed as it is generated: a gigabyte of zeros costs about 10 MB of memory.
    /// </summary>
    public static byte[] ZeroFilesTarGz(int entries, long entrySize, string namePrefix = "zeros")
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            for (var i = 0; i < entries; i++)
            {
                gzip.Write(Header($"{namePrefix}_{i}.txt", entrySize));
                WriteZeros(gzip, entrySize + (Block - entrySize % Block) % Block, zeros);
            }
            gzip.Write(new byte[2 * Block]);
        }
        return output.ToArray();
    }

    /// <summary>Plain gzip of <paramref name="size"/> zero bytes, no tar at all.</summary>
    public static byte[] ZerosGz(long size)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            WriteZeros(gzip, size, new byte[1 << 20]);
        }
        return output.ToArray();
    }

    private static void WriteZeros(Stream stream, long count, byte[] zeros)
    {
        while (count > 0)
        {
            var n = (int)Math.Min(count, zeros.Length);
            stream.Write(zeros, 0, n);
            count -= n;
        }
    }
}
