using System.Text.Json.Nodes;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Time;
using CssmSim.Engine.Validation;

namespace CssmSim.Engine.Jobs;

public enum Progression { Immediate, Polls, Time }

/// <summary>
/// How long asynchronous answers take (control.md §Poll transitions): <c>fast</c> (the ACK of a usage
/// report on the first poll) or <c>realistic</c> (the ACK due <c>poll_interval</c>, 300 s, of
/// simulator time after the report, as real captures show).
/// </summary>
public enum TimingProfile { Fast, Realistic }

/// <summary>The profile names of the control API, the <c>serve</c> option and scenario files.</summary>
public static class TimingProfiles
{
    public static string Name(TimingProfile profile) => profile == TimingProfile.Realistic ? "realistic" : "fast";

    public static TimingProfile? Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "fast" => TimingProfile.Fast,
        "realistic" => TimingProfile.Realistic,
        _ => null,
    };
}

/// <summary>
/// How the jobs of one action progress (control.md §Poll transitions, moto's model): at once,
/// after N polls, or once virtual time passes submit time + duration.
/// </summary>
public sealed record PollTransition(string Action, Progression Progression, long? Times, TimeSpan? Duration, string? SmartAccount, long PollInterval)
{
    public JsonObject ToJson() => new()
    {
        ["action"] = Action,
        ["progression"] = Progression.ToString().ToLowerInvariant(),
        ["times"] = Times,
        ["duration"] = Duration is { } d ? IsoDuration.Format(d) : null,
        ["smartAccount"] = SmartAccount,
        ["pollInterval"] = PollInterval,
    };
}

/// <summary>
/// The poll transitions in force. The defaults follow the start-up timing profile
/// (<see cref="TimingProfile"/>): <c>fast</c> answers usage reports <c>OK_POLL</c> with the ACK on the
/// first poll, <c>realistic</c> makes that ACK due <c>poll_interval</c> of simulator time later;
/// every other action is <c>immediate</c> in both.
/// </summary>
public sealed class PollTransitionService(ISimulatorStore store, long defaultPollInterval, TimingProfile startupProfile = TimingProfile.Fast)
{
    public static readonly IReadOnlyList<string> Actions = ["acknowledgements", "authorizations", "trust", "usage-files"];

    public long DefaultPollInterval => defaultPollInterval;

    /// <summary>Every action's transition for all accounts (configured or default), then per-account ones.</summary>
    public async Task<IReadOnlyList<PollTransition>> ListAsync(CancellationToken ct = default)
    {
        var stored = (await store.Jobs.ListTransitionsAsync(ct)).Select(FromStored).ToList();
        var global = Actions.Select(a => stored.FirstOrDefault(t => t.Action == a && t.SmartAccount is null) ?? Default(a));
        return [.. global, .. stored.Where(t => t.SmartAccount is not null)];
    }

    /// <summary>The transition for <paramref name="action"/>: the account's own, else the global one, else immediate.</summary>
    public async Task<PollTransition> ResolveAsync(string action, string? smartAccount, CancellationToken ct = default)
    {
        var stored = (await store.Jobs.ListTransitionsAsync(ct)).Select(FromStored).ToList();
        return stored.FirstOrDefault(t => t.Action == action && smartAccount is not null && string.Equals(t.SmartAccount, smartAccount, StringComparison.OrdinalIgnoreCase))
            ?? stored.FirstOrDefault(t => t.Action == action && t.SmartAccount is null)
            ?? Default(action);
    }

    /// <summary>Validates and stores a transition from its JSON body.</summary>
    public async Task<PollTransition> SetAsync(JsonNode? body, CancellationToken ct = default)
    {
        var t = Read(body);
        await store.Jobs.SaveTransitionAsync(new StoredPollTransition(t.Action, t.SmartAccount?.ToLowerInvariant() ?? "",
            t.Progression.ToString().ToLowerInvariant(), t.Times, t.Duration is { } d ? IsoDuration.Format(d) : null, t.PollInterval), ct);
        return t;
    }

    public Task ResetAsync(CancellationToken ct = default) => store.Jobs.ClearTransitionsAsync(ct);

    /// <summary>The profile <c>POST /_sim/reset</c> and <c>DELETE /_sim/poll-transitions</c> return to.</summary>
    public TimingProfile StartupProfile => startupProfile;

    /// <summary>
    /// Sets every action's transition for all accounts as <paramref name="profile"/> says (control.md
    /// §Poll transitions, <c>POST /_sim/timing</c>); per-account transitions go too.
    /// </summary>
    public async Task SetProfileAsync(TimingProfile profile, CancellationToken ct = default)
    {
        await store.Jobs.ClearTransitionsAsync(ct);
        if (profile == startupProfile) return;
        foreach (var t in Actions.Select(a => ProfileDefault(a, profile)))
            await store.Jobs.SaveTransitionAsync(new StoredPollTransition(t.Action, "", t.Progression.ToString().ToLowerInvariant(), t.Times,
                t.Duration is { } d ? IsoDuration.Format(d) : null, t.PollInterval), ct);
    }

    /// <summary>The profile the transitions in force amount to, or null when they are neither (set one by one).</summary>
    public async Task<TimingProfile?> CurrentProfileAsync(CancellationToken ct = default)
    {
        var current = await ListAsync(ct);
        foreach (var profile in Enum.GetValues<TimingProfile>())
            if (current.Count == Actions.Count && current.All(t => t == ProfileDefault(t.Action, profile))) return profile;
        return null;
    }

    private PollTransition Default(string action) => ProfileDefault(action, startupProfile);

    // Usage reports are asynchronous on real CSSM (device-captures.md §2.7): OK_POLL, then the ACK on
    // Result Polling, about poll_interval later; trust and the rest answer at once.
    private PollTransition ProfileDefault(string action, TimingProfile profile) => action switch
    {
        "acknowledgements" when profile == TimingProfile.Realistic =>
            new(action, Progression.Time, null, TimeSpan.FromSeconds(defaultPollInterval), null, defaultPollInterval),
        "acknowledgements" => new(action, Progression.Polls, 0, null, null, defaultPollInterval),
        _ => new(action, Progression.Immediate, null, null, null, defaultPollInterval),
    };

    private PollTransition FromStored(StoredPollTransition s)
    {
        IsoDuration.TryParse(s.Duration, out var d);
        return new PollTransition(s.Action, Enum.Parse<Progression>(s.Progression, ignoreCase: true), s.Times, s.Duration is null ? null : d,
            s.SmartAccount.Length == 0 ? null : s.SmartAccount, s.PollInterval ?? defaultPollInterval);
    }

    private PollTransition Read(JsonNode? body)
    {
        var errors = new ValidationErrors();
        var r = new NodeReader(errors);
        if (r.Object(body, "$", required: true) is not { } o) { errors.ThrowIfAny("Invalid poll transition"); throw new InvalidOperationException(); }
        r.OnlyKeys(o, "", "action", "progression", "times", "duration", "smartAccount", "pollInterval");
        var action = r.String(o, "action", "", required: true);
        if (action is not null && !Actions.Contains(action)) errors.Add("action", $"must be one of: {string.Join(", ", Actions)}");
        var progression = r.String(o, "progression", "", required: true) switch
        {
            null => Progression.Immediate,
            "immediate" => Progression.Immediate,
            "polls" => Progression.Polls,
            "time" => Progression.Time,
            var other => Fail(errors, "progression", $"'{other}' is not one of: immediate, polls, time"),
        };
        var times = r.Integer(o, "times", "", 0, 1_000_000);
        TimeSpan? duration = null;
        if (r.String(o, "duration", "") is { } ds)
        {
            if (IsoDuration.TryParse(ds, out var d) && d >= TimeSpan.Zero) duration = d;
            else errors.Add("duration", "must be an ISO-8601 duration PnDTnHnMnS, e.g. PT10M or P1D");
        }
        if (progression == Progression.Polls && times is null && !errors.Any) errors.Add("times", "is required for progression polls");
        if (progression == Progression.Time && duration is null && !errors.Any) errors.Add("duration", "is required for progression time");
        if (progression != Progression.Polls && times is not null) errors.Add("times", "applies to progression polls only");
        if (progression != Progression.Time && o.ContainsKey("duration")) errors.Add("duration", "applies to progression time only");
        var interval = r.Integer(o, "pollInterval", "", 1, 86_400) ?? defaultPollInterval;
        var sa = r.String(o, "smartAccount", "", maxLength: 253);
        errors.ThrowIfAny("Invalid poll transition");
        return new PollTransition(action!, progression, times, duration, string.IsNullOrWhiteSpace(sa) ? null : sa.Trim(), interval);
    }

    private static Progression Fail(ValidationErrors errors, string path, string message)
    {
        errors.Add(path, message);
        return Progression.Immediate;
    }
}
