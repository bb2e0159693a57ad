using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace CssmSim.Load;

/// <summary>
/// <c>scale</c>: SSM On-Prem's size (its documented limit is 300,000 product instances). Fills a
/// SQLite file with <c>cssmsim bench populate</c>, serves it with <c>cssmsim serve</c>, times each
/// call of issue 21's scale table over several rounds (p50/p95), reads the server's RSS after them,
/// times <c>POST /_sim/reset</c> last (it empties the store: each further reset round restores the
/// populated file first), and prints each target and whether its p95 meets it.
/// </summary>
public static class Scale
{
    private const string Api = "/services/api/smart-accounts-and-licensing";
    public static readonly TimeSpan CallTarget = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan ResetTarget = TimeSpan.FromSeconds(5);
    public const long RssTargetBytes = 1L << 30;

    public sealed record Options(int Instances, long Reports, int Rounds, int ResetRounds, string Directory, bool Keep, string Cssmsim, int Port, string? Db,
        bool Warm = true);

    public static async Task<int> RunAsync(Options o, CancellationToken ct)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        System.IO.Directory.CreateDirectory(o.Directory);
        var db = o.Db ?? Path.Combine(o.Directory, $"scale-{o.Instances}-{o.Reports}.db");
        var pristine = db + ".pristine";
        var given = File.Exists(db);
        try
        {
            if (!given)
            {
                var clock = Stopwatch.StartNew();
                var code = await RunToEndAsync(o.Cssmsim, ["bench", "populate", "--instances", o.Instances.ToString(CultureInfo.InvariantCulture),
                    "--reports", o.Reports.ToString(CultureInfo.InvariantCulture), "--store", "sqlite:" + db], o.Directory, ct);
                if (code != 0) throw new InvalidOperationException($"cssmsim bench populate exited {code}");
                Print($"populate: {o.Instances:N0} product instances, {o.Reports:N0} reports in {clock.Elapsed.TotalSeconds:0} s, {new FileInfo(db).Length / 1048576.0:0} MB");
            }
            else Print($"populate: reusing {db} ({new FileInfo(db).Length / 1048576.0:0} MB)");

            var url = $"http://127.0.0.1:{o.Port}";
            var rows = new List<(string Call, List<double> Ms, List<double> Cpu, TimeSpan Target)>();
            long? rss = null;
            var resets = new List<double>();
            var resetCpu = new List<double>();
            var startClock = Stopwatch.StartNew();
            var server = await ServerProcess.StartSimulatorAsync(url, "sqlite:" + db, o.Directory, Environment(), ct, o.Cssmsim, TimeSpan.FromMinutes(15));
            try
            {
                Print($"serve: ready in {startClock.Elapsed.TotalSeconds:0.0} s (pid {server.Pid}), RSS {Rss.Mb(server.RssBytes())}");
                using var http = Workloads.NewClient(server.BaseAddress);
                http.Timeout = TimeSpan.FromMinutes(10);
                var bearer = await new Workloads(server.BaseAddress).AccessTokenAsync(ct);
                var deepOffset = Math.Max(0, o.Instances * 5 / 6); // 250,000 of 300,000
                var calls = new (string Name, Func<HttpRequestMessage> Request)[]
                {
                    ("POST v1/accounts/{d}/licenses", () => Json(HttpMethod.Post, Api + "/v1/accounts/example.com/licenses", """{"limit":100,"offset":0}""", bearer)),
                    ("POST v3/licenses/summary", () => Summary(bearer)),
                    ("portal Inventory → Licenses", () => new HttpRequestMessage(HttpMethod.Get, "/portal/licenses?sa=example.com&va=DEFAULT")),
                    ($"POST v1/accounts/{{d}}/devices, offset {deepOffset:N0}", () => Json(HttpMethod.Post, Api + "/v1/accounts/example.com/devices",
                        $$"""{"limit":100,"offset":{{deepOffset}}}""", bearer)),
                    ("portal Product Instances", () => new HttpRequestMessage(HttpMethod.Get, "/portal/product-instances?sa=example.com&va=DEFAULT")),
                };
                // One untimed call each first (JIT, page cache), then the rounds, the calls alternating.
                if (o.Warm)
                {
                    foreach (var (name, request) in calls) await TimeAsync(http, name, request, ct);
                }
                var times = calls.Select(_ => new List<double>()).ToArray();
                var cpus = calls.Select(_ => new List<double>()).ToArray();
                for (var round = 0; round < o.Rounds; round++)
                {
                    for (var i = 0; i < calls.Length; i++) times[i].Add(await TimeAsync(http, calls[i].Name, calls[i].Request, ct, server, cpus[i]));
                }
                for (var i = 0; i < calls.Length; i++) rows.Add((calls[i].Name, times[i], cpus[i], CallTarget));
                rss = server.RssBytes();
            }
            finally
            {
                await server.DisposeAsync();
            }
            // Reset empties the store: a copy of the file as served (migrated) brings it back for each further
            // round, and at the end for a file that stays (given, or --keep), so a later run finds it populated.
            if (o.ResetRounds > 1 || o.Keep || given) File.Copy(db, pristine, overwrite: true);
            for (var round = 0; round < o.ResetRounds; round++)
            {
                if (round > 0) Restore(pristine, db);
                await using var again = await ServerProcess.StartSimulatorAsync(url, "sqlite:" + db, o.Directory, Environment(), ct, o.Cssmsim, TimeSpan.FromMinutes(15));
                using var h = Workloads.NewClient(again.BaseAddress);
                h.Timeout = TimeSpan.FromMinutes(10);
                resets.Add(await TimeAsync(h, "POST /_sim/reset", () => new HttpRequestMessage(HttpMethod.Post, "/_sim/reset"), ct, again, resetCpu));
            }
            rows.Add(("POST /_sim/reset", resets, resetCpu, ResetTarget));

            Print("");
            Print($"scale: {o.Instances:N0} product instances, {o.Reports:N0} usage reports; {o.Rounds} rounds per call{(o.Warm ? " (after one untimed)" : "")}, {o.ResetRounds} reset round(s); load average {Machine.LoadAverage()}");
            Print($"{"call",-48} {"p50",10} {"p95",10} {"max",10} {"CPU p50",10}   target (p95)");
            var met = 0;
            foreach (var (call, ms, cpuMs, target) in rows)
            {
                var ok = Percentile(ms, 0.95) < target.TotalMilliseconds;
                met += ok ? 1 : 0;
                var cpuText = cpuMs.Count > 0 ? Ms(Percentile(cpuMs, 0.5)) : "n/a";
                Print($"{call,-48} {Ms(Percentile(ms, 0.5)),10} {Ms(Percentile(ms, 0.95)),10} {Ms(ms.Max()),10} {cpuText,10}   < {Ms(target.TotalMilliseconds)}: {(ok ? "met" : "NOT met")}");
            }
            var rssOk = rss is { } r && r < RssTargetBytes;
            met += rssOk ? 1 : 0;
            Print($"{"server RSS after these calls",-48} {Rss.Mb(rss),10} {"",10} {"",10} {"",10}   < 1024 MB: {(rssOk ? "met" : "NOT met")}");
            Print($"targets met: {met} of {rows.Count + 1}");
            return met == rows.Count + 1 ? 0 : 1;
        }
        finally
        {
            if ((o.Keep || given) && File.Exists(pristine)) Restore(pristine, db);
            File.Delete(pristine);
            // A file this run populated goes (GBs) unless kept; one it was given stays, populated as it came.
            if (!o.Keep && !given)
            {
                foreach (var f in new[] { db, db + "-wal", db + "-shm" }) File.Delete(f);
            }
        }
    }

    private static Dictionary<string, string> Environment() => new() { ["CSSMSIM__Sqlite__Synchronous"] = "NORMAL" };

    private static void Restore(string pristine, string db)
    {
        foreach (var f in new[] { db + "-wal", db + "-shm" }) File.Delete(f);
        File.Copy(pristine, db, overwrite: true);
    }

    private static HttpRequestMessage Json(HttpMethod method, string path, string body, string bearer)
    {
        var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return request;
    }

    private static HttpRequestMessage Summary(string bearer)
    {
        var request = Json(HttpMethod.Post, Api + "/v3/licenses/summary", """{"data":{"timestamp":1700000000000,"nonce":"scale-nonce-1","tags":[]}}""", bearer);
        // The demo account's ids (DefaultSeed): Smart Account 123456, Virtual Account DEFAULT 234567.
        request.Headers.Add("X-CSW-SMART-ACCOUNT-ID", "123456");
        request.Headers.Add("X-CSW-VIRTUAL-ACCOUNT-ID", "234567");
        request.Headers.Add("X-CSW-REQUESTING-SYSTEM", """{"display_name":"CSLU"}""");
        return request;
    }

    /// <summary>One call, whole response read; a failure stops the run (a fast error is no figure).</summary>
    private static async Task<double> TimeAsync(HttpClient http, string name, Func<HttpRequestMessage> make, CancellationToken ct, ServerProcess? server = null,
        List<double>? cpu = null)
    {
        using var request = make();
        var cpuBefore = server?.CpuTime();
        var clock = Stopwatch.StartNew();
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        var ms = clock.Elapsed.TotalMilliseconds;
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{name}: HTTP {(int)response.StatusCode}: {body[..Math.Min(400, body.Length)]}");
        var cpuUsed = server?.CpuTime() - cpuBefore;
        if (cpuUsed is { } used) cpu?.Add(used.TotalMilliseconds);
        Print($"  {name}: {Ms(ms)} ({body.Length / 1024.0:0} KB){(cpuUsed is { } u ? $", server CPU {Ms(u.TotalMilliseconds)}" : "")}");
        return ms;
    }

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        // Nearest rank: with 5 rounds the p95 is the slowest.
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static string Ms(double ms) => ms >= 1000 ? (ms / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " s" : ms.ToString("0", CultureInfo.InvariantCulture) + " ms";

    private static void Print(string line) => Console.WriteLine(line);

    private static async Task<int> RunToEndAsync(string dll, string[] args, string directory, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = directory };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        try
        {
            await p.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }
        return p.ExitCode;
    }
}
