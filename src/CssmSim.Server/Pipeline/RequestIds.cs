namespace CssmSim.Server.Pipeline;

/// <summary>
/// Every response carries <c>X-Request-Id</c> (the client's own when it sent a sane one, else a
/// new UUID) and the same value as <c>X-Correlation-Id</c>; the journal records it.
/// </summary>
internal sealed class RequestIds(RequestDelegate next)
{
    public const string Header = "X-Request-Id";
    public const string CorrelationHeader = "X-Correlation-Id";
    private const string ItemKey = "cssmsim.requestId";

    public Task InvokeAsync(HttpContext ctx)
    {
        var given = ctx.Request.Headers[Header].ToString();
        var id = IsSane(given) ? given : Guid.NewGuid().ToString();
        ctx.Items[ItemKey] = id;
        ctx.Response.Headers[Header] = id;
        ctx.Response.Headers[CorrelationHeader] = id;
        return next(ctx);
    }

    public static string Get(HttpContext ctx) => ctx.Items[ItemKey] as string ?? "";

    // Echoing arbitrary bytes into a response header would let a client split headers.
    private static bool IsSane(string s) => s.Length is > 0 and <= 200 && s.All(ch => ch is > ' ' and < '\u007f');
}
