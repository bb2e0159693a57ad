namespace CssmSim.Server.Pipeline;

/// <summary>
/// Routing decodes every escape in a path segment but <c>%2F</c>, which it must keep to tell a
/// slash inside a name from a separator. A Virtual Account, token or UDI may hold a slash, so once
/// the route matched, the values it captured get theirs back.
/// </summary>
internal sealed class EncodedSlashes(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext ctx)
    {
        var values = ctx.Request.RouteValues;
        if (values.Count == 0) return next(ctx);
        foreach (var (key, value) in values.ToList())
        {
            if (value is string s && s.Contains("%2F", StringComparison.OrdinalIgnoreCase))
                values[key] = s.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        }
        return next(ctx);
    }
}
