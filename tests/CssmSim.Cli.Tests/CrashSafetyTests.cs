using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Storage.Sqlite;
using CssmSim.Engine.Usage;
using CssmSim.Testing.Devices;
using Microsoft.Data.Sqlite;

namespace CssmSim.Cli.Tests;

/// <summary>
/// SPEC §4: 202/COMPLETE is answered only after commit, and the SQLite file (WAL, synchronous=NORMAL)
/// survives the process being killed. The server is SIGKILLed while devices stream usage reports.
/// </summary>
public sealed class CrashSafetyTests : IDisposable
{
    private const string Tag = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    private const int TotalReports = 10_000;
    private const int KillAfterAnswered = 5_000;
    private const int ReportsPerMessage = 5;
    private const int Clients = 8;
    private const int DevicesPerClient = 4;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _dir = Directory.CreateTempSubdirectory("cssmsim-crash-").FullName;
    private string DbPath => Path.Combine(_dir, "data", "crash.db");

    private sealed record SentReport(string Udi, string ReportId, string Payload, string Signature);

    [Fact]
    public async Task Every_report_answered_complete_before_a_sigkill_is_stored_whole_after_restart()
    {
        // Arrange: a file store, a token and trusted devices.
        var url = $"http://127.0.0.1:{CliProcess.FreePort()}";
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var first = CliProcess.Start(_dir, null, "serve", "--urls", url, "--store", "sqlite:data/crash.db");
        List<SimulatedProductInstance> devices;
        var answered = new ConcurrentBag<SentReport>();
        var sent = new ConcurrentDictionary<(string Udi, string ReportId), SentReport>();
        int answeredCount = 0, submitted = 0, failedAfterKill = 0;
        try
        {
            await first.WaitUntilListeningAsync();
            var token = await CreateTokenAsync(http);
            devices = [.. Enumerable.Range(0, Clients * DevicesPerClient).Select(i => new SimulatedProductInstance(http, "C9300-24T", $"CRASH{i:D4}"))];
            foreach (var d in devices) (await d.EstablishTrustAsync(token)).Trusted.ShouldBeTrue();

            // Act: 8 clients stream 10,000 reports (5 per message); the process is killed once 5,000 are answered.
            var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            async Task Client(int c)
            {
                var mine = devices.Skip(c * DevicesPerClient).Take(DevicesPerClient).ToArray();
                for (var round = 0; ; round++)
                {
                    if (Interlocked.Add(ref submitted, ReportsPerMessage) > TotalReports) return;
                    var device = mine[round % mine.Length];
                    var reports = device.BuildReports(Enumerable.Repeat((Tag, (long)(round % 50)), ReportsPerMessage));
                    var udi = device.Udi.ToString();
                    foreach (var r in reports) sent[(udi, r.ReportId)] = new SentReport(udi, r.ReportId, r.Payload, r.Signature.ToJsonString());
                    var data = new JsonObject
                    {
                        ["reports"] = new JsonArray([.. reports.Select(r => (JsonNode)new JsonObject { ["payload"] = r.Payload, ["signature"] = r.Signature })]),
                    };
                    JsonObject reply;
                    try
                    {
                        reply = await device.SendAndPollAsync("USAGE_REPORTING", data, Ct);
                    }
                    catch (Exception e) when (killed.Task.IsCompleted && e is HttpRequestException or IOException or JsonException or InvalidOperationException)
                    {
                        Interlocked.Increment(ref failedAfterKill);
                        return;
                    }
                    reply["status"]!.GetValue<string>().ShouldBe("COMPLETE", reply.ToJsonString());
                    var ack = await device.ImportAckAsync(reply["data"]!["ack"]!.GetValue<string>(), Ct);
                    ack.SignatureValid.ShouldBeTrue();
                    foreach (var r in reports)
                    {
                        ack.ReportStatuses[r.ReportId].ShouldBe("ACKED");
                        answered.Add(sent[(udi, r.ReportId)]);
                    }
                    if (Interlocked.Add(ref answeredCount, ReportsPerMessage) >= KillAfterAnswered && killed.TrySetResult())
                        await first.KillAsync();
                }
            }
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(Client));
            killed.Task.IsCompleted.ShouldBeTrue("the kill happened while reports were streaming");
        }
        finally
        {
            await first.DisposeAsync();
        }

        // Restart on the same file.
        var url2 = $"http://127.0.0.1:{CliProcess.FreePort()}";
        using var http2 = new HttpClient { BaseAddress = new Uri(url2) };
        await using var second = CliProcess.Start(_dir, null, "serve", "--urls", url2, "--store", "sqlite:data/crash.db");
        await second.WaitUntilListeningAsync();

        // Assert: the file is sound, in WAL mode, and holds every answered report, whole.
        var answeredList = answered.ToList();
        answeredList.Count.ShouldBeGreaterThanOrEqualTo(KillAfterAnswered);
        answeredList.Count.ShouldBeLessThan(TotalReports, "the kill came before the stream ended");
        using (var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Mode = SqliteOpenMode.ReadOnly }.ToString()))
        {
            db.Open();
            Scalar(db, "PRAGMA integrity_check").ShouldBe("ok");
            Scalar(db, "PRAGMA journal_mode").ShouldBe("wal");
            Rows(db, "PRAGMA foreign_key_check", _ => 1).ShouldBeEmpty();

            var stored = Rows(db, "SELECT udi, report_key, report_id, payload, status, tag, in_use FROM usage_reports WHERE udi LIKE '%CRASH%'",
                r => (Udi: r.GetString(0), Key: r.GetString(1), Id: r.GetString(2), Payload: r.GetString(3), Status: r.GetString(4),
                    Tag: r.IsDBNull(5) ? null : r.GetString(5), InUse: r.IsDBNull(6) ? (long?)null : r.GetInt64(6)))
                .ToDictionary(r => (r.Udi, r.Id));
            var acked = Rows(db, "SELECT udi, report_ids_json FROM acks WHERE udi LIKE '%CRASH%'",
                    r => (Udi: r.GetString(0), Ids: JsonSerializer.Deserialize<string[]>(r.GetString(1))!))
                .SelectMany(a => a.Ids.Select(id => (a.Udi, id))).ToHashSet();

            foreach (var a in answeredList)
            {
                stored.TryGetValue((a.Udi, a.ReportId), out var row).ShouldBeTrue($"answered report {a.Udi}/{a.ReportId} is missing");
                row.Payload.ShouldBe(a.Payload);
                row.Status.ShouldBe("ACKED");
                acked.ShouldContain((a.Udi, a.ReportId), $"the ACK of {a.Udi}/{a.ReportId} was answered, so its row must exist");
            }
            // Nothing half-written: each stored row is one that was sent, its payload parses whole and agrees with its columns,
            // and every ACK row names only stored reports.
            stored.Count.ShouldBeLessThanOrEqualTo(sent.Count);
            foreach (var row in stored.Values)
            {
                sent.TryGetValue((row.Udi, row.Id), out var original).ShouldBeTrue($"{row.Udi}/{row.Id} was never sent");
                row.Payload.ShouldBe(original!.Payload);
                var parsed = RumReport.FromPayload(row.Payload);
                parsed.Report.ShouldNotBeNull(parsed.Error?.Message);
                parsed.Report.ReportIdKey.ShouldBe(row.Key);
                parsed.Report.InUse.ShouldBe(row.InUse);
                row.Tag.ShouldBe(Tag);
            }
            foreach (var (udi, id) in acked) stored.ShouldContainKey((udi, id));
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"sent {sent.Count}, answered {answeredList.Count}, stored {stored.Count}, requests cut by the kill {failedAfterKill}");
        }

        // ...and the server serves again: devices keep their trust, a resent report counts once.
        (await http2.GetFromJsonAsync<JsonObject>("/_sim/health", Ct))!["status"]!.GetValue<string>().ShouldBe("ok");
        var again = new SimulatedProductInstance(http2, "C9300-24T", "CRASH0000");
        var resent = answeredList.First(a => a.Udi == again.Udi.ToString());
        var retry = await again.SendAndPollAsync("USAGE_REPORTING", new JsonObject
        {
            ["reports"] = new JsonArray(new JsonObject { ["payload"] = resent.Payload, ["signature"] = JsonNode.Parse(resent.Signature) }),
        }, Ct);
        retry["status"]!.GetValue<string>().ShouldBe("COMPLETE", retry.ToJsonString());
        var retryAck = await again.ImportAckAsync(retry["data"]!["ack"]!.GetValue<string>(), Ct);
        retryAck.ReportStatuses[resent.ReportId].ShouldBe("ACKED");
        using var count = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Mode = SqliteOpenMode.ReadOnly }.ToString());
        count.Open();
        Scalar(count, $"SELECT COUNT(*) FROM usage_reports WHERE udi = '{resent.Udi}' AND report_id = '{resent.ReportId}'").ShouldBe("1");
    }

    [Theory]
    [InlineData("NORMAL", 1L)]
    [InlineData("FULL", 2L)]
    public async Task The_sqlite_synchronous_setting_is_what_each_connection_runs_with(string setting, long pragma)
    {
        await using var store = SqliteSimulatorStore.Open(StoreLocation.SqliteFile(DbPath), setting);

        var durability = await store.DurabilityAsync(Ct);

        durability!.Synchronous.ShouldBe(pragma);
        durability.JournalMode.ShouldBe("wal");
    }

    [Fact]
    public async Task Serve_runs_wal_with_synchronous_normal_by_default()
    {
        await using var sim = CliProcess.Start(_dir, null, "serve", "--urls", $"http://127.0.0.1:{CliProcess.FreePort()}", "--store", "sqlite:data/default.db");
        await sim.WaitUntilListeningAsync();

        await sim.WaitForOutputAsync("(journal wal, synchronous NORMAL)");
    }

    [Fact]
    public async Task Sqlite_synchronous_full_from_the_environment_reaches_the_database()
    {
        var env = new Dictionary<string, string> { ["CSSMSIM__Sqlite__Synchronous"] = "full" };
        await using var sim = CliProcess.Start(_dir, env, "serve", "--urls", $"http://127.0.0.1:{CliProcess.FreePort()}", "--store", "sqlite:data/full.db");
        await sim.WaitUntilListeningAsync();

        await sim.WaitForOutputAsync("(journal wal, synchronous FULL)");
    }

    [Fact]
    public async Task Sqlite_synchronous_full_from_appsettings_json_reaches_the_database()
    {
        File.WriteAllText(Path.Combine(_dir, "appsettings.json"), """{"Sqlite": {"Synchronous": "FULL"}}""");
        await using var sim = CliProcess.Start(_dir, null, "serve", "--urls", $"http://127.0.0.1:{CliProcess.FreePort()}", "--store", "sqlite:data/full.db");
        await sim.WaitUntilListeningAsync();

        await sim.WaitForOutputAsync("(journal wal, synchronous FULL)");
    }

    [Fact]
    public async Task An_unknown_sqlite_synchronous_value_is_refused_with_exit_code_2()
    {
        var env = new Dictionary<string, string> { ["CSSMSIM__Sqlite__Synchronous"] = "OFF" };
        await using var sim = CliProcess.Start(_dir, env, "serve", "--store", "sqlite:data/off.db");

        var code = await sim.WaitForExitAsync();

        code.ShouldBe(2);
        sim.Output.ShouldContain("Sqlite:Synchronous must be NORMAL or FULL");
    }

    private static async Task<string> CreateTokenAsync(HttpClient http)
    {
        using var created = await http.PostAsync("/_sim/accounts/example.com/virtual-accounts/DEFAULT/tokens",
            new StringContent("""{"description":"crash test"}""", Encoding.UTF8, "application/json"), Ct);
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<JsonObject>(Ct))!["token"]!.GetValue<string>();
    }

    private static string? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToString(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static List<T> Rows<T>(SqliteConnection c, string sql, Func<SqliteDataReader, T> read)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var list = new List<T>();
        while (r.Read()) list.Add(read(r));
        return list;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
