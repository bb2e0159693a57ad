using CssmSim.Engine.Faults;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.Portal;

/// <summary>
/// Fault rules on the <c>usage-files</c> surface apply to uploads and ACK downloads from any entry
/// point (control.md §Faults), the portal's included: this asks the fault engine about one portal
/// upload or download as the control API's endpoints do, and says in words what a transport effect
/// (a status, a dropped reply) would have done to an API client.
/// </summary>
internal sealed class UsageFileFaults : IDisposable
{
    private readonly FaultScope _scope;

    private UsageFileFaults(FaultScope scope) => _scope = scope;

    /// <summary>The decision for this request (null when no rule fired) and, for a transport effect, what the client would have seen.</summary>
    public FaultDecision? Decision { get; private init; }

    /// <summary>Set when a rule's effect means the request never got a proper answer.</summary>
    public string? Failure { get; private init; }

    public static async Task<UsageFileFaults> EvaluateAsync(HttpContext ctx, FaultEngine engine, string operation, string? smartAccount, string? virtualAccount)
    {
        var scope = new FaultScope(engine, ctx, Surfaces.UsageFiles, operation, businessEffectsByEndpoint: true);
        try
        {
            var decision = await scope.EvaluateAsync(operation, smartAccount, virtualAccount);
            return new UsageFileFaults(scope) { Decision = decision };
        }
        catch (FaultInterruption i)
        {
            var e = i.Decision.Effect;
            var what = e.Drop switch
            {
                DropKind.Reset => "the connection was reset",
                DropKind.Hang => "no answer came",
                DropKind.Empty => "an empty reply came",
                DropKind.Truncate => "a truncated reply came",
                _ => $"CSSM answered HTTP {e.Status}" + (e.Status == 429 ? " (quota)" : ""),
            };
            return new UsageFileFaults(scope) { Decision = i.Decision, Failure = $"{what} (fault rule {i.Decision.RuleName ?? i.Decision.RuleId})" };
        }
    }

    public void Dispose() => _scope.Complete();
}
