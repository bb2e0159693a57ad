using System.Security.Cryptography;
using System.Text;

namespace CssmSim.Server.Pipeline;

/// <summary>
/// Requires <c>X-CssmSim-Key</c> on the control API when a key is configured (always, when the
/// server listens beyond loopback). Health, readiness and the API docs stay open: they reveal
/// nothing and container probes must reach them.
/// </summary>
public sealed class ControlKeyGate(RequestDelegate next, ControlKey key, FailedAttempts attempts)
{
    public const string Header = "X-CssmSim-Key";

    public Task InvokeAsync(HttpContext ctx)
    {
        if (key.Value is null || !IsProtected(ctx.Request.Path)) return next(ctx);
        var client = ctx.Connection.RemoteIpAddress;
        if (attempts.LockedFor(client) is { } left) return FailedAttempts.WriteLockedOutAsync(ctx, left);
        var given = ctx.Request.Headers[Header].ToString();
        if (key.Matches(given))
        {
            attempts.Succeeded(client);
            return next(ctx);
        }
        // A missing header is a misconfigured client, not a guess.
        if (given.Length > 0) attempts.Failed(client);
        return ApiErrors.WriteAsync(ctx, ApiFamily.Control, 401,
            given.Length == 0 ? $"this simulator requires the {Header} header" : $"wrong {Header}");
    }

    private static bool IsProtected(PathString path)
    {
        var p = path.Value ?? "";
        if (!p.StartsWith("/_sim", StringComparison.OrdinalIgnoreCase)) return false;
        return !(p.Equals("/_sim/health", StringComparison.OrdinalIgnoreCase)
            || p.Equals("/_sim/ready", StringComparison.OrdinalIgnoreCase)
            || p.Equals("/_sim/openapi.json", StringComparison.OrdinalIgnoreCase)
            || p.StartsWith("/_sim/openapi/", StringComparison.OrdinalIgnoreCase)
            || p.StartsWith("/_sim/docs", StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>The control API key in force, if any.</summary>
public sealed class ControlKey(string? value)
{
    public string? Value { get; } = value;

    public bool Matches(string given) => Value is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(Value), Encoding.UTF8.GetBytes(given));
}
