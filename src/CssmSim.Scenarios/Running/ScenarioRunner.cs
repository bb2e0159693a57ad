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
        private readonly ScenarioRunner _runner = runner;
        private readonly ScenarioDocument _scenario = scenario;
        private readonly IScenarioObserver? _observer = observer;
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
            _defaultAccount = _scenario.SmartAccount
                ?? _scenario.Seed?["accounts"]?.AsArray().FirstOrDefault()?["domain"]?.GetValue<string>()
                ?? "example.com";
            if (_o.NoReset)
            {
                // A shared simulator keeps older requests and events: count only this run's.
                _journalSince = await LastIdAsync("/_sim/journal", "entries", ct);
                _eventsSince = await LastIdAsync("/_sim/events", "events", ct);
                _savedTransitions = await _c.GetAsync("/_sim/poll-transitions", ct);
                _savedClock = await _c.GetAsync("/_sim/clock", ct);
            }
            else
            {
                await _c.PostAsync("/_sim/reset", null, ct);
            }
            var seed = _scenario.Seed?.DeepClone().AsObject();
            if (_o.RandomSeed is { } rs) (seed ??= new JsonObject())["randomSeed"] = rs;
            if (seed is not null)
            {
                ResolveSeedTags(seed);
                await _c.PostAsync("/_sim/seed", seed, ct);
            }
            if (_scenario.Timing is { } timing)
            {
                _transitionsChanged = true;
                await _c.PostAsync("/_sim/timing", new JsonObject { ["profile"] = timing }, ct);
            }
            if (_scenario.Faults.Count > 0)
            {
                var existing = (await _c.GetAsync("/_sim/faults", ct))?["rules"]?.AsArray().Select(r => r?["id"]?.GetValue<string>()).ToHashSet() ?? [];
                foreach (var rule in _scenario.Faults)
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

        // The newest id of a list answered oldest first in pages (journal, events): page to the end.
        private async Task<long> LastIdAsync(string path, string key, CancellationToken ct)
        {
            long last = 0;
            for (var i = 0; i < 1000; i++)
            {
                var page = await _c.GetAsync($"{path}?limit=10000&since={last}", ct);
                var id = LastId(page, key);
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

        private SimulatedProductInstance NewDevice(string pid, string serial, string? hostname = null) =>
            new(_runner._http, pid, Suffix(serial), hostname) { MaxAckPolls = 1 };
    }
}
