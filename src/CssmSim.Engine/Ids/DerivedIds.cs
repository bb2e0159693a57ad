using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace CssmSim.Engine.Ids;

/// <summary>
/// Ids are derived from the random seed and a natural key, never drawn, so the same seed gives
/// the same ids under any interleaving of requests (control.md §Seed document).
/// </summary>
public sealed class DerivedIds
{
    // Fixed root namespace of CssmSim; the per-seed namespace hangs below it.
    private static readonly Guid RootNamespace = Guid.Parse("4f0d7c2e-7b1a-5c39-9e36-6f1c2b8e0a51");

    public DerivedIds(long randomSeed)
    {
        RandomSeed = randomSeed;
        Namespace = Uuid.V5(RootNamespace, "randomSeed/" + randomSeed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _key = BitConverter.GetBytes(randomSeed);
        if (!BitConverter.IsLittleEndian) Array.Reverse(_key);
    }

    private readonly byte[] _key;

    public long RandomSeed { get; }

    /// <summary>The UUID namespace derived from the random seed.</summary>
    public Guid Namespace { get; }

    /// <summary>UUIDv5 in this seed's namespace.</summary>
    public Guid Uuid5(string name) => Uuid.V5(Namespace, name);

    /// <summary>HMAC-SHA256(randomSeed, name): the bytes behind token UUIDs and secrets.</summary>
    public byte[] Hmac(string name) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(name));

    /// <summary>A decimal id of <paramref name="digits"/> digits without a leading zero.</summary>
    public string Decimal(string name, int digits = 9)
    {
        if (digits is < 2 or > 18) throw new ArgumentOutOfRangeException(nameof(digits));
        var low = (ulong)Math.Pow(10, digits - 1);
        var span = low * 9;
        var value = BinaryPrimitives.ReadUInt64BigEndian(Hmac("decimal/" + name));
        return (low + value % span).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>Name-based UUIDs (RFC 9562 version 5).</summary>
public static class Uuid
{
    public static Guid V5(Guid ns, string name)
    {
        Span<byte> nsBytes = stackalloc byte[16];
        ns.TryWriteBytes(nsBytes, bigEndian: true, out _);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[16 + nameBytes.Length];
        nsBytes.CopyTo(input);
        nameBytes.CopyTo(input, 16);
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(input, hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
