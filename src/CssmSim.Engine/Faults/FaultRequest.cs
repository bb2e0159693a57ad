namespace CssmSim.Engine.Faults;

/// <summary>
/// What a fault rule can match on for one request. Surfaces fill in what they know: the HTTP
/// layer the surface, operation and path; endpoints and domain services the account, UDI and token.
/// </summary>
public sealed record FaultRequest(
    string Surface,
    string? Operation = null,
    string? Path = null,
    string? SmartAccount = null,
    string? VirtualAccount = null,
    string? UdiPid = null,
    string? UdiSerial = null,
    string? TokenId = null,
    string? TokenText = null,
    bool? TokenLimited = null);

/// <summary>A rule that fired on a request, with the candidate number it fired on.</summary>
public sealed record FaultDecision(string RuleId, string? RuleName, FaultEffect Effect, long Candidate, TimeSpan Latency);
