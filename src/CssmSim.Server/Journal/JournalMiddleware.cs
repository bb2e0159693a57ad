using System.Diagnostics;
using System.Text;
using CssmSim.Engine.Time;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.Journal;

/// <summary>
/// Records every request on a journaled surface with its (capped) bodies, after the response
/// is complete, so the entry shows exactly what the client received.
/// </summary>
internal sealed class JournalMiddleware(RequestDelegate next, RequestJournal journal, SimulatorClock clock)
{
    public const int MaxBodyChars = 16 * 1024;

    public Task InvokeAsync(HttpContext ctx)
    {
        var (_, surface) = ApiPaths.Classify(ctx.Request.Path);
        // Control and portal requests pass straight on, without an async frame of their own.
        return Surfaces.IsJournaled(surface) ? RecordAsync(ctx, surface) : next(ctx);
    }

    private async Task RecordAsync(HttpContext ctx, string surface)
    {
        var record = new JournalRecord
        {
            Surface = surface,
            Operation = ctx.GetEndpoint()?.Metadata.GetMetadata<SimOperation>()?.Name,
        };
        ctx.Features.Set(record);
        var started = Stopwatch.GetTimestamp();
        var time = clock.GetUtcNow();
        var requestCapture = new CapturingReadStream(ctx.Request.Body, MaxBodyChars);
        var responseCapture = new CapturingWriteStream(ctx.Response.Body, MaxBodyChars);
        ctx.Request.Body = requestCapture;
        ctx.Response.Body = responseCapture;
        try
        {
            await next(ctx);
        }
        finally
        {
            ctx.Request.Body = requestCapture.Inner;
            ctx.Response.Body = responseCapture.Inner;
            var status = ctx.Response.StatusCode;
            var outcome = record.Outcome ?? (status is >= 200 and < 300 ? "SUCCESS" : "ERROR");
            journal.Append(id => new JournalEntry(
                id, time, record.Surface, record.Operation, ctx.Request.Method,
                ctx.Features.Get<OriginalPathFeature>()?.Path ?? ctx.Request.Path.Value ?? "/",
                record.SmartAccount, record.VirtualAccount, record.Udi, record.TokenId, status, outcome, record.ErrorCode,
                record.Fault, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, RequestIds.Get(ctx),
                Describe(requestCapture.Captured, requestCapture.Total, ctx.Request.ContentType),
                Describe(responseCapture.Captured, responseCapture.Total, ctx.Response.ContentType),
                requestCapture.Total > MaxBodyChars || responseCapture.Total > MaxBodyChars));
        }
    }

    private static string? Describe(MemoryStream captured, long total, string? contentType)
    {
        if (total == 0) return null;
        if (!IsText(contentType)) return $"<{total} bytes, {contentType ?? "no content type"}>";
        return Encoding.UTF8.GetString(captured.GetBuffer(), 0, (int)captured.Length);
    }

    private static bool IsText(string? contentType) =>
        contentType is null
        || contentType.Contains("json", StringComparison.OrdinalIgnoreCase)
        || contentType.Contains("xml", StringComparison.OrdinalIgnoreCase)
        || contentType.StartsWith("text/", StringComparison.OrdinalIgnoreCase)
        || contentType.Contains("x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
        || contentType.Contains("yaml", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Names the operation of an endpoint for the journal and for fault rules.</summary>
internal sealed record SimOperation(string Name);

/// <summary>Passes reads through and keeps a copy of the first bytes.</summary>
internal sealed class CapturingReadStream(Stream inner, int cap) : Stream
{
    public Stream Inner { get; } = inner;
    public MemoryStream Captured { get; } = new();
    public long Total { get; private set; }

    private void Keep(ReadOnlySpan<byte> data)
    {
        Total += data.Length;
        var room = cap - (int)Captured.Length;
        if (room > 0) Captured.Write(data[..Math.Min(room, data.Length)]);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var n = await Inner.ReadAsync(buffer, ct);
        Keep(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = Inner.Read(buffer, offset, count);
        Keep(buffer.AsSpan(offset, n));
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Passes writes through and keeps a copy of the first bytes.</summary>
internal sealed class CapturingWriteStream(Stream inner, int cap) : Stream
{
    public Stream Inner { get; } = inner;
    public MemoryStream Captured { get; } = new();
    public long Total { get; private set; }

    private void Keep(ReadOnlySpan<byte> data)
    {
        Total += data.Length;
        var room = cap - (int)Captured.Length;
        if (room > 0) Captured.Write(data[..Math.Min(room, data.Length)]);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        Keep(buffer.Span);
        await Inner.WriteAsync(buffer, ct);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        Keep(buffer.AsSpan(offset, count));
        Inner.Write(buffer, offset, count);
    }

    public override Task FlushAsync(CancellationToken ct) => Inner.FlushAsync(ct);
    public override void Flush() => Inner.Flush();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
