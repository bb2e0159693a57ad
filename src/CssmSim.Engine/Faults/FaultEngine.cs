using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Validation;

namespace CssmSim.Engine.Faults;

/// <summary>Start-up values of the built-in token max-uses bottleneck rule (reset returns to them).</summary>
public sealed record BottleneckSettings(bool Enabled = true, long ConcurrentAbove = 4, long HoldMs = 200);

/// <summary>A stored rule that cannot be loaded, and why.</summary>
public sealed record UnloadableFaultRule(string Id, string Problem);

/// <summary>A rule as the control API shows it: the rule plus its counters.</summary>
public sealed record FaultRuleView(FaultRule Rule, long Candidates, long Applied, bool Exhausted)
{
    public JsonObject ToJson()
    {
        var o = FaultRuleJson.Write(Rule);
        o["builtin"] = Rule.Builtin;
        o["candidates"] = Candidates;
        o["applied"] = Applied;
        o["exhausted"] = Exhausted;
        return o;
    }
}

/// <summary>
/// The one fault engine every surface goes through (control.md §Faults). Rules persist in the
/// store. On a store other processes can open (a SQLite file, PostgreSQL: replicas), the candidate
/// and applied counters are the store's, counted by one statement per matched rule, so `nth`,
/// `every`, `after`, `times` and `probability` number every replica's requests in one sequence; on
/// an in-memory store they are this process's, under a lock per rule. Concurrency windows
/// (<c>concurrentAbove</c>) count the requests this process has in flight. Rules are an immutable
/// array swapped on change, so a request on a surface no rule watches costs nothing.
/// </summary>
public sealed class FaultEngine
{
    public const string BottleneckId = "token-max-uses-bottleneck";

    private readonly ISimulatorStore _store;
    private readonly BottleneckSettings _bottleneck;
    private readonly Func<long> _randomSeed;
    private readonly TimeProvider _wall;
    private readonly bool _shared;
    private readonly SemaphoreSlim _changes = new(1, 1);
    private volatile CompiledRule[] _rules = [];
    private volatile HashSet<string> _surfaces = [];
    private volatile IReadOnlyList<UnloadableFaultRule> _unloadable = [];

    /// <param name="store">Where rules persist.</param>
    /// <param name="bottleneck">Start-up values of the built-in rule.</param>
    /// <param name="randomSeed">The simulator's random seed in force (default seed of <c>probability</c>).</param>
    /// <param name="wall">Wall time, for <c>holdMs</c> windows.</param>
    public FaultEngine(ISimulatorStore store, BottleneckSettings bottleneck, Func<long> randomSeed, TimeProvider wall)
    {
        _store = store;
        _bottleneck = bottleneck;
        _randomSeed = randomSeed;
        _wall = wall;
        _shared = store.Location.Engine != StoreEngine.SqliteMemory;
    }

    public static FaultRule BottleneckRule(BottleneckSettings s) => new(
        BottleneckId, "Token max-uses bottleneck", null,
        new FaultMatch(Surface: "smart-transport", Operation: "TRUST_ESTABLISHMENT", TokenLimited: true),
        new FaultWhen(ConcurrentAbove: s.ConcurrentAbove, HoldMs: s.HoldMs),
        new FaultEffect(Error: "LS_LICENGINE_FAIL_TO_CONNECT"),
        s.Enabled, Builtin: true);

    /// <summary>Loads the stored rules, adding the built-in rule at its start-up values if missing.</summary>
    public Task InitializeAsync(CancellationToken ct = default) => LoadFreshAsync(keepCounters: true, ct);

    /// <summary>Re-reads rules after the store changed underneath (snapshot import); counters restart.</summary>
    public Task ReloadAsync(CancellationToken ct = default) => LoadFreshAsync(keepCounters: false, ct);

    /// <summary>Re-reads rules another process changed in the shared store; counters of rules that stay are kept.</summary>
    public async Task RefreshAsync(CancellationToken ct = default)
    {
        await _changes.WaitAsync(ct);
        try { await LoadAsync(ct); }
        finally { _changes.Release(); }
    }

    /// <summary>Stored rules this version cannot load (a hand-edited or foreign database): they stay out of force, as if disabled.</summary>
    public IReadOnlyList<UnloadableFaultRule> Unloadable => _unloadable;

    private async Task LoadFreshAsync(bool keepCounters, CancellationToken ct)
    {
        await _changes.WaitAsync(ct);
        try
        {
            if (!keepCounters) _rules = [];
            if ((await _store.Faults.ListAsync(ct)).All(r => r.Id != BottleneckId))
                await SaveAsync(BottleneckRule(_bottleneck), long.MaxValue / 2, restartCounts: true, ct);
            await LoadAsync(ct);
        }
        finally { _changes.Release(); }
    }

    /// <summary>After a full store reset: built-ins back to start-up values, counters at zero.</summary>
    public async Task ResetAsync(CancellationToken ct = default)
    {
        await _changes.WaitAsync(ct);
        try
        {
            await _store.Faults.DeleteUserRulesAsync(ct);
            await SaveAsync(BottleneckRule(_bottleneck), long.MaxValue / 2, restartCounts: true, ct);
            _rules = [];
            await LoadAsync(ct);
        }
        finally { _changes.Release(); }
    }

    /// <summary>The rules with the counters this process last saw (its own counts, or the store's as of its last count or read).</summary>
    public IReadOnlyList<FaultRuleView> List() =>
        _rules.Select(c => { lock (c.State) return new FaultRuleView(c.Rule, c.State.Candidates, c.State.Applied, c.State.Exhausted); }).ToList();

    public FaultRuleView? Find(string id) => List().FirstOrDefault(v => v.Rule.Id == id);

    /// <summary>The rules with their counters as they are now, every process's counts included.</summary>
    public async Task<IReadOnlyList<FaultRuleView>> ListAsync(CancellationToken ct = default)
    {
        if (_shared)
        {
            var counts = await _store.Faults.ReadCountsAsync(ct);
            foreach (var c in _rules)
            {
                var n = counts.TryGetValue(c.Rule.Id, out var found) ? found : default;
                lock (c.State) c.State.Set(n, c.Rule.When.Times);
            }
        }
        return List();
    }

    public async Task<FaultRuleView?> FindAsync(string id, CancellationToken ct = default) => (await ListAsync(ct)).FirstOrDefault(v => v.Rule.Id == id);

    /// <summary>True when some enabled rule can match a request on <paramref name="surface"/>: the fast path skips the rest.</summary>
    public bool Watches(string surface) => _surfaces.Contains(surface);

    /// <summary>Adds a rule from its JSON; an <c>id</c> already in use is a conflict.</summary>
    public async Task<FaultRuleView> AddAsync(JsonNode body, CancellationToken ct = default)
    {
        await _changes.WaitAsync(ct);
        try
        {
            var view = await AddLockedAsync(body, "", ct);
            await LoadAsync(ct);
            return Find(view.Id)!;
        }
        finally { _changes.Release(); }
    }

    /// <summary>Applies a JSON merge patch (RFC 7386) to a rule, built-ins included.</summary>
    public async Task<FaultRuleView> PatchAsync(string id, JsonNode patch, CancellationToken ct = default)
    {
        await _changes.WaitAsync(ct);
        try
        {
            await PatchLockedAsync(id, patch, "", ct);
            await LoadAsync(ct);
            return Find(id)!;
        }
        finally { _changes.Release(); }
    }

    public async Task DeleteAsync(string id, CancellationToken ct = default)
    {
        await _changes.WaitAsync(ct);
        try
        {
            var rule = _rules.FirstOrDefault(r => r.Rule.Id == id)?.Rule ?? throw new EntityNotFoundException($"no fault rule '{id}'");
            if (rule.Builtin) throw new StateConflictException($"'{id}' is built in and cannot be deleted; disable it with PATCH {{\"enabled\":false}}");
            await _store.Faults.DeleteAsync(id, ct);
            await LoadAsync(ct);
        }
        finally { _changes.Release(); }
    }

    /// <summary>Removes every user rule; built-ins stay.</summary>
    public async Task DeleteUserRulesAsync(CancellationToken ct = default)
    {
        await _changes.WaitAsync(ct);
        try
        {
            await _store.Faults.DeleteUserRulesAsync(ct);
            await LoadAsync(ct);
        }
        finally { _changes.Release(); }
    }

    /// <summary>
    /// Checks a seed document's <c>faults</c> entries without applying them (errors under
    /// <c>faults[i]</c>), so a bad entry refuses the whole document before anything changes.
    /// </summary>
    public void ValidateSeed(IReadOnlyList<JsonObject> entries)
    {
        var errors = new ValidationErrors();
        for (var i = 0; i < entries.Count; i++)
        {
            try
            {
                var id = entries[i]["id"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
                var existing = id is null ? null : _rules.FirstOrDefault(r => r.Rule.Id == id);
                var merged = existing is null ? entries[i] : FaultRuleJson.MergePatch(FaultRuleJson.Write(existing.Rule), entries[i]);
                FaultRuleJson.Read(merged, id ?? "new", existing?.Rule.Builtin ?? false);
            }
            catch (EngineValidationException e)
            {
                foreach (var (path, messages) in e.Errors)
                    foreach (var m in messages) errors.Add($"faults[{i}]" + (path is "" or "$" ? "" : "." + path), m);
            }
        }
        errors.ThrowIfAny("Invalid fault rules in seed document");
    }

    /// <summary>Applies seed <c>faults</c> entries: one naming an existing rule is a merge patch, the others are added.</summary>
    public async Task ApplySeedAsync(IReadOnlyList<JsonObject> entries, CancellationToken ct = default)
    {
        if (entries.Count == 0) return;
        ValidateSeed(entries);
        await _changes.WaitAsync(ct);
        try
        {
            for (var i = 0; i < entries.Count; i++)
            {
                var id = entries[i]["id"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
                if (id is not null && _rules.Any(r => r.Rule.Id == id)) await PatchLockedAsync(id, entries[i], $"faults[{i}].", ct);
                else await AddLockedAsync(entries[i], $"faults[{i}].", ct);
                await LoadAsync(ct);
            }
        }
        finally { _changes.Release(); }
    }

    private async Task<FaultRule> AddLockedAsync(JsonNode body, string pathPrefix, CancellationToken ct)
    {
        var givenId = body is JsonObject o && o["id"] is JsonValue v && v.TryGetValue<string>(out var s) && s.Trim().Length > 0 ? s.Trim() : null;
        if (givenId is not null && _rules.Any(r => r.Rule.Id == givenId))
            throw new StateConflictException($"a fault rule with id '{givenId}' exists; PATCH it or pick another id");
        // Validated before a number is taken, so a refused rule leaves the store as it was.
        Prefixed(() => FaultRuleJson.Read(body, givenId ?? "rule-0", builtin: false), pathPrefix);
        var seq = await _store.State.NextCounterAsync("fault-rule", ct);
        var rule = Prefixed(() => FaultRuleJson.Read(body, givenId ?? "rule-" + seq, builtin: false), pathPrefix);
        await SaveAsync(rule, seq, restartCounts: true, ct);
        return rule;
    }

    private async Task PatchLockedAsync(string id, JsonNode patch, string pathPrefix, CancellationToken ct)
    {
        var current = _rules.FirstOrDefault(r => r.Rule.Id == id) ?? throw new EntityNotFoundException($"no fault rule '{id}'");
        if (patch is not JsonObject) throw EngineValidationException.Single("$", "a merge patch must be a JSON object");
        var merged = FaultRuleJson.MergePatch(FaultRuleJson.Write(current.Rule), patch);
        var rule = Prefixed(() => FaultRuleJson.Read(merged, id, current.Rule.Builtin), pathPrefix);
        await SaveAsync(rule, current.Seq, restartCounts: false, ct);
    }

    private static FaultRule Prefixed(Func<FaultRule> read, string prefix)
    {
        try
        {
            return read();
        }
        catch (EngineValidationException e) when (prefix.Length > 0)
        {
            throw new EngineValidationException(e.Title, e.Errors.ToDictionary(kv => prefix + kv.Key, kv => kv.Value));
        }
    }

    private Task SaveAsync(FaultRule rule, long seq, bool restartCounts, CancellationToken ct) =>
        _store.Faults.SaveAsync(new StoredFaultRule(rule.Id, seq, rule.Builtin, FaultRuleJson.Write(rule).ToJsonString()), restartCounts, ct);

    private async Task LoadAsync(CancellationToken ct)
    {
        var previous = _rules.ToDictionary(r => r.Rule.Id);
        var compiled = new List<CompiledRule>();
        var unloadable = new List<UnloadableFaultRule>();
        foreach (var stored in await _store.Faults.ListAsync(ct))
        {
            FaultRule rule;
            try
            {
                rule = FaultRuleJson.Read(JsonNode.Parse(stored.Json), stored.Id, stored.Builtin);
            }
            catch (Exception e) when (e is EngineValidationException or System.Text.Json.JsonException)
            {
                // One bad row must not stop the simulator starting or every other rule applying.
                unloadable.Add(new UnloadableFaultRule(stored.Id, e is EngineValidationException v
                    ? string.Join("; ", v.Errors.Select(kv => (kv.Key is "" or "$" ? "" : kv.Key + ": ") + string.Join(", ", kv.Value)))
                    : "rule_json is not JSON: " + e.Message));
                continue;
            }
            // Counters survive an edit of the same rule, not its replacement by a reset or import.
            var state = previous.TryGetValue(rule.Id, out var p) ? p.State : new RuleState();
            compiled.Add(new CompiledRule(rule, stored.Seq, state));
        }
        _unloadable = unloadable;
        _rules = [.. compiled.OrderBy(c => c.Rule.Order ?? (c.Rule.Builtin ? long.MaxValue / 2 + c.Seq % 1000 : c.Seq)).ThenBy(c => c.Seq)];
        _surfaces = [.. _rules.Where(r => r.Rule.Enabled).SelectMany(r => r.Rule.Match.Surface is null or FaultCatalog.AnySurface
            ? FaultCatalog.Surfaces.Where(s => s != "control") : [r.Rule.Match.Surface])];
    }

    /// <summary>
    /// Decides what happens to one request. Every enabled rule whose match holds counts it as a
    /// candidate; the first whose conditions also hold fires. The caller must call
    /// <see cref="FaultEvaluation.Complete"/> once the reply is sent, to close concurrency windows.
    /// </summary>
    public async ValueTask<FaultEvaluation> EvaluateAsync(FaultRequest request, CancellationToken ct = default)
    {
        FaultDecision? fired = null;
        List<(CompiledRule Rule, Lease Lease)>? leases = null;
        var now = _wall.GetUtcNow();
        foreach (var c in _rules)
        {
            if (!c.Rule.Enabled || !c.Matches(request)) continue;
            var key = request.TokenId ?? "";
            var (n, fires, lease) = _shared ? await CountInStoreAsync(c, fired is null, key, now, ct) : CountHere(c, fired is null, key, now);
            if (fires) fired = new FaultDecision(c.Rule.Id, c.Rule.Name, c.Rule.Effect, n, Latency(c.Rule, n));
            else if (lease is not null) (leases ??= []).Add((c, lease));
        }
        return new FaultEvaluation(fired, leases, _wall);
    }

    // One process: the rule's lock makes numbering and `times` exact.
    private (long N, bool Fires, Lease? Lease) CountHere(CompiledRule c, bool mayFire, string key, DateTimeOffset now)
    {
        var when = c.Rule.When;
        lock (c.State)
        {
            var n = ++c.State.Candidates;
            var fires = mayFire && !c.State.Exhausted && Holds(c, when, n, key, now);
            if (fires)
            {
                c.State.Applied++;
                if (when.Times is { } times && c.State.Applied >= times) c.State.Exhausted = true;
            }
            return (n, fires, fires ? null : OpenWindow(c, key));
        }
    }

    // Counted from arrival until holdMs after the reply, unless the rule fired on it; opened under
    // the same lock as the count it is checked against, so concurrent arrivals each see the others.
    private static Lease? OpenWindow(CompiledRule c, string key)
    {
        if (c.Rule.When.ConcurrentAbove is null) return null;
        var lease = new Lease();
        if (!c.State.InFlight.TryGetValue(key, out var list)) c.State.InFlight[key] = list = [];
        list.Add(lease);
        return lease;
    }

    // Processes sharing the store: it numbers the candidate, and counts a firing only while `times`
    // allows, so two replicas racing for a rule's last firing cannot both have it.
    private async ValueTask<(long N, bool Fires, Lease? Lease)> CountInStoreAsync(CompiledRule c, bool mayFire, string key, DateTimeOffset now, CancellationToken ct)
    {
        var when = c.Rule.When;
        var counts = await _store.Faults.CountCandidateAsync(c.Rule.Id, ct);
        lock (c.State)
        {
            c.State.Set(counts, when.Times);
            if (!(mayFire && !c.State.Exhausted && Holds(c, when, counts.Candidates, key, now))) return (counts.Candidates, false, OpenWindow(c, key));
        }
        var applied = await _store.Faults.CountAppliedAsync(c.Rule.Id, when.Times, ct);
        lock (c.State)
        {
            c.State.Set(new FaultRuleCounts(counts.Candidates, applied ?? when.Times ?? counts.Applied), when.Times);
            // Another process had the last firing: this request is counted in the window after all.
            return applied is null ? (counts.Candidates, false, OpenWindow(c, key)) : (counts.Candidates, true, null);
        }
    }

    private bool Holds(CompiledRule c, FaultWhen w, long n, string key, DateTimeOffset now)
    {
        if (w.Nth is { } nth && !nth.Contains(n)) return false;
        if (w.Every is { } every && n % every != 0) return false;
        if (w.After is { } after && n <= after) return false;
        if (w.Probability is { } p && !(Fraction(w.Seed ?? _randomSeed(), n) < p)) return false;
        if (w.ConcurrentAbove is { } limit && c.State.Counted(key, now) < limit) return false;
        return true;
    }

    private TimeSpan Latency(FaultRule rule, long n)
    {
        if (rule.Effect.LatencyMs is not { } ms) return TimeSpan.Zero;
        var jitter = rule.Effect.JitterMs is { } j && j > 0 ? (long)(Fraction((rule.When.Seed ?? _randomSeed()) ^ 0x5EED, n) * (j + 1)) : 0;
        return TimeSpan.FromMilliseconds(ms + jitter);
    }

    /// <summary>SplitMix64(seed XOR number) / 2^64: the same on every run and under any interleaving.</summary>
    public static double Fraction(long seed, long number) => SplitMix64((ulong)seed ^ (ulong)number) / 18446744073709551616.0;

    public static ulong SplitMix64(ulong x)
    {
        var z = x + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    internal sealed class RuleState
    {
        public long Candidates;
        public long Applied;
        public bool Exhausted;
        public readonly Dictionary<string, List<Lease>> InFlight = new(StringComparer.OrdinalIgnoreCase);

        /// <summary>Takes the store's counts. Call under the lock.</summary>
        public void Set(FaultRuleCounts counts, long? times)
        {
            Candidates = counts.Candidates;
            Applied = counts.Applied;
            Exhausted = times is { } t && Applied >= t;
        }

        /// <summary>Requests counted for <paramref name="key"/> now; closed windows are dropped on the way. Call under the lock.</summary>
        public int Counted(string key, DateTimeOffset now)
        {
            if (!InFlight.TryGetValue(key, out var list)) return 0;
            list.RemoveAll(l => l.ReleaseAt is { } at && at <= now);
            if (list.Count == 0) InFlight.Remove(key);
            return list.Count;
        }
    }

    /// <summary>One counted request: open until its reply, then until <see cref="ReleaseAt"/>.</summary>
    internal sealed class Lease
    {
        public DateTimeOffset? ReleaseAt;
    }

    internal sealed class CompiledRule(FaultRule rule, long seq, RuleState state)
    {
        private readonly Regex? _path = rule.Match.Path is { } glob ? GlobToRegex(glob) : null;

        public FaultRule Rule { get; } = rule;
        public long Seq { get; } = seq;
        public RuleState State { get; } = state;

        public bool Matches(FaultRequest r)
        {
            var m = Rule.Match;
            if (m.Surface is { } s && s != FaultCatalog.AnySurface && s != r.Surface) return false;
            if ((m.Surface is null || m.Surface == FaultCatalog.AnySurface) && r.Surface == "control") return false;
            if (m.Operation is { } op && !string.Equals(op, r.Operation, StringComparison.Ordinal)) return false;
            if (m.SmartAccount is { } sa && !string.Equals(sa, r.SmartAccount, StringComparison.OrdinalIgnoreCase)) return false;
            if (m.VirtualAccount is { } va && !string.Equals(va, r.VirtualAccount, StringComparison.Ordinal)) return false;
            if (m.Udi is { } udi && !UdiMatches(udi, r)) return false;
            if (m.Token is { } token && !TokenMatches(token, r)) return false;
            if (m.TokenLimited is { } limited && r.TokenLimited != limited) return false;
            if (_path is not null && (r.Path is null || !_path.IsMatch(r.Path))) return false;
            return true;
        }

        // A UDI in a rule may be "PID:x,SN:y", "x:y" or the serial number alone.
        private static bool UdiMatches(string udi, FaultRequest r)
        {
            if (r.UdiSerial is null) return false;
            var u = udi.Trim();
            if (u.StartsWith("PID:", StringComparison.OrdinalIgnoreCase) && u.Contains(",SN:", StringComparison.OrdinalIgnoreCase))
            {
                var comma = u.IndexOf(",SN:", StringComparison.OrdinalIgnoreCase);
                return string.Equals(u[4..comma], r.UdiPid, StringComparison.OrdinalIgnoreCase)
                    && string.Equals(u[(comma + 4)..], r.UdiSerial, StringComparison.OrdinalIgnoreCase);
            }
            var colon = u.LastIndexOf(':');
            return colon > 0
                ? string.Equals(u[..colon], r.UdiPid, StringComparison.OrdinalIgnoreCase) && string.Equals(u[(colon + 1)..], r.UdiSerial, StringComparison.OrdinalIgnoreCase)
                : string.Equals(u, r.UdiSerial, StringComparison.OrdinalIgnoreCase);
        }

        private static bool TokenMatches(string token, FaultRequest r) =>
            string.Equals(token, r.TokenId, StringComparison.OrdinalIgnoreCase) || (r.TokenText is not null && token.Trim() == r.TokenText.Trim());

        // Case-insensitive glob on the path: * is one segment, ** any number of them.
        private static Regex GlobToRegex(string glob)
        {
            var pattern = Regex.Escape(glob.TrimEnd('/')).Replace(@"\*\*", "\u0001").Replace(@"\*", "[^/]*").Replace("\u0001", ".*");
            return new Regex("^" + pattern + "/?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50));
        }
    }
}

/// <summary>
/// The outcome of <see cref="FaultEngine.EvaluateAsync"/> for one request: the decision (if a rule
/// fired) and the concurrency windows it opened, which close <c>holdMs</c> after the reply.
/// Windows close by time stamp rather than timers, so a hand-moved clock drives them exactly.
/// </summary>
public sealed class FaultEvaluation
{
    private readonly List<(FaultEngine.CompiledRule Rule, FaultEngine.Lease Lease)>? _leases;
    private readonly TimeProvider _wall;
    private int _completed;

    internal FaultEvaluation(FaultDecision? decision, List<(FaultEngine.CompiledRule, FaultEngine.Lease)>? leases, TimeProvider wall)
    {
        Decision = decision;
        _leases = leases;
        _wall = wall;
    }

    public static FaultEvaluation None { get; } = new(null, null, TimeProvider.System);

    public FaultDecision? Decision { get; }

    /// <summary>The reply is out: each window stays open <c>holdMs</c> longer. Idempotent.</summary>
    public void Complete()
    {
        if (_leases is null || Interlocked.Exchange(ref _completed, 1) == 1) return;
        var now = _wall.GetUtcNow();
        foreach (var (rule, lease) in _leases)
        {
            lock (rule.State) lease.ReleaseAt = now + TimeSpan.FromMilliseconds(rule.Rule.When.HoldMs ?? 0);
        }
    }
}
