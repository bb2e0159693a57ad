using System.Text.Json.Nodes;
using CssmSim.Engine.Jobs;
using CssmSim.Engine.Time;

namespace CssmSim.Testing;

/// <summary>The kinds of asynchronous job whose progress a poll transition sets.</summary>
public enum PollAction
{
    /// <summary>ACKs for usage reports.</summary>
    Acknowledgements,
    /// <summary>Authorization codes (SLAC, SLR).</summary>
    Authorizations,
    /// <summary>Trust requests.</summary>
    Trust,
    /// <summary>Offline usage-file processing.</summary>
    UsageFiles,
}

/// <summary>When the jobs of one action complete.</summary>
public sealed class PollProgress
{
    private PollProgress(string progression, long? times, TimeSpan? duration)
    {
        Progression = progression;
        Times = times;
        Duration = duration;
    }

    /// <summary>At once (the default of every action but acknowledgements, which answer on the first poll).</summary>
    public static PollProgress Immediate { get; } = new("immediate", null, null);

    /// <summary>After <paramref name="polls"/> polls answered <c>OK_POLL</c>.</summary>
    public static PollProgress AfterPolls(int polls) =>
        polls >= 1 ? new("polls", polls, null) : throw new ArgumentOutOfRangeException(nameof(polls), polls, "must be at least 1");

    /// <summary>Once the virtual clock passes submit time plus <paramref name="duration"/>.</summary>
    public static PollProgress AfterTime(TimeSpan duration) =>
        duration > TimeSpan.Zero ? new("time", null, duration) : throw new ArgumentOutOfRangeException(nameof(duration), duration, "must be positive");

    internal string Progression { get; }
    internal long? Times { get; }
    internal TimeSpan? Duration { get; }
}

/// <summary>A poll transition in force.</summary>
/// <param name="Action">The job kind (<c>acknowledgements</c>, <c>authorizations</c>, <c>trust</c>, <c>usage-files</c>).</param>
/// <param name="Progression"><c>immediate</c>, <c>polls</c> or <c>time</c>.</param>
/// <param name="Times">Polls before completion, for <c>polls</c>.</param>
/// <param name="Duration">Virtual time before completion, for <c>time</c>.</param>
/// <param name="SmartAccount">The Smart Account it is limited to; null for all.</param>
/// <param name="PollIntervalSeconds">The <c>poll_interval</c> answered meanwhile.</param>
public sealed record PollTransitionInfo(string Action, string Progression, long? Times, TimeSpan? Duration, string? SmartAccount, long PollIntervalSeconds);

/// <summary>Poll transitions (control.md §Poll transitions): how asynchronous jobs progress.</summary>
public sealed class SimulatorPollTransitions
{
    private readonly EngineAccess _engine;

    internal SimulatorPollTransitions(EngineAccess engine) => _engine = engine;

    /// <summary>Sets how the jobs of <paramref name="action"/> complete, for every account or one Smart Account.</summary>
    /// <exception cref="ArgumentException">An invalid combination.</exception>
    public Task<PollTransitionInfo> SetAsync(PollAction action, PollProgress progress, string? smartAccount = null, int? pollIntervalSeconds = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var body = new JsonObject { ["action"] = ActionName(action), ["progression"] = progress.Progression };
        if (progress.Times is { } times) body["times"] = times;
        if (progress.Duration is { } d) body["duration"] = IsoDuration.Format(d);
        if (smartAccount is not null) body["smartAccount"] = smartAccount;
        if (pollIntervalSeconds is { } interval) body["pollInterval"] = interval;
        return EngineAccess.CallAsync(async () => ToInfo(await _engine.Transitions.SetAsync(body, ct)));
    }

    /// <summary>Every action's transition for all accounts, then the per-account ones.</summary>
    public async Task<IReadOnlyList<PollTransitionInfo>> ListAsync(CancellationToken ct = default) =>
        (await _engine.Transitions.ListAsync(ct)).Select(ToInfo).ToList();

    /// <summary>Every action back to the start-up timing profile's defaults.</summary>
    public Task ResetAsync(CancellationToken ct = default) => _engine.Transitions.ResetAsync(ct);

    /// <summary>Sets every transition as a timing profile says (<c>POST /_sim/timing</c>): <c>Realistic</c> makes a usage report's ACK due poll_interval later.</summary>
    public Task SetTimingAsync(TimingProfile profile, CancellationToken ct = default) => _engine.Transitions.SetProfileAsync(profile, ct);

    /// <summary>The timing profile the transitions in force amount to; null when they were set one by one.</summary>
    public Task<TimingProfile?> TimingAsync(CancellationToken ct = default) => _engine.Transitions.CurrentProfileAsync(ct);

    private static string ActionName(PollAction action) => action switch
    {
        PollAction.Acknowledgements => "acknowledgements",
        PollAction.Authorizations => "authorizations",
        PollAction.Trust => "trust",
        PollAction.UsageFiles => "usage-files",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "unknown poll action"),
    };

    private static PollTransitionInfo ToInfo(PollTransition t) =>
        new(t.Action, t.Progression.ToString().ToLowerInvariant(), t.Times, t.Duration, t.SmartAccount, t.PollInterval);
}
