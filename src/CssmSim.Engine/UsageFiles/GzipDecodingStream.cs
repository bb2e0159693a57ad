using System.Buffers.Binary;
using System.IO.Compression;

namespace CssmSim.Engine.UsageFiles;

/// <summary>
/// Inflates one gzip stream (in memory or in a spooled upload file) and, at its end, checks the trailer (CRC-32 and length of
/// everything inflated against the last eight bytes). <see cref="GZipStream"/> alone returns
/// short data without complaint for a truncated stream and ignores trailing garbage; the
/// trailer check turns both into a rejection. A stream of several concatenated gzip members
/// fails that check too and is refused (no producer of usage files writes one).
/// </summary>
internal sealed class GzipDecodingStream : Stream
{
    private const int MinimumGzipLength = 18; // 10-byte header, empty deflate data (2), 8-byte trailer
    private readonly long _compressedLength;
    private readonly byte[] _trailer;
    private readonly GZipStream _inflater;
    private readonly string _source;
    private uint _crc;
    private long _length;
    private bool _verified;

    public GzipDecodingStream(ReadOnlyMemory<byte> compressed, string source)
        : this(MemoryStreams.Over(compressed), compressed.Length, compressed.Length >= 8 ? compressed[^8..].ToArray() : [], source)
    {
    }

    /// <summary>
    /// Inflates <paramref name="compressed"/> (<paramref name="compressedLength"/> bytes from its
    /// position, whose last eight are <paramref name="trailer"/>) as it is read: an upload spooled
    /// to a file is never held in memory.
    /// </summary>
    public GzipDecodingStream(Stream compressed, long compressedLength, byte[] trailer, string source)
    {
        _compressedLength = compressedLength;
        _trailer = trailer;
        _source = source;
        _inflater = new GZipStream(compressed, CompressionMode.Decompress);
    }

    public static bool HasMagic(ReadOnlySpan<byte> data) => data.Length >= 2 && data[0] == 0x1F && data[1] == 0x8B;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        int n;
        try
        {
            n = _inflater.Read(buffer);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or NotSupportedException)
        {
            throw ArchiveRejectedException.Rejected($"'{_source}' is not valid gzip data: {ex.Message}", _source);
        }
        if (n > 0)
        {
            _crc = Crc32.Append(_crc, buffer[..n]);
            _length += n;
            return n;
        }
        if (!_verified) VerifyTrailer();
        return 0;
    }

    private void VerifyTrailer()
    {
        if (_compressedLength < MinimumGzipLength || _trailer.Length != 8)
            throw ArchiveRejectedException.Rejected($"'{_source}' is truncated gzip data.", _source);
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(_trailer);
        var size = BinaryPrimitives.ReadUInt32LittleEndian(_trailer.AsSpan(4));
        if (crc != _crc || size != unchecked((uint)_length))
        {
            throw ArchiveRejectedException.Rejected(
                $"'{_source}' is truncated or corrupt gzip data (the CRC-32/length trailer does not match, or the data does not end with its single gzip member).",
                _source);
        }
        _verified = true;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inflater.Dispose();
        base.Dispose(disposing);
    }
}

internal static class MemoryStreams
{
    /// <summary>A read-only stream over <paramref name="data"/>, without a copy when it wraps an array.</summary>
    public static MemoryStream Over(ReadOnlyMemory<byte> data) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data, out var segment) && segment.Array is not null
            ? new MemoryStream(segment.Array, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);
}

/// <summary>Reads another stream from its current position without owning it: disposing this leaves it open.</summary>
internal sealed class BorrowedStream(Stream inner) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => inner.Read(buffer);
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
