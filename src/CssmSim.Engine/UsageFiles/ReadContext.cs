namespace CssmSim.Engine.UsageFiles;

/// <summary>The limits of one read and what has been spent against them, shared by every level.</summary>
internal sealed class ReadContext(UploadLimits limits)
{
    public UploadLimits Limits { get; } = limits;

    public long ExpandedBytes { get; private set; }

    public int Entries { get; private set; }

    public long RemainingExpandedBytes => Limits.MaxExpandedBytes - ExpandedBytes;

    /// <summary>Counts <paramref name="count"/> more expanded bytes of <paramref name="source"/>; throws past the limit.</summary>
    public void ChargeExpanded(long count, string source)
    {
        ExpandedBytes += count;
        if (ExpandedBytes > Limits.MaxExpandedBytes)
        {
            throw ArchiveRejectedException.TooLarge(
                $"The upload expands to more than {Limits.MaxExpandedBytes} bytes (Uploads:MaxExpandedBytes); the limit was passed while reading '{source}'.",
                source);
        }
    }

    /// <summary>Refuses, before reading it, an entry whose declared size cannot fit the remaining budget.</summary>
    public void EnsureFits(long size, string entry)
    {
        if (size > RemainingExpandedBytes)
        {
            throw ArchiveRejectedException.TooLarge(
                $"Entry '{entry}' declares {size} bytes, more than the {Limits.MaxExpandedBytes} bytes an upload may expand to (Uploads:MaxExpandedBytes).",
                entry);
        }
    }

    public void CountEntry(string entry)
    {
        Entries++;
        if (Entries > Limits.MaxEntries)
        {
            throw ArchiveRejectedException.Rejected(
                $"The upload holds more than {Limits.MaxEntries} archive entries (Uploads:MaxEntries); the limit was passed at '{entry}'.",
                entry);
        }
    }
}

/// <summary>A read-only stream that charges every byte read from it to the expansion budget.</summary>
internal sealed class BudgetedStream(Stream inner, ReadContext context, string source) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        // Never ask for much more than the budget has left, so a bomb stops within one byte of it.
        var remaining = context.RemainingExpandedBytes;
        if (buffer.Length > remaining + 1) buffer = buffer[..(int)Math.Max(1, remaining + 1)];
        var n = inner.Read(buffer);
        if (n > 0) context.ChargeExpanded(n, source);
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
