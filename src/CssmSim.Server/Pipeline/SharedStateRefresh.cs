using CssmSim.Engine.Storage;

namespace CssmSim.Server.Pipeline;

/// <summary>
/// Before fault rules are evaluated or the clock is read: catches up with fault rules and clock
/// changes another process made in the shared store (one version read when nothing changed).
/// </summary>
public sealed class SharedStateRefresh(RequestDelegate next, SharedState shared)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        await shared.RefreshAsync(ctx.RequestAborted);
        await next(ctx);
    }
}
