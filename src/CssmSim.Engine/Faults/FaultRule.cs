using System.Text.Json.Nodes;

namespace CssmSim.Engine.Faults;

/// <summary>
/// A fault rule (control.md §Faults): which requests it matches, when it fires, and what it does.
/// Immutable; counters live in the engine, not here.
/// </summary>
public sealed record FaultRule(
    string Id,
    string? Name,
    long? Order,
    FaultMatch Match,
    FaultWhen When,
    FaultEffect Effect,
    bool Enabled,
    bool Builtin);

/// <summary>Every given member must hold for a request to be a candidate of the rule.</summary>
public sealed record FaultMatch(
    string? Surface = null,
    string? Operation = null,
    string? SmartAccount = null,
    string? VirtualAccount = null,
    string? Udi = null,
    string? Token = null,
    bool? TokenLimited = null,
    string? Path = null);

/// <summary>Every given member must hold for a candidate to fire the rule.</summary>
public sealed record FaultWhen(
    IReadOnlyList<long>? Nth = null,
    long? Every = null,
    long? After = null,
    double? Probability = null,
    long? Seed = null,
    long? Times = null,
    long? ConcurrentAbove = null,
    long? HoldMs = null);

public enum FaultPhase { Before, After }

public enum DropKind { Reset, Empty, Truncate, Hang }

/// <summary>What a fired rule does. Latency combines with any other effect; the rest are alternatives.</summary>
public sealed record FaultEffect(
    string? Error = null,
    int? Status = null,
    JsonNode? Body = null,
    int? RetryAfter = null,
    long? LatencyMs = null,
    long? JitterMs = null,
    DropKind? Drop = null,
    FaultPhase Phase = FaultPhase.Before,
    AckFault? Ack = null,
    PollFault? Poll = null,
    long? ClockSkewMs = null,
    IReadOnlyList<string>? Corrupt = null)
{
    /// <summary>Effects the HTTP layer produces at the connection: a status, or a dropped/broken reply.</summary>
    public bool IsTransport => Status is not null || Drop is not null;
}

/// <summary>
/// A wrong or partial ACK. <paramref name="Reports"/> picks the reports <paramref name="ReportStatus"/> applies to
/// (every report when null), or, without a status, the reports left out of the ACK (seed 000 L4321).
/// </summary>
public sealed record AckFault(string? ReportStatus, IReadOnlyList<string> OmitTrustFor, bool OmitPolicy, bool CorruptSignature, AckReportPick? Reports = null);

/// <summary>
/// Which reports of a submission an ACK effect picks: those of a UDI, of an entitlement tag (both
/// when both are given), at most <paramref name="Count"/> of them in the order they came.
/// </summary>
public sealed record AckReportPick(string? Udi, string? Tag, long? Count);

/// <summary>The artefacts a <c>corrupt</c> effect can break (control.md §Faults).</summary>
public static class CorruptTargets
{
    public const string Policy = "policy";
    public const string TrustCode = "trustCode";
    public const string Slac = "slac";
    public const string Ack = "ack";

    public static readonly IReadOnlyList<string> All = [Policy, TrustCode, Slac, Ack];
}

/// <summary>A poll that never completes, or completes with a failure.</summary>
public sealed record PollFault(bool NeverComplete, string? FailWith);
