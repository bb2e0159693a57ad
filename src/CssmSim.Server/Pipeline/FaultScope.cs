using CssmSim.Engine.Devices;
using CssmSim.Engine.Faults;
using CssmSim.Server.Journal;

namespace CssmSim.Server.Pipeline;

/// <summary>
/// Marks an endpoint whose fault rules are evaluated by the endpoint itself, once it has parsed
/// what rules match on (UDI, token, account): smart transport, the SLP APIs, usage files.
/// </summary>
public sealed record DeferredFaultEvaluation;

/// <summary>Thrown to stop processing when a rule's effect is produced at the connection.</summary>
public sealed class FaultInterruption(FaultDecision decision) : Exception($"fault rule {decision.RuleId} interrupts the request")
{
    public FaultDecision Decision { get; } = decision;
}

/// <summary>
/// The fault engine's view of one request: evaluated at most once, latency spent at evaluation,
/// transport effects before processing raised as <see cref="FaultInterruption"/>. Business effects
/// (an error code inside a valid reply, ACK and poll effects) are returned to the caller to produce.
/// </summary>
public sealed class FaultScope(FaultEngine engine, HttpContext ctx, string surface, string? operation, bool businessEffectsByEndpoint) : IFaultPoint
{
    private FaultEvaluation? _evaluation;

    public string Surface { get; } = surface;
    public string? Operation { get; private set; } = operation;
    public FaultDecision? Decision => _evaluation?.Decision;
    public bool Evaluated => _evaluation is not null;

    /// <summary>
    /// Asks the fault engine about this request (the first call decides; later calls return the
    /// same decision). <paramref name="operation"/> overrides the route's (smart transport's message type).
    /// </summary>
    public async Task<FaultDecision?> EvaluateAsync(string? operation = null, string? smartAccount = null, string? virtualAccount = null,
        string? udiPid = null, string? udiSerial = null, string? tokenId = null, string? tokenText = null, bool? tokenLimited = null)
    {
        if (_evaluation is not null) return _evaluation.Decision;
        if (operation is not null) Operation = operation;
        if (!engine.Watches(Surface))
        {
            _evaluation = FaultEvaluation.None;
            return null;
        }
        _evaluation = await engine.EvaluateAsync(new FaultRequest(Surface, Operation, ctx.Request.Path.Value, smartAccount, virtualAccount,
            udiPid, udiSerial, tokenId, tokenText, tokenLimited), ctx.RequestAborted);
        var decision = _evaluation.Decision;
        if (decision is null) return null;
        ctx.Journal().Fault = new JournalFault(decision.RuleId, decision.RuleName);
        if (decision.Latency > TimeSpan.Zero) await Task.Delay(decision.Latency, ctx.RequestAborted);
        var e = decision.Effect;
        if (e.IsTransport && e.Phase == FaultPhase.Before) throw new FaultInterruption(decision);
        if (e.Error is not null && !businessEffectsByEndpoint) throw new FaultInterruption(decision);
        return decision;
    }

    /// <summary>
    /// The device operations' fault question: the account and token it names go in the journal
    /// (so a request cut off by a transport effect is still attributed), then the rules are evaluated.
    /// </summary>
    public async ValueTask<FaultDecision?> AskAsync(FaultQuestion question)
    {
        var journal = ctx.Journal();
        if (question.TokenId is not null) journal.TokenId = question.TokenId;
        if (question.SmartAccount is not null) journal.SmartAccount = question.SmartAccount;
        if (question.VirtualAccount is not null) journal.VirtualAccount = question.VirtualAccount;
        return await EvaluateAsync(question.Operation, question.SmartAccount, question.VirtualAccount, question.UdiPid, question.UdiSerial,
            question.TokenId, question.TokenText, question.TokenLimited);
    }

    /// <summary>The reply is out: closes the request's concurrency windows (after their hold).</summary>
    public void Complete() => _evaluation?.Complete();
}

public static class FaultScopeExtensions
{
    /// <summary>The request's fault scope (one that never fires on paths exempt from faults).</summary>
    public static FaultScope Faults(this HttpContext ctx) => ctx.Features.Get<FaultScope>()
        ?? throw new InvalidOperationException("FaultInjection middleware is not in the pipeline");
}
