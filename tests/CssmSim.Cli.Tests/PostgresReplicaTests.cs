using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Usage;
using CssmSim.Testing.Devices;
using CssmSim.Tests.Shared;
using Npgsql;

[assembly: AssemblyFixture(typeof(CssmSim.Cli.Tests.PostgresServerFixture))]

namespace CssmSim.Cli.Tests;

/// <summary>Stops the throwaway PostgreSQL cluster when the run ends (it starts on the first test that needs it).</summary>
public sealed class PostgresServerFixture : IAsyncDisposable
{
    public ValueTask DisposeAsync()
    {
        PostgresTestServer.Stop();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Issue 19: three real <c>cssmsim serve</c> replicas on one PostgreSQL database behave as one CSSM
/// (the topology docker-compose.yml runs behind one port): the token cap, fault rules, poll jobs and
/// reports hold across them, and killing one leaves the others answering with nothing half stored.
/// </summary>
public sealed class PostgresReplicaTests : IAsyncDisposable
{
    private const string Tag = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _dir = Directory.CreateTempSubdirectory("cssmsim-replicas-").FullName;
    private readonly List<CliProcess> _processes = [];
    private readonly List<HttpClient> _clients = [];

    private sealed record Replica(CliProcess Process, HttpClient Http, Uri Url);

    /// <summary>Starts the replicas together (they meet at the migration's advisory lock) on one new database.</summary>
    private async Task<(Replica[] Replicas, string Database)> StartReplicasAsync(int count)
    {
        var database = await PostgresTestServer.NewDatabaseAsync();
        // The built-in bottleneck rule fails some concurrent trusts on purpose; these tests count the token cap alone.
        var env = new Dictionary<string, string> { ["CSSMSIM__Faults__TokenBottleneck__Enabled"] = "false" };
        var replicas = Enumerable.Range(0, count).Select(_ =>
        {
            var url = new Uri($"http://127.0.0.1:{CliProcess.FreePort()}");
            var process = CliProcess.Start(_dir, env, "serve", "--urls", url.ToString().TrimEnd('/'), "--store", "postgres:" + database, "--log-level", "Warning");
            var http = new HttpClient { BaseAddress = url };
            _processes.Add(process);
            _clients.Add(http);
            return new Replica(process, http, url);
        }).ToArray();
        await Task.WhenAll(replicas.Select(r => r.Process.WaitUntilListeningAsync()));
        return (replicas, database);
    }

    /// <summary>An HTTP client whose requests go to whichever replica <see cref="Target"/> names: a device behind a load balancer.</summary>
    private sealed class Balanced(Uri first) : DelegatingHandler(new SocketsHttpHandler())
    {
        public Uri Target { get; set; } = first;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            request.RequestUri = new Uri(Target, request.RequestUri!.PathAndQuery);
            return base.SendAsync(request, ct);
        }
    }

    /// <summary>
    /// control.md: a change made on one replica is in force on the others within 1 s (each re-reads
    /// at most every 250 ms). Tries until <paramref name="inForce"/> or 1 s has passed; the last try,
    /// started after that second, decides.
    /// </summary>
    private static async Task<T> WithinOneSecondAsync<T>(Func<int, Task<T>> send, Func<T, bool> inForce)
    {
        var since = System.Diagnostics.Stopwatch.StartNew();
        var attempt = 0;
        while (since.Elapsed < TimeSpan.FromSeconds(1))
        {
            var early = await send(attempt++);
            if (inForce(early)) return early;
            await Task.Delay(50, Ct);
        }
        return await send(attempt);
    }

    private static async Task<JsonObject> CreateTokenAsync(HttpClient http, int? maxUses)
    {
        var body = new JsonObject { ["description"] = "replicas", ["maxUses"] = maxUses };
        using var created = await http.PostAsync("/_sim/accounts/example.com/virtual-accounts/DEFAULT/tokens",
            new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), Ct);
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
    }

    private static async Task<JsonObject> TokenAsync(HttpClient http, string tokenId)
    {
        var list = (await http.GetFromJsonAsync<JsonObject>("/_sim/accounts/example.com/virtual-accounts/DEFAULT/tokens", Ct))!;
        return list["tokens"]!.AsArray().Single(t => t!["tokenId"]!.GetValue<string>() == tokenId)!.AsObject();
    }

    [Fact]
    public async Task Three_replicas_on_one_database_trust_exactly_max_uses_and_share_fault_rules_and_poll_jobs()
    {
        var (replicas, database) = await StartReplicasAsync(3);

        // 400 concurrent trust establishments spread over the three replicas, three times, each on a 50-use token.
        for (var round = 0; round < 3; round++)
        {
            var token = await CreateTokenAsync(replicas[round].Http, maxUses: 50);
            using var start = new SemaphoreSlim(0);
            var tasks = Enumerable.Range(0, 400).Select(async i =>
            {
                var device = new SimulatedProductInstance(replicas[i % 3].Http, "C9300-24T", $"R{round}N{i:D4}");
                await start.WaitAsync(Ct);
                return await device.EstablishTrustAsync(token["token"]!.GetValue<string>(), ct: Ct);
            }).ToList();
            start.Release(400);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var results = await Task.WhenAll(tasks);
            TestContext.Current.TestOutputHelper?.WriteLine($"round {round}: 400 trusts in {clock.ElapsedMilliseconds} ms");
            var listed = await TokenAsync(replicas[(round + 1) % 3].Http, token["tokenId"]!.GetValue<string>());

            results.Count(r => r.Trusted).ShouldBe(50, $"round {round}: {string.Join(", ", results.Where(r => !r.Trusted).Select(r => r.ErrorCode).Distinct())}");
            results.Count(r => r.ErrorCode == "TOKEN_USES_EXHAUSTED").ShouldBe(350);
            results.Where(r => r.Trusted).SelectMany(r => r.TrustCodes).Select(c => c.TrustCodeId).Distinct().Count().ShouldBe(50);
            listed["usesCount"]!.GetValue<int>().ShouldBe(50);
        }
        await using (var db = new NpgsqlConnection(database))
        {
            await db.OpenAsync(Ct);
            await using var cmd = new NpgsqlCommand("SELECT COUNT(*) FROM trust_codes WHERE udi LIKE '%,SN:R_N%'", db);
            ((long)(await cmd.ExecuteScalarAsync(Ct))!).ShouldBe(150L, "exactly 50 trust codes per round are stored");
        }

        // A fault rule added on replica 1 fails trusts on replica 3 within 1 s; removed on replica 1, it is lifted on replica 2 within 1 s.
        var unlimited = (await CreateTokenAsync(replicas[0].Http, maxUses: null))["token"]!.GetValue<string>();
        using (var added = await replicas[0].Http.PostAsync("/_sim/faults", new StringContent(
            """{"id":"replica-trust-down","match":{"surface":"smart-transport","operation":"TRUST_ESTABLISHMENT"},"effect":{"error":"LS_LICENGINE_FAIL_TO_CONNECT"}}""",
            Encoding.UTF8, "application/json"), Ct))
            added.IsSuccessStatusCode.ShouldBeTrue(await added.Content.ReadAsStringAsync(Ct));
        var faulted = await WithinOneSecondAsync(n => new SimulatedProductInstance(replicas[2].Http, "C9300-24T", $"FAULTED{n}").EstablishTrustAsync(unlimited, ct: Ct),
            r => r.ErrorCode == "LS_LICENGINE_FAIL_TO_CONNECT");
        faulted.ErrorCode.ShouldBe("LS_LICENGINE_FAIL_TO_CONNECT", "the rule added on replica 1 is in force on replica 3");
        using (var removed = await replicas[0].Http.DeleteAsync("/_sim/faults/replica-trust-down", Ct))
            removed.IsSuccessStatusCode.ShouldBeTrue();

        // An ACK created on replica 2 (a job, with a polls transition) is polled from replica 1.
        using (var transition = await replicas[2].Http.PostAsync("/_sim/poll-transitions",
            new StringContent("""{"action":"acknowledgements","progression":"polls","times":1}""", Encoding.UTF8, "application/json"), Ct))
            transition.IsSuccessStatusCode.ShouldBeTrue();
        var handler = new Balanced(replicas[1].Url);
        using var balanced = new HttpClient(handler) { BaseAddress = replicas[1].Url };
        SimulatedProductInstance device = null!;
        var trusted = await WithinOneSecondAsync(n => (device = new SimulatedProductInstance(balanced, "C9300-24T", $"POLLED{n}")).EstablishTrustAsync(unlimited, ct: Ct),
            r => r.Trusted);
        trusted.Trusted.ShouldBeTrue("the rule removed on replica 1 is lifted on replica 2");
        var submitted = await device.ReportUsageAsync([(Tag, 3)], ct: Ct, pollForAck: false);
        handler.Target = replicas[0].Url;
        var polled = await device.PollAsync(submitted.Reply["poll_id"]!.GetValue<long>(), ct: Ct);

        submitted.Status.ShouldBe("OK_POLL", submitted.Reply.ToJsonString());
        polled["status"]!.GetValue<string>().ShouldBe("COMPLETE", polled.ToJsonString());
        var ack = await device.ImportAckAsync(polled["data"]!["ack"]!.GetValue<string>(), Ct);
        ack.SignatureValid.ShouldBeTrue();
        ack.ReportStatuses.Values.ShouldAllBe(s => s == "ACKED");
    }

    [Fact]
    public async Task Bench_populate_fills_a_postgres_database_that_replicas_then_report_from()
    {
        var database = await PostgresTestServer.NewDatabaseAsync();

        var code = await CliApp.Create().Parse(["bench", "populate", "--instances", "40", "--reports", "130", "--batch", "16", "--store", "postgres:" + database])
            .InvokeAsync(cancellationToken: Ct);

        code.ShouldBe(0);
        var url = new Uri($"http://127.0.0.1:{CliProcess.FreePort()}");
        var sim = CliProcess.Start(_dir, null, "serve", "--urls", url.ToString().TrimEnd('/'), "--store", "postgres:" + database);
        _processes.Add(sim);
        await sim.WaitUntilListeningAsync();
        await sim.WaitForOutputAsync("40 product instance(s), 130 usage report(s)");
        using var http = new HttpClient { BaseAddress = url };
        var licenses = await http.GetFromJsonAsync<JsonObject>("/_sim/accounts/example.com/virtual-accounts/DEFAULT/licenses", Ct);
        licenses!["licenses"]!.AsArray().Single(l => l!["tag"]!.GetValue<string>() == Tag)!["inUse"]!.GetValue<int>().ShouldBe(40);
    }

    private sealed record SentReport(string Udi, string ReportId, string Payload);

    [Fact]
    public async Task Sigkill_of_one_replica_while_reports_stream_through_all_three_loses_no_answered_report_and_the_others_keep_answering()
    {
        const int totalReports = 10_000, perMessage = 5, clients = 9, devicesPerClient = 4, killAfter = 5_000;
        var (replicas, database) = await StartReplicasAsync(3);
        var token = (await CreateTokenAsync(replicas[0].Http, maxUses: null))["token"]!.GetValue<string>();
        var handlers = new List<Balanced>();
        var devices = new List<SimulatedProductInstance>();
        for (var i = 0; i < clients * devicesPerClient; i++)
        {
            var handler = new Balanced(replicas[i % 3].Url);
            var http = new HttpClient(handler) { BaseAddress = replicas[i % 3].Url };
            _clients.Add(http);
            handlers.Add(handler);
            var device = new SimulatedProductInstance(http, "C9300-24T", $"KILL{i:D4}");
            (await device.EstablishTrustAsync(token, ct: Ct)).Trusted.ShouldBeTrue();
            devices.Add(device);
        }

        var sent = new ConcurrentDictionary<(string Udi, string ReportId), SentReport>();
        var answered = new ConcurrentBag<SentReport>();
        var answeredAfterKill = new ConcurrentDictionary<int, int>();
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        const int victim = 1;
        int answeredCount = 0, submitted = 0, cutByKill = 0;

        // Each message goes to the next replica in turn; once the victim is killed, a load balancer
        // would send no more to it, and a message it cut off is left unanswered (not retried).
        async Task Client(int c)
        {
            var mine = Enumerable.Range(c * devicesPerClient, devicesPerClient).ToArray();
            for (var round = 0; ; round++)
            {
                if (Interlocked.Add(ref submitted, perMessage) > totalReports) return;
                var index = mine[round % mine.Length];
                var device = devices[index];
                var target = (c + round) % 3;
                if (killed.Task.IsCompleted && target == victim) target = (target + 1) % 3;
                handlers[index].Target = replicas[target].Url;
                var sentAfterKill = killed.Task.IsCompleted;
                var reports = device.BuildReports(Enumerable.Repeat((Tag, (long)(round % 50)), perMessage));
                var udi = device.Udi.ToString();
                foreach (var r in reports) sent[(udi, r.ReportId)] = new SentReport(udi, r.ReportId, r.Payload);
                var data = new JsonObject { ["reports"] = new JsonArray([.. reports.Select(r => (JsonNode)new JsonObject { ["payload"] = r.Payload, ["signature"] = r.Signature })]) };
                JsonObject reply;
                try
                {
                    reply = await device.SendAndPollAsync("USAGE_REPORTING", data, Ct);
                }
                catch (Exception e) when (target == victim && killed.Task.IsCompleted && e is HttpRequestException or IOException or JsonException or InvalidOperationException)
                {
                    Interlocked.Increment(ref cutByKill);
                    continue;
                }
                reply["status"]!.GetValue<string>().ShouldBe("COMPLETE", reply.ToJsonString());
                var ack = await device.ImportAckAsync(reply["data"]!["ack"]!.GetValue<string>(), Ct);
                ack.SignatureValid.ShouldBeTrue();
                foreach (var r in reports)
                {
                    ack.ReportStatuses[r.ReportId].ShouldBe("ACKED");
                    answered.Add(sent[(udi, r.ReportId)]);
                }
                if (sentAfterKill) answeredAfterKill.AddOrUpdate(target, perMessage, (_, n) => n + perMessage);
                if (Interlocked.Add(ref answeredCount, perMessage) >= killAfter && killed.TrySetResult())
                    await replicas[victim].Process.KillAsync();
            }
        }
        await Task.WhenAll(Enumerable.Range(0, clients).Select(Client));

        killed.Task.IsCompleted.ShouldBeTrue("the kill happened while reports were streaming");
        answeredAfterKill.Keys.Order().ToArray().ShouldBe(new[] { 0, 2 }, "both other replicas kept answering after the kill");
        answeredAfterKill.Values.Sum().ShouldBeGreaterThan(1_000);
        var answeredList = answered.ToList();
        answeredList.Count.ShouldBeGreaterThan(totalReports - 200, "only the messages the kill cut off are unanswered");

        await using var db = new NpgsqlConnection(database);
        await db.OpenAsync(Ct);
        var stored = new Dictionary<(string Udi, string Id), (string Key, string Payload, string Status, long? InUse)>();
        await using (var cmd = new NpgsqlCommand("SELECT udi, report_id, report_key, payload, status, in_use FROM usage_reports WHERE udi LIKE '%KILL%'", db))
        await using (var r = await cmd.ExecuteReaderAsync(Ct))
        {
            while (await r.ReadAsync(Ct))
                stored[(r.GetString(0), r.GetString(1))] = (r.GetString(2), r.GetString(3), r.GetString(4), r.IsDBNull(5) ? null : r.GetInt64(5));
        }
        var ackedTimes = new Dictionary<(string Udi, string Id), int>();
        await using (var cmd = new NpgsqlCommand("SELECT udi, report_ids_json FROM acks WHERE udi LIKE '%KILL%'", db))
        await using (var r = await cmd.ExecuteReaderAsync(Ct))
        {
            while (await r.ReadAsync(Ct))
            {
                foreach (var id in JsonSerializer.Deserialize<string[]>(r.GetString(1))!)
                    ackedTimes[(r.GetString(0), id)] = ackedTimes.GetValueOrDefault((r.GetString(0), id)) + 1;
            }
        }

        foreach (var a in answeredList)
        {
            stored.TryGetValue((a.Udi, a.ReportId), out var row).ShouldBeTrue($"answered report {a.Udi}/{a.ReportId} is missing");
            row.Payload.ShouldBe(a.Payload);
            row.Status.ShouldBe("ACKED");
            ackedTimes.GetValueOrDefault((a.Udi, a.ReportId)).ShouldBe(1, $"{a.Udi}/{a.ReportId} is acknowledged once");
        }
        foreach (var ((udi, id), row) in stored)
        {
            sent.TryGetValue((udi, id), out var original).ShouldBeTrue($"{udi}/{id} was never sent");
            row.Payload.ShouldBe(original!.Payload);
            var parsed = RumReport.FromPayload(row.Payload);
            parsed.Report.ShouldNotBeNull(parsed.Error?.Message);
            parsed.Report.ReportIdKey.ShouldBe(row.Key);
            parsed.Report.InUse.ShouldBe(row.InUse);
        }
        foreach (var key in ackedTimes.Keys) stored.ShouldContainKey(key);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"sent {sent.Count}, answered {answeredList.Count}, stored {stored.Count}, cut by the kill {cutByKill}, answered after it {answeredAfterKill.Values.Sum()}");
    }

    private static async Task<int> OAuthAsync(HttpClient http, string requestId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/default/v1/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Add("X-Request-Id", requestId);
        using var response = await http.SendAsync(request, Ct);
        return (int)response.StatusCode;
    }

    private static async Task AddRuleEverywhereAsync(Replica[] replicas, string json, string id)
    {
        using (var added = await replicas[0].Http.PostAsync("/_sim/faults", new StringContent(json, Encoding.UTF8, "application/json"), Ct))
            added.IsSuccessStatusCode.ShouldBeTrue(await added.Content.ReadAsStringAsync(Ct));
        foreach (var r in replicas)
        {
            var seen = await WithinOneSecondAsync(async _ => (int)(await r.Http.GetAsync($"/_sim/faults/{id}", Ct)).StatusCode, status => status == 200);
            seen.ShouldBe(200, $"the rule added on replica 1 is loaded on {r.Url} within 1 s");
        }
    }

    [Fact]
    public async Task Three_replicas_count_a_fault_rule_in_one_sequence_and_each_shows_every_replicas_requests_in_the_journal()
    {
        var (replicas, _) = await StartReplicasAsync(3);

        // every: 3 over 30 requests sent in turn to the three replicas: the 3rd, 6th, ... request overall fails.
        await AddRuleEverywhereAsync(replicas, """{"id":"every-third","match":{"surface":"oauth"},"when":{"every":3},"effect":{"status":503}}""", "every-third");
        var statuses = new List<int>();
        for (var i = 0; i < 30; i++) statuses.Add(await OAuthAsync(replicas[i % 3].Http, $"seq-{i:D2}"));
        using (var deleted = await replicas[1].Http.DeleteAsync("/_sim/faults/every-third", Ct)) deleted.IsSuccessStatusCode.ShouldBeTrue();

        // times: 5 with 90 concurrent requests spread over the replicas: exactly five fail, wherever they land.
        await AddRuleEverywhereAsync(replicas, """{"id":"five-times","match":{"surface":"oauth"},"when":{"times":5},"effect":{"status":503}}""", "five-times");
        var raced = await Task.WhenAll(Enumerable.Range(0, 90).Select(i => OAuthAsync(replicas[i % 3].Http, $"race-{i:D2}")));
        var counters = (await replicas[2].Http.GetFromJsonAsync<JsonObject>("/_sim/faults/five-times", Ct))!;

        statuses.Select((s, i) => (s, i)).Where(x => x.s == 503).Select(x => x.i + 1).ShouldBe([3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);
        raced.Count(s => s == 503).ShouldBe(5);
        counters["candidates"]!.GetValue<long>().ShouldBe(90);
        counters["applied"]!.GetValue<long>().ShouldBe(5);
        counters["exhausted"]!.GetValue<bool>().ShouldBeTrue();

        // The journal (persisted by default on PostgreSQL) of any replica holds all 120 requests, in one id sequence.
        foreach (var r in replicas)
        {
            var journal = (await r.Http.GetFromJsonAsync<JsonObject>("/_sim/journal?surface=oauth&limit=500&waitForCount=120&timeout=5", Ct))!;
            var entries = journal["entries"]!.AsArray();
            journal["timedOut"].ShouldBeNull($"{r.Url} saw {entries.Count} of 120 requests");
            entries.Select(e => e!["requestId"]!.GetValue<string>()).Order().ShouldBe(
                Enumerable.Range(0, 30).Select(i => $"seq-{i:D2}").Concat(Enumerable.Range(0, 90).Select(i => $"race-{i:D2}")).Order());
            entries.Select(e => e!["id"]!.GetValue<long>()).ShouldBeInOrder(SortDirection.Ascending);
            entries.Select(e => e!["id"]!.GetValue<long>()).Distinct().Count().ShouldBe(120);
            entries.Count(e => e!["httpStatus"]!.GetValue<int>() == 503).ShouldBe(15);
        }

        // Cleared on one replica, the journal is empty on the others.
        using (var cleared = await replicas[1].Http.DeleteAsync("/_sim/journal", Ct)) cleared.IsSuccessStatusCode.ShouldBeTrue();
        var after = (await replicas[0].Http.GetFromJsonAsync<JsonObject>("/_sim/journal?surface=oauth", Ct))!;
        after["entries"]!.AsArray().ShouldBeEmpty();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients) c.Dispose();
        foreach (var p in _processes) await p.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
