using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CssmSim.Scenarios.Model;
using CssmSim.Testing.Devices;

namespace CssmSim.Scenarios.Running;

// The steps: each turns into control API calls or device requests and says in a few words what happened.
public sealed partial class ScenarioRunner
{
    private sealed partial class Run
    {
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
                        ["description"] = Suffix(s.Text("description") ?? $"scenario {_scenario.Name}: {s.Text("as")}"),
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
                    ConfigureAgent(d, s);
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
                        var fleet = SimulatedFleet.CreateHaPairs(_runner._http, count, pid, prefix);
                        foreach (var member in fleet) ConfigureAgent(member, s);
                        Declare(name, [], fleet.HaPairs);
                        return $"{count} HA pairs, {fleet[0].Udi.Serial} … {fleet[^1].Udi.Serial}";
                    }
                    var devices = SimulatedFleet.Create(_runner._http, count, pid, prefix);
                    foreach (var member in devices) ConfigureAgent(member, s);
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
                case "resendPending": return await ResendPendingAsync(s, ct);
                case "uploadUsage": return await UploadAsync(s, ct);
                case "downloadAck": return await DownloadAckAsync(s, ct);
                case "requestSlac": return await RequestSlacAsync(s, ct);
                case "returnSlac": return await ReturnSlacAsync(s, ct);
                case "reserve": return await ReserveAsync(s, ct);
                case "returnReservation": return await ReturnReservationAsync(s, ct);
                case "confirmReservation": return await ConfirmReservationAsync(s, ct);
                case "updateReservation": return await UpdateReservationAsync(s, ct);
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
            _observer?.Advanced(0, items.Count);
            await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct }, async (item, c) =>
            {
                await action(item, c);
                _observer?.Advanced(Interlocked.Increment(ref done), items.Count);
            });
        }

        /// <summary>A transport failure as an error code: what the device saw instead of a CSSM reply.</summary>
        private static string TransportError(Exception e) => e switch
        {
            SmartTransportException { Failure: TransportFailure.ConnectionFailed } => "CONNECTION_FAILED",
            SmartTransportException { Failure: TransportFailure.Timeout } => "TIMEOUT",
            SmartTransportException { Failure: TransportFailure.HttpStatus, Status: { } status } => "HTTP_" + (int)status,
            SmartTransportException => "INVALID_REPLY",
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

        // A device polls a report's ACK once at once (the ACK of the default timing); a later one waits for a poll step,
        // after a clock step under realistic timing. okTryAgain: false makes an older agent, which CSSM answers FAILED.
        private static void ConfigureAgent(SimulatedProductInstance device, ScenarioAction s)
        {
            device.MaxAckPolls = 1;
            if (s.Bool("okTryAgain") == false)
                device.AgentCapabilities = device.AgentCapabilities.Where(c => c != "OK_TRY_AGAIN").ToList();
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
            // What the agents saw: an LS_LICENGINE_FAIL_TO_CONNECT is OK_TRY_AGAIN to agents that list it, FAILED to the others.
            parts.AddRange(list.Where(x => x.LastError is not null).GroupBy(x => x.LastError!).OrderByDescending(g => g.Count()).Select(g =>
            {
                var statuses = g.Where(x => x.LastStatus is not null).GroupBy(x => x.LastStatus!).OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} {s.Count()}").ToList();
                var byAgent = g.Key == "LS_LICENGINE_FAIL_TO_CONNECT" || statuses.Count > 1;
                return $"failed {g.Key} {g.Count()}" + (byAgent && statuses.Count > 0 ? $" ({string.Join(", ", statuses)})" : "");
            }));
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
            state.Record("trust", ok, result.ErrorCode ?? (ok ? null : result.Status), result.Status);
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
                if (result.Status == "OK_POLL" && (result.PollId ?? PollId(result.Reply)) is { } id)
                {
                    state.RecordPending("report", id);
                    return;
                }
                state.Record("report", result.Acknowledged, result.ErrorCode ?? (result.Acknowledged ? null : result.Status), result.Status);
                if (result.Ack is not null) state.Ack = result.Ack;
            }, ct);
            return Tally(devices, "acknowledged");
        }

        private async Task<string> ResendPendingAsync(ScenarioAction s, CancellationToken ct)
        {
            var devices = Devices(s);
            await ForEachAsync(devices, s.Int("concurrency") ?? 8, async (d, c) =>
            {
                if (d.PendingReports.Count == 0) return;
                var result = await DeviceCallAsync([d], "report", async () => (await d.ResendPendingReportsAsync(ct: c))!, c);
                if (result is null) return;
                State(d).Record("report", result.Acknowledged, result.ErrorCode ?? (result.Acknowledged ? null : result.Status));
                if (result.Ack is not null) State(d).Ack = result.Ack;
            }, ct);
            return Tally(devices, "acknowledged") + $", pending reports left {devices.Sum(d => d.PendingReports.Count)}";
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
                if (kind == "trust")
                {
                    // A trust answered later installs its codes just as a direct answer does.
                    RecordTrust(d, await d.AcceptTrustReplyAsync(reply, ct: c));
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
            var universal = s.Text("type") == "UNIVERSAL";
            var devices = Devices(s);
            var path = $"/services/api/smart-accounts-and-licensing/v1/accounts/{E(Account(s))}/virtual-accounts/{E(Va(s))}/reserve-licenses";
            foreach (var d in devices)
            {
                var body = new JsonObject
                {
                    ["reservationRequests"] = new JsonArray(new JsonObject
                    {
                        ["reservationCode"] = d.CreateReservationRequestCode(),
                        ["reservationType"] = universal ? "UNIVERSAL" : "SPECIFIC",
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
                // A PLR code (six groups of six) is typed into the device, which keeps nothing the simulator can read back.
                var ok = code is not null && (universal ? entry?["status"]?.ToString() == "SUCCESS" : await d.InstallAuthorizationAsync(code, ct));
                if (ok) State(d).Authorized = !universal;
                State(d).Record("reserve", ok, ok ? null : entry?["statusMessage"]?.ToString() ?? reply?["statusMessage"]?.ToString() ?? "RESERVATION_FAILED");
                _observer?.Advanced(devices.IndexOf(d) + 1, devices.Count);
            }
            return Tally(devices, "reserved");
        }

        private async Task<string> ConfirmReservationAsync(ScenarioAction s, CancellationToken ct)
        {
            var devices = Devices(s);
            foreach (var d in devices)
            {
                if (d.ConfirmationCode is not { } code)
                {
                    State(d).Record("confirm", false, "NOTHING_INSTALLED");
                    continue;
                }
                try
                {
                    await _c.PostAsync(VaPath(s) + "/product-instances/" + E(d.Udi.ToString()) + "/reservation/confirmation", new JsonObject { ["confirmationCode"] = code }, ct);
                    State(d).Record("confirm", true, null);
                }
                catch (SimulatorRequestException e) when (e.Status is HttpStatusCode.Conflict or HttpStatusCode.BadRequest or HttpStatusCode.NotFound)
                {
                    State(d).Record("confirm", false, e.Code ?? $"HTTP_{(int)e.Status!}");
                }
            }
            return Tally(devices, "confirmed");
        }

        private async Task<string> UpdateReservationAsync(ScenarioAction s, CancellationToken ct)
        {
            var devices = Devices(s);
            var licenses = new JsonArray(s.Pairs("licenses", "quantity").Select(l => (JsonNode)new JsonObject { ["tag"] = Tags.Resolve(l.Tag), ["quantity"] = l.Count }).ToArray());
            foreach (var d in devices)
            {
                try
                {
                    var reply = await _c.SendAsync(HttpMethod.Put, VaPath(s) + "/product-instances/" + E(d.Udi.ToString()) + "/reservation",
                        new JsonObject { ["licenses"] = licenses.DeepClone() }, ct);
                    var ok = reply?["authorizationCode"]?.GetValue<string>() is { } code && await d.InstallAuthorizationAsync(code, ct);
                    if (ok) State(d).Authorized = true;
                    State(d).Record("update", ok, ok ? null : "INSTALL_FAILED");
                }
                catch (SimulatorRequestException e) when (e.Status is HttpStatusCode.Conflict or HttpStatusCode.BadRequest or HttpStatusCode.NotFound)
                {
                    State(d).Record("update", false, e.Code ?? $"HTTP_{(int)e.Status!}");
                }
            }
            return Tally(devices, "updated");
        }

        /// <summary>
        /// Cisco's offline tools return a reservation through SLP authrequest: <c>"keys": []</c> and the device's return code
        /// as <c>remove_code</c> in each licenses[] item, then a poll until COMPLETE.
        /// </summary>
        private async Task<bool> ReturnViaAuthRequestAsync(ScenarioAction s, SimulatedProductInstance d, CancellationToken ct)
        {
            _accessToken ??= await _c.AccessTokenAsync("cssmsim", "cssmsim", ct);
            var accounts = await _c.SendAsync(HttpMethod.Get, "/services/api/smart-accounts-and-licensing/v2/accounts/search", null, ct, _accessToken);
            var account = accounts?["accounts"]?.AsArray().FirstOrDefault(a => a?["domain"]?.ToString() == Account(s));
            var va = account?["virtual_accounts"]?.AsArray().FirstOrDefault(v => v?["name"]?.ToString() == Va(s));
            if (account is null || va is null) return false;
            var headers = new Dictionary<string, string>
            {
                ["X-CSW-SMART-ACCOUNT-ID"] = account["account_id"]!.ToString(),
                ["X-CSW-VIRTUAL-ACCOUNT-ID"] = va["virtual_account_id"]!.ToString(),
                ["X-CSW-REQUESTING-SYSTEM"] = "{\"udi_pid\":\"CSSMSIM-SCENARIO\",\"udi_serial_number\":\"1\"}",
            };
            // A device's own code: the installed authorization's, else one the simulator cannot decode (a PLR device's).
            var returnCode = d.Authorization is not null ? d.ReturnCode()
                : Engine.Authorizations.Codes.ReturnCode.Generate(Guid.NewGuid(), new Engine.Authorizations.Codes.UdiRef(d.Udi.Pid, d.Udi.Serial));
            var body = new JsonObject
            {
                ["data"] = new JsonObject
                {
                    ["timestamp"] = DateTimeOffset.UnixEpoch.ToUnixTimeMilliseconds(),
                    ["nonce"] = "scenario-return",
                    ["licenses"] = new JsonArray(new JsonObject
                    {
                        ["sudi"] = new JsonObject { ["udi_pid"] = d.Udi.Pid, ["udi_serial_number"] = d.Udi.Serial },
                        ["hostname"] = "", ["keys"] = new JsonArray(), ["remove_code"] = returnCode,
                    }),
                },
            };
            var accepted = await _c.SendAsync(HttpMethod.Post, "/services/api/smart-accounts-and-licensing/v2/devices/authrequest", body, ct, _accessToken, headers);
            if (accepted?["poll_id"] is not { } pollId) return false;
            for (var i = 0; i < 10; i++)
            {
                var polled = await _c.SendAsync(HttpMethod.Post, "/services/api/smart-accounts-and-licensing/v2/accounts/poll",
                    new JsonObject { ["data"] = new JsonObject { ["poll_id"] = pollId.DeepClone(), ["action"] = "authorizations" } }, ct, _accessToken, headers);
                if (polled?["status"]?.ToString() != "COMPLETE") continue;
                return polled["data"]?["authorizations"]?.AsArray().FirstOrDefault()?["status"]?.ToString() == "SUCCESS";
            }
            return false;
        }

        private async Task<string> ReturnReservationAsync(ScenarioAction s, CancellationToken ct)
        {
            var devices = Devices(s);
            foreach (var d in devices)
            {
                if (s.Text("via") == "authrequest")
                {
                    var returned = await ReturnViaAuthRequestAsync(s, d, ct);
                    if (returned) State(d).Authorized = false;
                    State(d).Record("return", returned, returned ? null : "RETURN_FAILED");
                    continue;
                }
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
    }
}
