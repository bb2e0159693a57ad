using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace CssmSim.Cli.Tests;

/// <summary>What a user sees and keeps when starting <c>cssmsim serve</c> (issue 20: the first hour).</summary>
public sealed class FirstStartTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _dir = Directory.CreateTempSubdirectory("cssmsim-first-").FullName;

    [Fact]
    public async Task Serve_prints_progress_before_the_banner_and_says_what_state_is_in_force()
    {
        var port = CliProcess.FreePort();
        await using var sim = CliProcess.Start(_dir, null, "serve", "--urls", $"http://127.0.0.1:{port}", "--store", "sqlite:sim.db");

        await sim.WaitUntilListeningAsync();
        await sim.WaitForOutputAsync("holds ");

        var output = sim.Output;
        output.IndexOf("cssmsim: opening store", StringComparison.Ordinal).ShouldBeInRange(0, output.IndexOf("listening on", StringComparison.Ordinal));
        output.ShouldContain("state: the demo account (default seed), applied to a new store");
        output.ShouldContain("holds 1 Smart Account(s), 2 virtual account(s)");
    }

    [Fact]
    public async Task A_restart_shows_user_fault_rules_and_that_the_seed_was_merged_into_the_existing_store()
    {
        var port = CliProcess.FreePort();
        var url = $"http://127.0.0.1:{port}";
        await using (var first = CliProcess.Start(_dir, null, "serve", "--urls", url, "--store", "sqlite:sim.db"))
        {
            await first.WaitUntilListeningAsync();
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            using var added = await http.PostAsync("/_sim/faults", new StringContent(
                """{"name": "oauth down", "match": {"surface": "oauth"}, "effect": {"status": 503}}""", Encoding.UTF8, "application/json"), Ct);
            added.StatusCode.ShouldBe(HttpStatusCode.Created);
            await first.KillAsync();
        }
        File.WriteAllText(Path.Combine(_dir, "lab.yaml"), "accounts: [{domain: lab.test, virtualAccounts: [DEFAULT]}]");

        await using var second = CliProcess.Start(_dir, null, "serve", "--urls", url, "--store", "sqlite:sim.db", "--seed", "lab.yaml");
        await second.WaitUntilListeningAsync();
        await second.WaitForOutputAsync("fault rules in force");
        await second.WaitForOutputAsync("oauth down");

        second.Output.ShouldContain("state: seed lab.yaml, merged into the existing store (--reset starts from the seed alone)");
        second.Output.ShouldContain("holds 2 Smart Account(s)");
    }

    [Fact]
    public async Task Reset_at_start_keeps_only_the_seed()
    {
        var port = CliProcess.FreePort();
        var url = $"http://127.0.0.1:{port}";
        await using (var first = CliProcess.Start(_dir, null, "serve", "--urls", url, "--store", "sqlite:sim.db"))
        {
            await first.WaitUntilListeningAsync();
            await first.KillAsync();
        }
        File.WriteAllText(Path.Combine(_dir, "lab.yaml"), "accounts: [{domain: lab.test, virtualAccounts: [DEFAULT]}]");

        await using var second = CliProcess.Start(_dir, null, "serve", "--urls", url, "--store", "sqlite:sim.db", "--seed", "lab.yaml", "--reset");
        await second.WaitUntilListeningAsync();
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var snapshot = await http.GetStringAsync("/_sim/snapshot", Ct);

        snapshot.ShouldContain("lab.test");
        snapshot.ShouldNotContain("example.com");
        second.Output.ShouldContain("store reset to it (--reset)");
    }

    [Fact]
    public async Task A_start_that_cannot_listen_prints_one_line_and_leaves_the_database_unchanged()
    {
        var port = CliProcess.FreePort();
        var url = $"http://127.0.0.1:{port}";
        await using (var first = CliProcess.Start(_dir, null, "serve", "--urls", url, "--store", "sqlite:sim.db"))
        {
            await first.WaitUntilListeningAsync();
            await first.KillAsync();
        }
        var db = Path.Combine(_dir, "sim.db");
        var before = Fingerprint(db);
        File.WriteAllText(Path.Combine(_dir, "lab.yaml"), "accounts: [{domain: lab.test, virtualAccounts: [DEFAULT]}]");
        using var occupant = new TcpListener(IPAddress.Loopback, port);
        occupant.Start();

        await using var second = CliProcess.Start(_dir, null, "serve", "--urls", url, "--store", "sqlite:sim.db", "--seed", "lab.yaml");
        var code = await second.WaitForExitAsync();

        code.ShouldBe(1);
        second.Output.Trim().ShouldBe($"cssmsim: cannot listen on {url}: address already in use (another cssmsim or program has it; choose another with --urls). Nothing was written.");
        Fingerprint(db).ShouldBe(before);
    }

    [Fact]
    public async Task Serve_logs_a_line_per_request_with_operation_status_and_time_and_log_level_quiets_it()
    {
        var port = CliProcess.FreePort();
        var url = $"http://127.0.0.1:{port}";
        await using (var sim = CliProcess.Start(_dir, null, "serve", "--urls", url, "--store", "memory"))
        {
            await sim.WaitUntilListeningAsync();
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            (await http.GetAsync("/services/api/smart-accounts-and-licensing/v2/accounts/search", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

            await sim.WaitForOutputAsync("GET /services/api/smart-accounts-and-licensing/v2/accounts/search 401");
            sim.Output.ShouldMatch(@"GET /services/api/smart-accounts-and-licensing/v2/accounts/search 401 \d+\.\d ms operation=\S+ udi=-");
        }

        var quietPort = CliProcess.FreePort();
        var env = new Dictionary<string, string> { ["CSSMSIM__Logging__LogLevel__Default"] = "Warning" };
        await using var quiet = CliProcess.Start(_dir, env, "serve", "--urls", $"http://127.0.0.1:{quietPort}", "--store", "memory");
        await quiet.WaitUntilListeningAsync();
        using var quietHttp = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{quietPort}") };
        (await quietHttp.GetAsync("/_sim/health", Ct)).EnsureSuccessStatusCode();
        (await quietHttp.GetAsync("/_sim/ready", Ct)).EnsureSuccessStatusCode();
        await quiet.KillAsync();
        quiet.Output.ShouldNotContain("GET /_sim/health");
    }

    [Fact]
    public async Task Aspnetcore_urls_is_honoured_when_no_cssmsim_setting_names_the_urls()
    {
        var port = CliProcess.FreePort();
        var env = new Dictionary<string, string> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" };
        await using var sim = CliProcess.Start(_dir, env, "serve", "--store", "memory");
        await sim.WaitUntilListeningAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        (await http.GetAsync("/_sim/health", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_unknown_log_level_is_refused_with_exit_code_2()
    {
        await using var sim = CliProcess.Start(_dir, null, "serve", "--store", "memory", "--log-level", "Chatty");

        (await sim.WaitForExitAsync()).ShouldBe(2);
        sim.Output.ShouldContain("Logging:LogLevel:Default: 'Chatty' is not a log level");
    }

    [Fact]
    public async Task The_documented_seed_example_starts_the_simulator()
    {
        var example = Path.Combine(RepoRoot(), "docs", "seed-example.yaml");
        var port = CliProcess.FreePort();
        await using var sim = CliProcess.Start(_dir, null, "serve", "--urls", $"http://127.0.0.1:{port}", "--store", "memory", "--seed", example);
        await sim.WaitUntilListeningAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        var snapshot = await http.GetStringAsync("/_sim/snapshot", Ct);

        snapshot.ShouldContain("acme.test");
        snapshot.ShouldContain("93BBAH93MGS");
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CssmSim.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("CssmSim.sln not found above " + AppContext.BaseDirectory);
    }

    private static string Fingerprint(string path)
    {
        // The database with its WAL: what a later start would read.
        var parts = new[] { path, path + "-wal" }.Where(File.Exists).Select(p => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(p))));
        return string.Join("/", parts);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
