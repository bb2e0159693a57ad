using CssmSim.Engine.Storage;

namespace CssmSim.Server.Pipeline;

/// <summary>
/// Before fault rules are evaluated or the clock is read: catches up with fault rules and clock
/// changes another process made in the shared store (a version read at most every
/// <see cref="SharedState.RefreshInterval"/>, not on every request).
/// </summary>
public sealed class SharedStateRefresh(RequestDelegate next, SharedState shared)
{
    public Task InvokeAsync(HttpContext ctx)
    {
        var refresh = shared.RefreshIfStaleAsync(ctx.RequestAborted);
        return refresh.IsCompletedSuccessfully ? next(ctx) : AfterAsync(refresh, ctx);
    }

    private async Task AfterAsync(Task refresh, HttpContext ctx)
    {
        await refresh;
        await next(ctx);
    }
}
