using CssmSim.Engine.Faults;

namespace CssmSim.Engine.Devices;

/// <summary>What a device operation tells the fault engine about itself: what rules can match on.</summary>
public sealed record FaultQuestion(
    string? Operation = null,
    string? SmartAccount = null,
    string? VirtualAccount = null,
    string? UdiPid = null,
    string? UdiSerial = null,
    string? TokenId = null,
    string? TokenText = null,
    bool? TokenLimited = null);

/// <summary>
/// The one question a device operation asks the fault engine, once it knows the account, UDI and
/// token. The server's per-request fault scope answers it (and produces latency and transport
/// effects itself); the business effects in the decision (error code, ACK and poll effects) are
/// the operation's to apply.
/// </summary>
public interface IFaultPoint
{
    ValueTask<FaultDecision?> AskAsync(FaultQuestion question);
}

/// <summary>A fault point where no rule ever fires (callers outside a device request).</summary>
public sealed class NoFaults : IFaultPoint
{
    public static readonly NoFaults Instance = new();

    public ValueTask<FaultDecision?> AskAsync(FaultQuestion question) => ValueTask.FromResult<FaultDecision?>(null);
}
