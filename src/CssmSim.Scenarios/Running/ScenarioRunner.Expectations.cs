using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CssmSim.Scenarios.Model;
using CssmSim.Testing.Devices;

namespace CssmSim.Scenarios.Running;

// The expectations: each reads the simulator (or what the devices received) and reports pass or fail with the actual value.
public sealed partial class ScenarioRunner
{
    private sealed partial class Run
    {
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
                    var status = e.Text("status");
                    var failed = devices.Select(State).Where(x => x.LastError is not null && (status is null || x.LastStatus == status)).ToList();
                    var n = failed.Count(x => error is null || x.LastError == error);
                    var text = (error is null ? $"failed {n} of {devices.Count}" : $"failed {error} {n} of {devices.Count}") + (status is null ? "" : $" answered {status}");
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
                    foreach (var key in new[] { "purchased", "inUse", "reserved", "pending", "available" })
                    {
                        var value = row[key]?.GetValue<long>() ?? 0;
                        parts.Add($"{key} {value}");
                        if (e.Long(key) is { } want && want != value) ok = false;
                    }
                    var status = row["status"]?.ToString();
                    var insufficient = row["alerts"]?.AsArray().Any(a => a?.ToString() == "Insufficient Licenses") == true;
                    var expired = row["expired"]?.GetValue<bool>() == true;
                    parts.Add(status ?? "no status");
                    if (insufficient) parts.Add("Insufficient Licenses");
                    if (expired) parts.Add("expired");
                    if (e.Text("status") is { } wantStatus && wantStatus != status) ok = false;
                    if (e.Bool("insufficient") is { } wantInsufficient && wantInsufficient != insufficient) ok = false;
                    if (e.Bool("expired") is { } wantExpired && wantExpired != expired) ok = false;
                    return (ok, string.Join(", ", parts));
                }
                case "reservation":
                {
                    var devices = Devices(e);
                    var want = e.Text("state")!;
                    var states = new List<string>();
                    foreach (var d in devices)
                    {
                        try
                        {
                            var r = await _c.GetAsync(VaPath(e) + "/product-instances/" + E(d.Udi.ToString()) + "/reservation", ct);
                            states.Add(r?["state"]?.ToString() ?? "none");
                        }
                        catch (SimulatorRequestException x) when (x.Status == HttpStatusCode.NotFound)
                        {
                            states.Add("none");
                        }
                    }
                    var n = states.Count(x => x == want);
                    return Count(e, n, devices.Count, devices.Count, $"{n} of {devices.Count} {want} ({string.Join(", ", states.Distinct())})");
                }
                case "ack": return CheckAck(e);
                case "authorized":
                {
                    var devices = Devices(e);
                    var n = devices.Count(d => State(d).Authorized && d.Authorization is not null);
                    return Count(e, n, 1, devices.Count, $"authorized {n} of {devices.Count}");
                }
                case "installFailure":
                {
                    var devices = Devices(e);
                    string message = e.Text("message")!, reason = e.Text("reason") ?? "";
                    var n = devices.Count(d => d.InstallFailures.Any(f => f.Message == message && (reason.Length == 0 || f.Reason == reason)));
                    var logged = devices.SelectMany(d => d.InstallFailures).GroupBy(f => $"{f.Message} ({f.Reason})").Select(g => $"{g.Key} {g.Count()}").ToList();
                    return Count(e, n, 1, devices.Count, $"{message} on {n} of {devices.Count}" + (logged.Count > 0 ? $" (logged: {string.Join(", ", logged)})" : " (none logged)"));
                }
                case "pendingReports":
                {
                    var devices = Devices(e);
                    var counts = devices.Select(d => (d, n: d.PendingReports.Count)).ToList();
                    var outside = counts.Where(x => !Count(e, x.n, 0, null, "").Item1).ToList();
                    return (outside.Count == 0, "pending reports: " + string.Join(", ", counts.Select(x => $"{x.d.Udi.Serial} {x.n}")));
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
