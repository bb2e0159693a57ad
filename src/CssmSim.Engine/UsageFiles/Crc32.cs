using System.Buffers.Binary;

namespace CssmSim.Engine.UsageFiles;

/// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) as the gzip trailer uses it.</summary>
internal static class Crc32
{
    private const uint Polynomial = 0xEDB88320u;

    // Eight tables of 256 entries: table k gives the CRC contribution of a byte k positions earlier,
    // so eight bytes are folded per step.
    private static readonly uint[] Tables = BuildTables();

    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var t = Tables;
        var c = ~crc;
        while (data.Length >= 8)
        {
            var one = c ^ BinaryPrimitives.ReadUInt32LittleEndian(data);
            var two = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            c = t[7 * 256 + (one & 0xFF)] ^ t[6 * 256 + ((one >> 8) & 0xFF)]
              ^ t[5 * 256 + ((one >> 16) & 0xFF)] ^ t[4 * 256 + (one >> 24)]
              ^ t[3 * 256 + (two & 0xFF)] ^ t[2 * 256 + ((two >> 8) & 0xFF)]
              ^ t[1 * 256 + ((two >> 16) & 0xFF)] ^ t[two >> 24];
            data = data[8..];
        }
        foreach (var b in data) c = t[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }

    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    private static uint[] BuildTables()
    {
        var t = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var bit = 0; bit < 8; bit++) c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            t[i] = c;
        }
        for (var k = 1; k < 8; k++)
        {
            for (var i = 0; i < 256; i++)
            {
                var prev = t[(k - 1) * 256 + i];
                t[k * 256 + i] = (prev >> 8) ^ t[prev & 0xFF];
            }
        }
        return t;
    }
}
