using System.Net;
using System.Text.Json.Nodes;
using CssmSim.Engine.Usage;
using Microsoft.Data.Sqlite;

namespace CssmSim.Cli.Tests;

/// <summary>
/// Issue 14 item 4: an offline usage upload SIGKILLed part-way (its reports stored, its ACKs not yet
/// all signed and delivered) leaves no upload to see, and the same upload sent again converges to the
/// state of one clean upload: each report once, one ACK row per UDI, one upload record. The kill comes
/// once the database shows the upload's reports but no finished upload (an upload's ACK rows are one
/// transaction since issue 21, so they are all there or none).
/// </summary>
public sealed class UploadCrashTests : IDisposable
{
    private const int Udis = 400;
    private const int ReportsPerUdi = 30; // 12,000 reports
    private const string Tag = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _dir = Directory.CreateTempSubdirectory("cssmsim-uploadcrash-").FullName;
    private string DbPath => Path.Combine(_dir, "upload.db");

    private static byte[] BigRumFile()
    {
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var writer = new RumFileWriter();
        for (var u = 0; u < Udis; u++)
        {
            var udi = new RumUdi("C9300-24T", "UPCRASH" + u.ToString("D5", System.Globalization.CultureInfo.InvariantCulture));
            for (var r = 1; r <= ReportsPerUdi; r++)
            {
                var payload = new RumReportBuilder(udi, Tag, (ulong)r).AddMeasurement(r, start.AddHours(r), start.AddHours(r + 1)).Build();
                writer.AddReport(payload, null);
            }
        }
        return writer.ToUtf8();
    }

    private async Task<(CliProcess Process, HttpClient Http)> ServeAsync()
    {
        var port = CliProcess.FreePort();
        var process = CliProcess.Start(_dir, null, ["serve", "--urls", $"http://127.0.0.1:{port}", "--store", "sqlite:upload.db", "--seed", "accounts.yaml"]);
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        await process.WaitUntilListeningAsync();
        return (process, http);
    }

    private static Task<HttpResponseMessage> UploadAsync(HttpClient http, byte[] file) =>
        http.PostAsync("/_sim/usage-files?fileName=all_rum.txt&smartAccount=upload.test&virtualAccount=DEFAULT", new ByteArrayContent(file), Ct);

    private sealed record Rows(long Reports, long Acks, long UdisAcked, long Uploads, long VisibleUploads);

    private Rows Count()
    {
        try
        {
            using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = """
                SELECT (SELECT COUNT(*) FROM usage_reports WHERE udi LIKE '%UPCRASH%'),
                       (SELECT COUNT(*) FROM acks WHERE udi LIKE '%UPCRASH%'),
                       (SELECT COUNT(DISTINCT udi) FROM acks WHERE udi LIKE '%UPCRASH%'),
                       (SELECT COUNT(*) FROM usage_files),
                       (SELECT COUNT(*) FROM usage_files WHERE completed = 1)
                """;
            using var r = cmd.ExecuteReader();
            r.Read();
            return new Rows(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4));
        }
        catch (SqliteException)
        {
            return new Rows(-1, -1, -1, -1, -1); // not created or not migrated yet
        }
    }

    [Fact]
    public async Task An_upload_killed_part_way_and_sent_again_holds_each_report_ack_and_upload_once()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "accounts.yaml"), "accounts:\n- domain: upload.test\n  virtualAccounts:\n  - name: DEFAULT\n", Ct);
        var file = BigRumFile();

        var (first, http1) = await ServeAsync();
        await using (first)
        using (http1)
        {
            var upload = UploadAsync(http1, file);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (Count() is not { Reports: > 0, VisibleUploads: <= 0 })
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("the upload never got part-way: " + Count());
                await Task.Delay(5, Ct);
            }
            await first.KillAsync();
            await Should.ThrowAsync<HttpRequestException>(upload);
        }
        var killedAt = Count();

        var (second, http2) = await ServeAsync();
        await using var _ = second;
        using var __ = http2;
        using (var hidden = await http2.GetAsync("/_sim/usage-files", Ct))
            (await hidden.Content.ReadAsStringAsync(Ct)).ShouldContain("\"usageFiles\":[]", Case.Sensitive, "the upload cut short is not shown");
        string id;
        using (var retried = await UploadAsync(http2, file))
        {
            var text = await retried.Content.ReadAsStringAsync(Ct);
            retried.StatusCode.ShouldBe(HttpStatusCode.Accepted, text);
            id = JsonNode.Parse(text)!["id"]!.GetValue<string>();
        }
        var status = JsonNode.Parse(await http2.GetStringAsync($"/_sim/usage-files/{id}?waitUntilFinal=30", Ct))!;

        killedAt.Reports.ShouldBeGreaterThan(0, "the kill landed after reports were stored");
        killedAt.Acks.ShouldBeOneOf([0L, Udis], "an upload's ACK rows are written in one transaction");
        killedAt.VisibleUploads.ShouldBe(0, "the kill landed before the upload finished");
        status["status"]!.GetValue<string>().ShouldBe("No Errors", status.ToJsonString());
        status["reports"]!.GetValue<int>().ShouldBe(Udis * ReportsPerUdi);
        status["productInstances"]!.GetValue<int>().ShouldBe(Udis);
        Count().ShouldBe(new Rows(Udis * ReportsPerUdi, Udis, Udis, 1, 1), "one clean upload's rows, once");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
