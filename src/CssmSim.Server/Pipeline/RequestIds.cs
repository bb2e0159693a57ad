namespace CssmSim.Server.Pipeline;

/// <summary>
/// Every response carries <c>X-Request-Id</c> (the client's own when it sent a sane one, else a
/// new UUID) and the same value as <c>X-Correlation-Id</c>; the journal records it, and it is the
/// request's <see cref="HttpContext.TraceIdentifier"/>, which ASP.NET Core's own log lines name.
/// </summary>
internal sealed class RequestIds(RequestDelegate next)
{
    public const string Header = "X-Request-Id";
    public const string CorrelationHeader = "X-Correlation-Id";

    public Task InvokeAsync(HttpContext ctx)
    {
        var given = ctx.Request.Headers[Header].ToString();
        var id = IsSane(given) ? given : NewId();
        // The trace identifier is a field of Kestrel's context: no Items dictionary to allocate per request.
        ctx.TraceIdentifier = id;
        ctx.Response.Headers[Header] = id;
        ctx.Response.Headers[CorrelationHeader] = id;
        return next(ctx);
    }

    public static string Get(HttpContext ctx) => ctx.TraceIdentifier;

    /// <summary>
    /// A random (version 4) UUID from the process's fast generator: an id names a request, it guards
    /// nothing, and <see cref="Guid.NewGuid"/> costs a getrandom system call per request on Linux.
    /// </summary>
    internal static string NewId()
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4 (the high nibble of the third group)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes).ToString();
    }

    // Echoing arbitrary bytes into a response header would let a client split headers.
    private static bool IsSane(string s) => s.Length is > 0 and <= 200 && s.All(ch => ch is > ' ' and < '\u007f');
}
