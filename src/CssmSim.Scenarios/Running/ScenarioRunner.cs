using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CssmSim.Scenarios.Model;
using CssmSim.Testing.Devices;

namespace CssmSim.Scenarios.Running;

/// <summary>
/// Runs a scenario against a simulator at a base URL, over HTTP only: the control API for set-up and
/// inspection, simulated product instances for the device protocols. In-process runs point it at a
/// fixture's Kestrel, so a run against <c>--target</c> takes the very same path.
/// </summary>
public sealed partial class ScenarioRunner : IDisposable
{
    private const string DefaultPid = "C9800-CL-K9";
    private readonly RunOptions _options;
    private readonly SocketsHttpHandler _handler;
    private readonly HttpClient _http;
    private readonly ControlClient _control;

    public ScenarioRunner(RunOptions options)
    {
        _options = options;
        // Loopback simulators must never go through the environment's HTTP proxy.
        _handler = new SocketsHttpHandler { UseProxy = false };
        _http = new HttpClient(_handler, disposeHandler: false) { BaseAddress = options.Target, Timeout = options.RequestTimeout };
        if (options.ControlKey is { Length: > 0 } key) _http.DefaultRequestHeaders.Add("X-CssmSim-Key", key);
        _control = new ControlClient(_http);
    }

    public void Dispose()
    {
        _http.Dispose();
        _handler.Dispose();
    }

    public async Task<ScenarioResult> RunAsync(ScenarioDocument scenario, IScenarioObserver? observer = null, CancellationToken ct = default)
    {
        var result = new ScenarioResult(scenario);
        var started = Stopwatch.GetTimestamp();
        var run = new Run(this, scenario, observer);
        ScenarioAction? current = null;
        try
        {
            await run.PrepareAsync(ct);
            var index = 0;
            foreach (var step in scenario.Steps)
            {
                current = step;
                observer?.StepStarted(++index, scenario.Steps.Count, step);
                var stepStart = Stopwatch.GetTimestamp();
                string summary;
                try
                {
                    summary = step.Name == "expect" ? await run.CheckpointAsync(step, result, ct) : await run.ExecuteAsync(step, ct);
                }
                catch (SimulatorRequestException e)
                {
                    throw new StepFailedException(step, e.Message);
                }
                var stepResult = new StepResult(step.Line, step.Describe(), summary, Stopwatch.GetElapsedTime(stepStart));
                result.Steps.Add(stepResult);
                observer?.StepFinished(stepResult);
            }
            foreach (var expectation in scenario.Expectations) result.Expectations.Add(await run.EvaluateAsync(expectation, ct));
        }
        catch (StepFailedException e)
        {
            result.Error = $"step '{e.Step.Name}' (line {e.Step.Line}) failed: {e.Message}";
            result.ErrorLine = e.Step.Line;
        }
        catch (SimulatorRequestException e)
        {
            result.Error = e.Message;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // A reply the device emulator could not read, a broken artefact: a failed run, never a crash.
            result.Error = current is null ? $"setting up failed: {e.Message}" : $"step '{current.Name}' (line {current.Line}) failed: {e.GetType().Name}: {e.Message}";
            result.ErrorLine = current?.Line;
        }
        finally
        {
            if (_options.NoReset) await run.RestoreAsync(ct);
        }
        result.Elapsed = Stopwatch.GetElapsedTime(started);
        return result;
    }

    private sealed class StepFailedException(ScenarioAction step, string message) : Exception(message)
    {
        public ScenarioAction Step { get; } = step;
    }

    /// <summary>The state of one run: the devices, tokens and uploads its steps named.</summary>
    private sealed partial class Run(ScenarioRunner runner, ScenarioDocument scenario, IScenarioObserver? observer)
    {
        private readonly ControlClient _c = runner._control;
        private readonly RunOptions _o = runner._options;
        private readonly Dictionary<string, DeviceGroup> _groups = new(StringComparer.Ordinal);
        private readonly Dictionary<SimulatedProductInstance, DeviceState> _states = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<string, TokenRef> _tokens = new(StringComparer.Ordinal);
        private readonly Dictionary<string, UploadRef> _uploads = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _faultIds = new(StringComparer.Ordinal);
        private readonly string _runId = runner._options.NoReset ? runner._options.RunId ?? Guid.NewGuid().ToString("N")[..6].ToUpperInvariant() : "";
        private string _defaultAccount = "example.com";
        private long _journalSince;
        private long _eventsSince;
        private string? _accessToken;
        // What a --no-reset run changed on a shared simulator, put back when it ends.
        private readonly List<string> _addedFaults = [];
        private readonly Dictionary<string, JsonObject> _patchedFaults = new(StringComparer.Ordinal);
        private JsonNode? _savedTransitions;
        private JsonNode? _savedClock;
        private bool _transitionsChanged;
        private bool _clockChanged;

        private string Suffix(string s) => _o.NoReset ? $"{s}-{_runId}" : s;

        public async Task PrepareAsync(CancellationToken ct)
        {
            _defaultAccount = scenario.SmartAccount
                ?? scenario.Seed?["accounts"]?.AsArray().FirstOrDefault()?["domain"]?.GetValue<string>()
                ?? "example.com";
            if (_o.NoReset)
            {
                // A shared simulator keeps older requests and events: count only this run's.
                _journalSince = LastId(await _c.GetAsync("/_sim/journal?limit=10000", ct), "entries");
                _eventsSince = await LastEventIdAsync(ct);
                _savedTransitions = await _c.GetAsync("/_sim/poll-transitions", ct);
                _savedClock = await _c.GetAsync("/_sim/clock", ct);
            }
            else
            {
                await _c.PostAsync("/_sim/reset", null, ct);
            }
            var seed = scenario.Seed?.DeepClone().AsObject();
            if (_o.RandomSeed is { } rs) (seed ??= new JsonObject())["randomSeed"] = rs;
            if (seed is not null)
            {
                ResolveSeedTags(seed);
                await _c.PostAsync("/_sim/seed", seed, ct);
            }
            if (scenario.Faults.Count > 0)
            {
                var existing = (await _c.GetAsync("/_sim/faults", ct))?["rules"]?.AsArray().Select(r => r?["id"]?.GetValue<string>()).ToHashSet() ?? [];
                foreach (var rule in scenario.Faults)
                {
                    var id = rule["id"]?.GetValue<string>();
                    if (id is not null && existing.Contains(id))
                    {
                        var patch = rule.DeepClone().AsObject();
                        patch.Remove("id");
                        await PatchFaultAsync(id, patch, ct);
                    }
                    else await AddFaultAsync(rule, ct);
                }
            }
        }

        private static long LastId(JsonNode? page, string key) => page?[key]?.AsArray().LastOrDefault()?["id"]?.GetValue<long>() ?? 0;

        private async Task<long> LastEventIdAsync(CancellationToken ct)
        {
            long last = 0;
            for (var i = 0; i < 1000; i++)
            {
                var page = await _c.GetAsync($"/_sim/events?limit=10000&since={last}", ct);
                var id = LastId(page, "events");
                if (id == 0 || page?["next"] is null) return Math.Max(last, id);
                last = id;
            }
            return last;
        }

        // Short license names become full tags; with --no-reset, seeded serials get the run id like the devices'.
        private void ResolveSeedTags(JsonObject seed)
        {
            foreach (var account in seed["accounts"]?.AsArray() ?? [])
            foreach (var va in account?["virtualAccounts"]?.AsArray() ?? [])
            {
                foreach (var license in (va as JsonObject)?["licenses"]?.AsArray() ?? [])
                    if (license?["tag"] is JsonValue t && t.TryGetValue<string>(out var tag)) license["tag"] = Tags.Resolve(tag);
                if (!_o.NoReset) continue;
                foreach (var pi in (va as JsonObject)?["productInstances"]?.AsArray() ?? [])
                    if (pi?["udi_serial_number"] is JsonValue sn && sn.TryGetValue<string>(out var serial)) pi["udi_serial_number"] = Suffix(serial);
            }
        }

        private async Task PatchFaultAsync(string id, JsonObject patch, CancellationToken ct)
        {
            var path = "/_sim/faults/" + E(id);
            if (_o.NoReset && !_addedFaults.Contains(id) && !_patchedFaults.ContainsKey(id) && await _c.GetAsync(path, ct) is JsonObject original)
                _patchedFaults[id] = original;
            await _c.SendAsync(HttpMethod.Patch, path, patch, ct);
        }

        /// <summary>After a --no-reset run: its fault rules removed, patched rules, poll transitions and the clock as they were.</summary>
        public async Task RestoreAsync(CancellationToken ct)
        {
            async Task Try(Func<Task> action)
            {
                try { await action(); }
                catch (SimulatorRequestException) { }
            }
            foreach (var id in _addedFaults) await Try(() => _c.SendAsync(HttpMethod.Delete, "/_sim/faults/" + E(id), null, ct));
            foreach (var (id, original) in _patchedFaults)
            {
                var back = new JsonObject();
                foreach (var key in new[] { "name", "order", "match", "when", "effect", "enabled" })
                    if (original.TryGetPropertyValue(key, out var v)) back[key] = v?.DeepClone();
                await Try(() => _c.SendAsync(HttpMethod.Patch, "/_sim/faults/" + E(id), back, ct));
            }
            if (_transitionsChanged && _savedTransitions?["transitions"] is JsonArray saved)
            {
                await Try(() => _c.SendAsync(HttpMethod.Delete, "/_sim/poll-transitions", null, ct));
                foreach (var t in saved.OfType<JsonObject>().Where(t => t["progression"]?.ToString() != "immediate" || t["smartAccount"] is not null))
                {
                    var body = new JsonObject();
                    foreach (var (k, v) in t) if (v is not null) body[k] = v.DeepClone();
                    await Try(() => _c.PostAsync("/_sim/poll-transitions", body, ct));
                }
            }
            if (_clockChanged && _savedClock is JsonObject clock)
            {
                var mode = clock["mode"]?.ToString();
                await Try(() => _c.PostAsync("/_sim/clock", new JsonObject { ["mode"] = "system" }, ct));
                if (mode == "frozen")
                {
                    await Try(() => _c.PostAsync("/_sim/clock", new JsonObject { ["mode"] = "frozen" }, ct));
                    await Try(() => _c.PostAsync("/_sim/clock", new JsonObject { ["set"] = clock["now"]?.ToString() }, ct));
                }
                else if (mode == "virtual" && clock["offsetMs"]?.GetValue<long>() is { } offset)
                {
                    var at = DateTimeOffset.UtcNow.AddMilliseconds(offset).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
                    await Try(() => _c.PostAsync("/_sim/clock", new JsonObject { ["set"] = at }, ct));
                }
            }
        }

        private async Task AddFaultAsync(JsonObject rule, CancellationToken ct)
        {
            var body = rule.DeepClone().AsObject();
            if (body["id"]?.GetValue<string>() is { } id && _o.NoReset) body["id"] = _faultIds[id] = Suffix(id);
            var added = await _c.PostAsync("/_sim/faults", body, ct);
            if (added?["id"]?.GetValue<string>() is { } addedId) _addedFaults.Add(addedId);
        }

        private string Account(ScenarioAction a) => a.Text("smartAccount") ?? _defaultAccount;

        private static string Va(ScenarioAction a) => a.Text("virtualAccount") ?? "DEFAULT";

        private static string E(string s) => Uri.EscapeDataString(s);

        private string VaPath(ScenarioAction a) => $"/_sim/accounts/{E(Account(a))}/virtual-accounts/{E(Va(a))}";

        private List<SimulatedProductInstance> Devices(ScenarioAction a, string key = "devices") =>
            a.Names(key).SelectMany(n => _groups[n].All).Distinct(ReferenceEqualityComparer.Instance).Cast<SimulatedProductInstance>().ToList();

        private DeviceState State(SimulatedProductInstance d) => _states[d];

        private void Declare(string name, IReadOnlyList<SimulatedProductInstance> singles, IReadOnlyList<SimulatedHaPair> pairs)
        {
            var group = new DeviceGroup(name, singles, pairs);
            foreach (var d in group.All) _states[d] = new DeviceState(d);
            _groups[name] = group;
        }

        private SimulatedProductInstance NewDevice(string pid, string serial, string? hostname = null) => new(runner._http, pid, Suffix(serial), hostname);

        public async Task<string> ExecuteAsync(ScenarioAction s, CancellationToken ct)
        {
            switch (s.Name)
            {
                case "seed":
                {
                    var seed = (JsonObject)s.Value.ToJson()!;
                    ResolveSeedTags(seed);
                    var answer = await _c.PostAsync("/_sim/seed", seed, ct);
                    return $"merged ({string.Join(", ", answer?["accounts"]?.AsArray().Select(x => x?.ToString()) ?? [])})";
                }
                case "policy":
                {
                    var path = s.Text("virtualAccount") is { } va ? $"/_sim/accounts/{E(Account(s))}/virtual-accounts/{E(va)}/policy" : $"/_sim/accounts/{E(Account(s))}/policy";
                    if (s.Bool("clear") == true)
                    {
                        await _c.SendAsync(HttpMethod.Delete, path, null, ct);
                        return "custom policy removed";
                    }
                    await _c.SendAsync(HttpMethod.Put, path, s.Json("policy"), ct);
                    return "custom policy set";
                }
                case "createToken":
                {
                    var body = new JsonObject
                    {
                        ["description"] = Suffix(s.Text("description") ?? $"scenario {scenario.Name}: {s.Text("as")}"),
                        ["expiresAfterDays"] = s.Int("expiresAfterDays") ?? 30,
                        ["exportControlled"] = s.Bool("exportControlled") ?? true,
                    };
                    if (s.Int("maxUses") is { } max) body["maxUses"] = max;
                    var created = await _c.PostAsync(VaPath(s) + "/tokens", body, ct);
                    var token = new TokenRef(s.Text("as")!, created!["token"]!.GetValue<string>(), created["tokenId"]!.GetValue<string>(), Account(s), Va(s));
                    _tokens[token.Name] = token;
                    return $"token {token.TokenId} in {token.VirtualAccount}" + (s.Int("maxUses") is { } m ? $", {m} uses" : "");
                }
                case "revokeToken":
                {
                    var token = _tokens[s.Text("token")!];
                    await _c.SendAsync(HttpMethod.Delete, $"/_sim/accounts/{E(token.SmartAccount)}/virtual-accounts/{E(token.VirtualAccount)}/tokens/{E(token.TokenId)}", null, ct);
                    return $"token {token.TokenId} revoked";
                }
                case "device":
                {
                    var d = NewDevice(s.Text("pid")!, s.Text("serial")!, s.Text("hostname"));
                    Declare(s.Text("as")!, [d], []);
                    return d.Udi.ToString()!;
                }
                case "fleet":
                {
                    var name = s.Text("as")!;
                    var prefix = Suffix((s.Text("serialPrefix") ?? name.ToUpperInvariant()).TrimEnd('-')) + "-";
                    var pid = s.Text("pid") ?? DefaultPid;
                    var count = s.Int("count")!.Value;
                    if (s.Bool("haPairs") == true)
                    {
                        var fleet = SimulatedFleet.CreateHaPairs(runner._http, count, pid, prefix);
                        Declare(name, [], fleet.HaPairs);
                        return $"{count} HA pairs, {fleet[0].Udi.Serial} … {fleet[^1].Udi.Serial}";
                    }
                    var devices = SimulatedFleet.Create(runner._http, count, pid, prefix);
                    Declare(name, devices.ToList(), []);
                    return $"{count} devices, {devices[0].Udi.Serial} … {devices[^1].Udi.Serial}";
                }
                case "haPair":
                {
                    var pid = s.Text("pid") ?? DefaultPid;
                    var pair = new SimulatedHaPair(NewDevice(pid, s.Text("active")!), NewDevice(pid, s.Text("standby")!));
                    Declare(s.Text("as")!, [], [pair]);
                    return pair.ToString();
                }
                case "trust": return await TrustAsync(s, ct);
                case "trustSync": return await TrustSyncAsync(s, ct);
                case "reportUsage": return await ReportAsync(s, ct);
                case "poll": return await PollAsync(s, ct);
                case "uploadUsage": return await UploadAsync(s, ct);
                case "downloadAck": return await DownloadAckAsync(s, ct);
                case "requestSlac": return await RequestSlacAsync(s, ct);
                case "returnSlac": return await ReturnSlacAsync(s, ct);
                case "reserve": return await ReserveAsync(s, ct);
                case "returnReservation": return await ReturnReservationAsync(s, ct);
                case "clock":
                {
                    _clockChanged = true;
                    JsonNode? now = null;
                    if (s.Text("mode") is { } mode) now = await _c.PostAsync("/_sim/clock", new JsonObject { ["mode"] = mode }, ct);
                    if (s.Text("set") is { } set) now = await _c.PostAsync("/_sim/clock", new JsonObject { ["set"] = set }, ct);
                    if (s.Text("advance") is { } advance) now = await _c.PostAsync("/_sim/clock", new JsonObject { ["advance"] = advance }, ct);
                    return $"now {now?["now"]} ({now?["mode"]})";
                }
                case "addFault":
                    await AddFaultAsync((JsonObject)s.Value.ToJson()!, ct);
                    return "rule added" + (s.Text("id") is { } fid ? $": {fid}" : "");
                case "patchFault":
                {
                    var id = s.Text("id")!;
                    await PatchFaultAsync(_faultIds.GetValueOrDefault(id, id), (JsonObject)s.Json("patch")!, ct);
                    return $"rule {id} patched";
                }
                case "removeFault":
                {
                    var id = s.Text("id")!;
                    if (id == "all")
                    {
                        if (_o.NoReset) foreach (var own in _faultIds.Values) await _c.SendAsync(HttpMethod.Delete, "/_sim/faults/" + E(own), null, ct);
                        else await _c.SendAsync(HttpMethod.Delete, "/_sim/faults", null, ct);
                        return "user rules removed";
                    }
                    await _c.SendAsync(HttpMethod.Delete, "/_sim/faults/" + E(_faultIds.GetValueOrDefault(id, id)), null, ct);
                    return $"rule {id} removed";
                }
                case "pollTransition":
                {
                    var body = (JsonObject)s.Value.ToJson()!;
                    _transitionsChanged = true;
                    await _c.PostAsync("/_sim/poll-transitions", body, ct);
                    return $"{s.Text("action")}: {s.Text("progression")}" + (s.Int("times") is { } t ? $" ×{t}" : "") + (s.Text("duration") is { } d ? $" {d}" : "");
                }
                case "wait": return await WaitAsync(s, ct);
                default: throw new StepFailedException(s, "the runner has no implementation for this step");
            }
        }

        // Runs one request per item, at most `concurrency` at once, reporting progress as each ends.
        private async Task ForEachAsync<T>(IReadOnlyList<T> items, int concurrency, Func<T, CancellationToken, Task> action, CancellationToken ct)
        {
            var done = 0;
            observer?.Advanced(0, items.Count);
            await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct }, async (item, c) =>
            {
                await action(item, c);
                observer?.Advanced(Interlocked.Increment(ref done), items.Count);
            });
        }

        /// <summary>A transport failure as an error code: what the device saw instead of a CSSM reply.</summary>
        private static string TransportError(Exception e) => e switch
        {
            HttpRequestException => "CONNECTION_FAILED",
            TaskCanceledException => "TIMEOUT",
            InvalidOperationException when AnsweredPattern().Match(e.Message) is { Success: true } m => "HTTP_" + m.Groups[1].Value,
            System.Text.Json.JsonException or InvalidOperationException or FormatException => "INVALID_REPLY",
            _ => throw e,
        };

        [GeneratedRegex(@"answered (\d{3})")]
        private static partial Regex AnsweredPattern();

        private async Task<T?> DeviceCallAsync<T>(IEnumerable<SimulatedProductInstance> devices, string kind, Func<Task<T>> call, CancellationToken ct) where T : class
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                var code = TransportError(e);
                foreach (var d in devices) State(d).Record(kind, false, code);
                return null;
            }
        }

        private static long? PollId(JsonObject reply) => reply["poll_id"] is JsonValue v
            ? v.TryGetValue<long>(out var l) ? l : long.TryParse(v.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : null
            : null;

        private string Tally(IEnumerable<SimulatedProductInstance> devices, string okWord)
        {
            var list = devices.Select(State).ToList();
            var ok = list.Count(x => x.LastSucceeded);
            var pending = list.Count(x => x.Pending is not null && !x.LastSucceeded && x.LastError is null);
            var parts = new List<string> { $"{okWord} {ok} of {list.Count}" };
            if (pending > 0) parts.Add($"waiting (OK_POLL) {pending}");
            parts.AddRange(list.Where(x => x.LastError is not null).GroupBy(x => x.LastError!).OrderByDescending(g => g.Count()).Select(g => $"failed {g.Key} {g.Count()}"));
            return string.Join("; ", parts);
        }

        private async Task<string> TrustAsync(ScenarioAction s, CancellationToken ct)
        {
            var token = _tokens[s.Text("token")!].Value;
            var force = s.Bool("force") ?? false;
            var requests = new List<(IReadOnlyList<SimulatedProductInstance> Members, Func<Task<TrustResult>> Send)>();
            foreach (var name in s.Names("devices"))
            {
                var g = _groups[name];
                requests.AddRange(g.Singles.Select(d => ((IReadOnlyList<SimulatedProductInstance>)[d], (Func<Task<TrustResult>>)(() => d.EstablishTrustAsync(token, force: force, ct: ct)))));
                requests.AddRange(g.Pairs.Select(p => (p.Members, (Func<Task<TrustResult>>)(() => p.EstablishTrustAsync(token, force, ct)))));
            }
            await ForEachAsync(requests, s.Int("concurrency") ?? 8, async (r, c) =>
            {
                var result = await DeviceCallAsync(r.Members, "trust", r.Send, c);
                if (result is null) return;
                foreach (var m in r.Members) RecordTrust(m, result);
            }, ct);
            return Tally(requests.SelectMany(r => r.Members), "trusted");
        }

        private void RecordTrust(SimulatedProductInstance device, TrustResult result)
        {
            var state = State(device);
            if (result.Status == "OK_POLL" && PollId(result.Reply) is { } id)
            {
                state.RecordPending("trust", id);
                return;
            }
            var ok = result.Trusted && result.TrustCodes.Any(c => c.Udi == device.Udi && c.SignatureValid);
            state.Record("trust", ok, result.ErrorCode ?? (ok ? null : result.Status));
        }

        private async Task<string> TrustSyncAsync(ScenarioAction s, CancellationToken ct)
        {
            var pairs = s.Names("devices").SelectMany(n => _groups[n].Pairs).ToList();
            if (pairs.Count == 0) throw new StepFailedException(s, "trustSync needs HA pairs (haPair, or fleet with haPairs: true)");
            await ForEachAsync(pairs, 8, async (p, c) =>
            {
                var result = await DeviceCallAsync(p.Members, "trustSync", () => p.SyncTrustAsync(c), c);
                if (result is null) return;
                foreach (var m in p.Members)
                    State(m).Record("trustSync", result.Status == "COMPLETE", result.ErrorCode ?? (result.Status == "COMPLETE" ? null : result.Status));
            }, ct);
            return Tally(pairs.SelectMany(p => p.Members), "synced");
        }

        private async Task<DateTimeOffset> VirtualNowAsync(CancellationToken ct)
        {
            var now = (await _c.GetAsync("/_sim/clock", ct))?["now"]?.GetValue<string>();
            return now is not null && DateTimeOffset.TryParse(now, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : DateTimeOffset.UtcNow;
        }

        private static List<(string Tag, long Count)> Usage(ScenarioAction s) => s.Pairs("usage", "count").Select(u => (Tags.Resolve(u.Tag), u.Count)).ToList();

        private async Task<string> ReportAsync(ScenarioAction s, CancellationToken ct)
        {
            var usage = Usage(s);
            var at = await VirtualNowAsync(ct);
            var devices = Devices(s);
            await ForEachAsync(devices, s.Int("concurrency") ?? 8, async (d, c) =>
            {
                var result = await DeviceCallAsync([d], "report", () => d.ReportUsageAsync(usage, s.Bool("askForTrust") ?? false, at, c), c);
                if (result is null) return;
                var state = State(d);
                if (result.Status == "OK_POLL" && PollId(result.Reply) is { } id)
                {
                    state.RecordPending("report", id);
                    return;
                }
                state.Record("report", result.Acknowledged, result.ErrorCode ?? (result.Acknowledged ? null : result.Status));
                if (result.Ack is not null) state.Ack = result.Ack;
            }, ct);
            return Tally(devices, "acknowledged");
        }

        private async Task<string> PollAsync(ScenarioAction s, CancellationToken ct)
        {
            var devices = Devices(s).Where(d => State(d).Pending is not null).ToList();
            var maxPolls = s.Int("maxPolls") ?? 10;
            await ForEachAsync(devices, 8, async (d, c) =>
            {
                var state = State(d);
                var (id, kind) = state.Pending!.Value;
                var reply = await DeviceCallAsync([d], kind, () => d.PollAsync(id, maxPolls, c), c);
                if (reply is null) return;
                var status = reply["status"]?.GetValue<string>();
                if (status == "OK_POLL") return;
                state.Pending = null;
                if (status != "COMPLETE")
                {
                    state.Record(kind, false, reply["error"]?["code"]?.GetValue<string>() ?? status);
                    return;
                }
                if (reply["data"]?["ack"]?.GetValue<string>() is { } ack) state.Ack = await d.ImportAckAsync(ack, c);
                foreach (var a in reply["data"]?["authorizations"]?.AsArray() ?? [])
                    if (a?["sudi"]?["udi_serial_number"]?.GetValue<string>() == d.Udi.Serial && a["smart_license"]?.GetValue<string>() is { } code)
                        state.Authorized = await d.InstallAuthorizationAsync(code, c);
                state.Record(kind, true, null);
            }, ct);
            var all = Devices(s);
            var waiting = all.Count(d => State(d).Pending is not null);
            return $"polled {devices.Count}; complete {devices.Count - waiting}" + (waiting > 0 ? $"; still OK_POLL {waiting}" : "");
        }

        private async Task<string> UploadAsync(ScenarioAction s, CancellationToken ct)
        {
            var devices = Devices(s);
            var usage = Usage(s);
            var at = await VirtualNowAsync(ct);
            var format = s.Text("format") ?? "cslu";
            string fileName;
            byte[] content;
            CsluUsageArchive? archive = null;
            if (format == "device")
            {
                if (devices.Count != 1) throw new StepFailedException(s, $"format device saves one device's file; {devices.Count} devices were named");
                var saved = devices[0].SaveUsage(usage, $"usage_{devices[0].Udi.Serial}.txt", at: at);
                (fileName, content) = (saved.FileName, saved.Content);
            }
            else
            {
                archive = devices.SaveCsluUsage(usage, new CsluAccount(Account(s), Va(s)), at);
                (fileName, content) = (archive.FileName, archive.Content);
            }
            var accepted = await _c.PostBytesAsync($"/_sim/usage-files?fileName={E(fileName)}&smartAccount={E(Account(s))}&virtualAccount={E(Va(s))}", content, ct);
            var id = accepted!["id"]!.GetValue<string>();
            var final = await _c.GetAsync($"/_sim/usage-files/{E(id)}?waitUntilFinal=30", ct);
            var upload = new UploadRef(s.Text("as")!, id, format, archive, devices) { Status = final?["status"]?.GetValue<string>() ?? "" };
            _uploads[upload.Name] = upload;
            var errors = final?["errors"]?.AsArray().Count ?? 0;
            return $"{fileName}: {upload.Status}" + (errors > 0 ? $" ({errors} errors)" : "");
        }

        private async Task<string> DownloadAckAsync(ScenarioAction s, CancellationToken ct)
        {
            var upload = _uploads[s.Text("upload")!];
            var ack = await _c.GetBytesAsync($"/_sim/usage-files/{E(upload.Id)}/ack", ct);
            var imported = 0;
            foreach (var d in upload.Devices)
            {
                var state = State(d);
                try
                {
                    state.Ack = upload.Archive is { } archive ? await d.ImportAckAsync(archive, ack, ct) : await d.ImportAckAsync(Encoding.UTF8.GetString(ack), ct);
                    state.Record("import", true, null);
                    imported++;
                }
                catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or System.Text.Json.JsonException)
                {
                    state.Record("import", false, "ACK_IMPORT_FAILED");
                }
            }
            return $"{ack.Length} bytes; imported by {imported} of {upload.Devices.Count} devices";
        }

        private async Task<string> RequestSlacAsync(ScenarioAction s, CancellationToken ct)
        {
            var entitlements = new[] { (Tags.Resolve(s.Text("tag")!), s.Long("count") ?? 1) };
            var devices = Devices(s);
            await ForEachAsync(devices, 8, async (d, c) =>
            {
                var reply = await DeviceCallAsync([d], "slac", () => d.RequestAuthorizationAsync(entitlements, ct: c), c);
                if (reply is null) return;
                var state = State(d);
                var status = reply["status"]?.GetValue<string>();
                if (status == "OK_POLL" && PollId(reply) is { } id)
                {
                    state.RecordPending("slac", id);
                    return;
                }
                var ok = status == "COMPLETE" && d.Authorization is not null;
                if (ok) state.Authorized = true;
                state.Record("slac", ok, reply["error"]?["code"]?.GetValue<string>() ?? (ok ? null : status));
            }, ct);
            return Tally(devices, "granted");
        }

        private async Task<string> ReturnSlacAsync(ScenarioAction s, CancellationToken ct)
        {
            var devices = Devices(s);
            foreach (var d in devices.Where(d => d.Authorization is null)) State(d).Record("return", false, "NOTHING_INSTALLED");
            await ForEachAsync(devices.Where(d => d.Authorization is not null).ToList(), 8, async (d, c) =>
            {
                var reply = await DeviceCallAsync([d], "return", () => d.ReturnAuthorizationAsync(c), c);
                if (reply is null) return;
                var ok = reply["status"]?.GetValue<string>() == "COMPLETE";
                if (ok) State(d).Authorized = false;
                State(d).Record("return", ok, reply["error"]?["code"]?.GetValue<string>() ?? (ok ? null : reply["status"]?.ToString()));
            }, ct);
            return Tally(devices, "returned");
        }

        private async Task<string> ReserveAsync(ScenarioAction s, CancellationToken ct)
        {
            _accessToken ??= await _c.AccessTokenAsync(s.Text("clientId") ?? "cssmsim", s.Text("clientSecret") ?? "cssmsim", ct);
            var licenses = s.Pairs("licenses", "quantity");
            var devices = Devices(s);
            var path = $"/services/api/smart-accounts-and-licensing/v1/accounts/{E(Account(s))}/virtual-accounts/{E(Va(s))}/reserve-licenses";
            foreach (var d in devices)
            {
                var body = new JsonObject
                {
                    ["reservationRequests"] = new JsonArray(new JsonObject
                    {
                        ["reservationCode"] = d.CreateReservationRequestCode(),
                        ["reservationType"] = "SPECIFIC",
                        ["licenses"] = new JsonArray(licenses.Select(l => (JsonNode)new JsonObject
                        {
                            ["entitlementTag"] = Tags.Resolve(l.Tag), ["quantity"] = l.Count, ["precedence"] = "LONGEST_TERM_FIRST",
                        }).ToArray()),
                    }),
                };
                JsonNode? reply;
                try
                {
                    reply = await _c.SendAsync(HttpMethod.Post, path, body, ct, _accessToken);
                }
                catch (SimulatorRequestException e) when (e.Status is not null && e.Status != HttpStatusCode.Unauthorized)
                {
                    State(d).Record("reserve", false, e.Code ?? $"HTTP_{(int)e.Status}");
                    continue;
                }
                var entry = reply?["authorizationCodes"]?.AsArray().FirstOrDefault();
                var code = entry?["authorizationCode"]?.GetValue<string>();
                var ok = code is not null && await d.InstallAuthorizationAsync(code, ct);
                if (ok) State(d).Authorized = true;
                State(d).Record("reserve", ok, ok ? null : entry?["statusMessage"]?.ToString() ?? reply?["statusMessage"]?.ToString() ?? "RESERVATION_FAILED");
                observer?.Advanced(devices.IndexOf(d) + 1, devices.Count);
            }
            return Tally(devices, "reserved");
        }

        private async Task<string> ReturnReservationAsync(ScenarioAction s, CancellationToken ct)
        {
            var devices = Devices(s);
            foreach (var d in devices)
            {
                if (d.Authorization is null || !State(d).Authorized)
                {
                    State(d).Record("return", false, "NOTHING_INSTALLED");
                    continue;
                }
                try
                {
                    await _c.PostAsync(VaPath(s) + "/return-codes", new JsonObject { ["returnCode"] = d.ReturnCode() }, ct);
                    State(d).Authorized = false;
                    State(d).Record("return", true, null);
                }
                catch (SimulatorRequestException e) when (e.Status is HttpStatusCode.Conflict or HttpStatusCode.BadRequest or HttpStatusCode.NotFound)
                {
                    State(d).Record("return", false, e.Code ?? $"HTTP_{(int)e.Status!}");
                }
            }
            return Tally(devices, "returned");
        }

        private async Task<string> WaitAsync(ScenarioAction s, CancellationToken ct)
        {
            if (s.Int("ms") is { } ms)
            {
                await Task.Delay(Math.Min(ms, 60_000), ct);
                return $"waited {Math.Min(ms, 60_000)} ms";
            }
            var filter = (JsonObject)s.Json("journal")!;
            var count = filter["count"]?.GetValue<long>() ?? 1;
            var timeout = Math.Min(s.Int("timeoutSeconds") ?? 10, 60);
            var query = JournalQuery(filter) + $"&waitForCount={count}&timeout={timeout}";
            var page = await _c.GetAsync("/_sim/journal?" + query, ct);
            var found = page?["entries"]?.AsArray().Count ?? 0;
            if (page?["timedOut"]?.GetValue<bool>() == true) throw new StepFailedException(s, $"the journal held {found} matching requests after {timeout} s, not {count}");
            return $"journal holds {found} matching requests";
        }

        private string JournalQuery(JsonObject filter)
        {
            var parts = new List<string> { $"since={_journalSince}", "limit=10000" };
            foreach (var key in new[] { "surface", "operation", "udi", "outcome" })
                if (filter[key]?.ToString() is { Length: > 0 } v) parts.Add($"{key}={E(v)}");
            return string.Join("&", parts);
        }

        public async Task<string> CheckpointAsync(ScenarioAction s, ScenarioResult result, CancellationToken ct)
        {
            var results = new List<ExpectationResult>();
            foreach (var e in s.Expectations) results.Add(await EvaluateAsync(e, ct));
            result.Expectations.AddRange(results);
            return $"{results.Count(r => r.Passed)} of {results.Count} expectations met";
        }

        // ---- expectations ----

        public async Task<ExpectationResult> EvaluateAsync(ScenarioAction e, CancellationToken ct)
        {
            try
            {
                var (passed, actual) = await CheckAsync(e, ct);
                return new ExpectationResult(e.Line, e.Describe(), passed, actual);
            }
            catch (SimulatorRequestException ex)
            {
                return new ExpectationResult(e.Line, e.Describe(), false, "could not check: " + ex.Message);
            }
        }

        private static (bool, string) Count(ScenarioAction e, int actual, int defaultAtLeast, int? defaultExactly, string text)
        {
            long? atLeast = e.Long("atLeast"), atMost = e.Long("atMost"), exactly = e.Long("exactly");
            if (atLeast is null && atMost is null && exactly is null)
            {
                if (defaultExactly is { } all) exactly = all;
                else atLeast = defaultAtLeast;
            }
            var ok = (atLeast is null || actual >= atLeast) && (atMost is null || actual <= atMost) && (exactly is null || actual == exactly);
            return (ok, text);
        }

        private async Task<(bool, string)> CheckAsync(ScenarioAction e, CancellationToken ct)
        {
            switch (e.Name)
            {
                case "trusted":
                {
                    var devices = Devices(e);
                    var n = devices.Count(d => d.TrustCode is { SignatureValid: true });
                    return Count(e, n, 1, devices.Count, $"trusted {n} of {devices.Count}");
                }
                case "failed":
                {
                    var devices = Devices(e);
                    var error = e.Text("error");
                    var failed = devices.Select(State).Where(x => x.LastError is not null).ToList();
                    var n = failed.Count(x => error is null || x.LastError == error);
                    var text = error is null ? $"failed {n} of {devices.Count}" : $"failed {error} {n} of {devices.Count}";
                    var others = failed.Where(x => error is not null && x.LastError != error).GroupBy(x => x.LastError).Select(g => $"{g.Key} {g.Count()}").ToList();
                    return Count(e, n, 1, devices.Count, text + (others.Count > 0 ? $" (other errors: {string.Join(", ", others)})" : ""));
                }
                case "succeeded":
                {
                    var devices = Devices(e);
                    var n = devices.Count(d => State(d).LastSucceeded);
                    var errors = devices.Select(State).Where(x => x.LastError is not null).GroupBy(x => x.LastError).Select(g => $"{g.Key} {g.Count()}").ToList();
                    return Count(e, n, 1, devices.Count, $"succeeded {n} of {devices.Count}" + (errors.Count > 0 ? $" (failed: {string.Join(", ", errors)})" : ""));
                }
                case "tokenUses":
                {
                    var token = await FindTokenAsync(e, ct);
                    var uses = token?["usesCount"]?.GetValue<int>() ?? 0;
                    var max = token?["maxUsesAllowed"]?.ToString();
                    return Count(e, uses, 1, null, $"used {uses}" + (string.IsNullOrEmpty(max) ? "" : $" of {max}"));
                }
                case "tokenStatus":
                {
                    var token = await FindTokenAsync(e, ct);
                    var status = token?["status"]?.GetValue<string>() ?? "(not found)";
                    return (status == e.Text("status"), status);
                }
                case "inventory":
                {
                    var list = (await _c.GetAsync(VaPath(e) + "/product-instances", ct))?["productInstances"]?.AsArray() ?? [];
                    var serials = list.Select(p => (p?["udi_pid"]?.GetValue<string>(), p?["udi_serial_number"]?.GetValue<string>())).ToHashSet();
                    var missing = e.Has("includes") ? Devices(e, "includes").Where(d => !serials.Contains((d.Udi.Pid, d.Udi.Serial))).ToList() : [];
                    var present = e.Has("excludes") ? Devices(e, "excludes").Where(d => serials.Contains((d.Udi.Pid, d.Udi.Serial))).ToList() : [];
                    var text = $"{list.Count} product instances in {Va(e)}";
                    if (missing.Count > 0) text += $"; missing {string.Join(", ", missing.Take(5).Select(d => d.Udi.Serial))}{(missing.Count > 5 ? $" (+{missing.Count - 5})" : "")}";
                    if (present.Count > 0) text += $"; present but excluded {string.Join(", ", present.Take(5).Select(d => d.Udi.Serial))}";
                    var hasBounds = e.Has("atLeast") || e.Has("atMost") || e.Has("exactly");
                    var (countOk, _) = hasBounds ? Count(e, list.Count, 0, null, "") : (true, "");
                    return (countOk && missing.Count == 0 && present.Count == 0, text);
                }
                case "licenses":
                {
                    var tag = Tags.Resolve(e.Text("tag")!);
                    var list = (await _c.GetAsync(VaPath(e) + "/licenses", ct))?["licenses"]?.AsArray() ?? [];
                    var row = list.FirstOrDefault(l => l?["tag"]?.GetValue<string>() == tag);
                    if (row is null) return (false, $"{Va(e)} holds no {e.Text("tag")}");
                    var ok = true;
                    var parts = new List<string>();
                    foreach (var key in new[] { "purchased", "inUse", "reserved", "available" })
                    {
                        var value = row[key]?.GetValue<long>() ?? 0;
                        parts.Add($"{key} {value}");
                        if (e.Long(key) is { } want && want != value) ok = false;
                    }
                    return (ok, string.Join(", ", parts));
                }
                case "ack": return CheckAck(e);
                case "authorized":
                {
                    var devices = Devices(e);
                    var n = devices.Count(d => State(d).Authorized && d.Authorization is not null);
                    return Count(e, n, 1, devices.Count, $"authorized {n} of {devices.Count}");
                }
                case "journal":
                {
                    var filter = (JsonObject)e.Value.ToJson()!;
                    var entries = (await _c.GetAsync("/_sim/journal?" + JournalQuery(filter), ct))?["entries"]?.AsArray() ?? [];
                    var error = e.Text("errorCode");
                    var n = entries.Count(x => error is null || x?["errorCode"]?.ToString() == error);
                    return Count(e, n, 1, null, $"{n} requests");
                }
                case "events":
                {
                    var page = await _c.GetAsync($"/_sim/events?type={E(e.Text("type")!)}&since={_eventsSince}&limit=10000", ct);
                    var n = page?["events"]?.AsArray().Count ?? 0;
                    return Count(e, n, 1, null, $"{n} {e.Text("type")} events");
                }
                case "usageFile":
                {
                    var upload = _uploads[e.Text("upload")!];
                    var view = await _c.GetAsync($"/_sim/usage-files/{E(upload.Id)}", ct);
                    var status = view?["status"]?.GetValue<string>() ?? "";
                    var errors = view?["errors"]?.AsArray().Select(x => x?["message"]?.ToString()).Take(3).ToList() ?? [];
                    return (status == e.Text("status"), status + (errors.Count > 0 ? $" ({string.Join("; ", errors)})" : ""));
                }
                default: return (false, "the runner has no implementation for this expectation");
            }
        }

        private async Task<JsonNode?> FindTokenAsync(ScenarioAction e, CancellationToken ct)
        {
            var token = _tokens[e.Text("token")!];
            var list = await _c.GetAsync($"/_sim/accounts/{E(token.SmartAccount)}/virtual-accounts/{E(token.VirtualAccount)}/tokens", ct);
            return list?["tokens"]?.AsArray().FirstOrDefault(t => t?["tokenId"]?.GetValue<string>() == token.TokenId);
        }

        private (bool, string) CheckAck(ScenarioAction e)
        {
            var devices = Devices(e);
            var wantReceived = e.Bool("received") ?? true;
            var failures = new List<string>();
            var received = 0;
            foreach (var d in devices)
            {
                var ack = State(d).Ack;
                if (ack is null)
                {
                    if (wantReceived) failures.Add($"{d.Udi.Serial}: no ACK");
                    continue;
                }
                received++;
                if (!wantReceived) { failures.Add($"{d.Udi.Serial}: has an ACK"); continue; }
                if (e.Text("reportStatus") is { } status && (ack.ReportStatuses.Count == 0 || ack.ReportStatuses.Values.Any(v => v != status)))
                    failures.Add($"{d.Udi.Serial}: reports {string.Join(", ", ack.ReportStatuses.Values.GroupBy(v => v).Select(g => $"{g.Key} {g.Count()}"))}");
                if (e.Bool("hasPolicy") is { } policy && ack.HasPolicy != policy) failures.Add($"{d.Udi.Serial}: {(ack.HasPolicy ? "has" : "no")} policy");
                if (e.Bool("hasTrustCode") is { } trust && (ack.TrustCodeIds.Count > 0) != trust) failures.Add($"{d.Udi.Serial}: {ack.TrustCodeIds.Count} trust codes");
                if (e.Bool("signatureValid") is { } valid && ack.SignatureValid != valid) failures.Add($"{d.Udi.Serial}: signature {(ack.SignatureValid ? "valid" : "invalid")}");
                if (e.Text("notBefore") is { } nb && ScenarioLoadingInstant(nb) is { } notBefore && ack.Timestamp < notBefore)
                    failures.Add($"{d.Udi.Serial}: ACK of {ack.Timestamp:O}");
                if (e.Text("before") is { } b && ScenarioLoadingInstant(b) is { } before && ack.Timestamp >= before)
                    failures.Add($"{d.Udi.Serial}: ACK of {ack.Timestamp:O}");
            }
            var text = wantReceived ? $"ACK {received} of {devices.Count}" : $"no ACK {devices.Count - received} of {devices.Count}";
            if (devices.Count == 1 && devices[0] is var one && State(one).Ack is { } only)
                text += $" ({only.Timestamp.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z, {string.Join(", ", only.ReportStatuses.Values.GroupBy(v => v).Select(g => $"{g.Key} {g.Count()}"))}" +
                    $"{(only.HasPolicy ? ", policy" : "")}{(only.TrustCodeIds.Count > 0 ? ", trust code" : "")})";
            if (failures.Count > 0) text += "; " + string.Join("; ", failures.Take(5)) + (failures.Count > 5 ? $" (+{failures.Count - 5})" : "");
            return (failures.Count == 0, text);
        }

        private static DateTimeOffset? ScenarioLoadingInstant(string text) => Loading.ScenarioLoader.TryInstant(text, out var v) ? v : null;
    }
}
