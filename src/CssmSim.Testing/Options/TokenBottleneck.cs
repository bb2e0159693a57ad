namespace CssmSim.Testing;

/// <summary>
/// Start-up values of the built-in <c>token-max-uses-bottleneck</c> fault rule (SPEC §3): more than
/// <see cref="ConcurrentAbove"/> simultaneous trust requests on a token with a max-uses limit make
/// CSSM fail some with <c>LS_LICENGINE_FAIL_TO_CONNECT</c>. A reset returns to these values.
/// </summary>
/// <param name="Enabled">Whether the rule is on.</param>
/// <param name="ConcurrentAbove">How many requests on one token may be in flight (or within the hold window) before the next fails.</param>
/// <param name="HoldMs">How long after its reply a request still counts, in wall-clock milliseconds.</param>
public sealed record TokenBottleneck(bool Enabled = true, int ConcurrentAbove = 4, int HoldMs = 200)
{
    /// <summary>On, as CSSM behaves: more than 4 requests within 200 ms.</summary>
    public static TokenBottleneck Default { get; } = new();

    /// <summary>Off: only the max-uses cap itself limits trust.</summary>
    public static TokenBottleneck Off { get; } = new(Enabled: false);
}
