using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace CssmSim.Cli.Tests;

public sealed class ServeCommandTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _dir = Directory.CreateTempSubdirectory("cssmsim-cli-").FullName;

    [Fact]
    public async Task Serve_answers_health_and_keeps_created_data_across_a_crash_and_restart()
    {
        var port = CliProcess.FreePort();
        var url = $"http://127.0.0.1:{port}";
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        await using (var first = CliProcess.Start(_dir, null, "serve", "--urls", url, "--store", "sqlite:data/sim.db"))
        {
            await first.WaitUntilListeningAsync();
            var health = await http.GetFromJsonAsync<JsonObject>("/_sim/health", Ct);
            health!["status"]!.GetValue<string>().ShouldBe("ok");
            health["store"]!.GetValue<string>().ShouldBe("sqlite");
            using var seed = await http.PostAsync("/_sim/seed",
                new StringContent("accounts: [{domain: survivor.test, virtualAccounts: [DEFAULT]}]", Encoding.UTF8, "application/yaml"), Ct);
            seed.StatusCode.ShouldBe(HttpStatusCode.OK);
            await first.KillAsync();
        }

        await using var second = CliProcess.Start(_dir, null, "serve", "--urls", url, "--store", "sqlite:data/sim.db");
        await second.WaitUntilListeningAsync();
        var snapshot = await http.GetStringAsync("/_sim/snapshot", Ct);

        snapshot.ShouldContain("survivor.test");
        File.Exists(Path.Combine(_dir, "data", "sim.db")).ShouldBeTrue();
    }

    [Fact]
    public async Task Environment_variables_configure_serve()
    {
        var port = CliProcess.FreePort();
        var env = new Dictionary<string, string> { ["CSSMSIM__Urls"] = $"http://127.0.0.1:{port}", ["CSSMSIM__Store"] = "memory" };
        await using var sim = CliProcess.Start(_dir, env, "serve");
        await sim.WaitUntilListeningAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        var health = await http.GetFromJsonAsync<JsonObject>("/_sim/health", Ct);

        health!["store"]!.GetValue<string>().ShouldBe("memory");
    }

    [Fact]
    public async Task Flags_override_appsettings_json_in_the_working_directory()
    {
        var port = CliProcess.FreePort();
        File.WriteAllText(Path.Combine(_dir, "appsettings.json"), $$"""{"Urls": "http://127.0.0.1:{{port}}", "Store": "sqlite:ignored.db"}""");
        await using var sim = CliProcess.Start(_dir, null, "serve", "--store", "memory");
        await sim.WaitUntilListeningAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        var health = await http.GetFromJsonAsync<JsonObject>("/_sim/health", Ct);

        health!["store"]!.GetValue<string>().ShouldBe("memory");
        File.Exists(Path.Combine(_dir, "ignored.db")).ShouldBeFalse();
    }

    [Fact]
    public async Task A_postgres_server_that_cannot_be_reached_stops_the_start_with_a_clear_message_and_exit_code_1()
    {
        // Nothing listens on a free port.
        await using var sim = CliProcess.Start(_dir, null, "serve", "--urls", $"http://127.0.0.1:{CliProcess.FreePort()}",
            "--store", $"postgres:Host=127.0.0.1;Port={CliProcess.FreePort()};Username=qa;Password=pg-secret-4711;Timeout=5");

        var code = await sim.WaitForExitAsync();

        code.ShouldBe(1);
        sim.Output.ShouldContain("cssmsim: cannot start: ");
        sim.Output.ShouldNotContain("pg-secret-4711");
        sim.Output.ShouldNotContain("   at ", Case.Sensitive, "a message, not a stack trace");
    }

    [Fact]
    public async Task A_seed_file_is_loaded_at_start_and_restored_by_reset()
    {
        var port = CliProcess.FreePort();
        File.WriteAllText(Path.Combine(_dir, "seed.yaml"), """
            randomSeed: 5
            apiClients: [{clientId: qa, clientSecret: qa-secret}]
            accounts: [{domain: lab.test, accountId: "777", virtualAccounts: [DEFAULT]}]
            """);
        await using var sim = CliProcess.Start(_dir, null, "serve", "--urls", $"http://127.0.0.1:{port}", "--store", "memory", "--seed", "seed.yaml");
        await sim.WaitUntilListeningAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        (await http.PostAsync("/_sim/seed", new StringContent("accounts: [{domain: extra.test, virtualAccounts: [X]}]", Encoding.UTF8, "application/yaml"), Ct)).EnsureSuccessStatusCode();

        (await http.PostAsync("/_sim/reset", null, Ct)).EnsureSuccessStatusCode();
        var snapshot = await http.GetStringAsync("/_sim/snapshot", Ct);

        snapshot.ShouldContain("lab.test");
        snapshot.ShouldNotContain("extra.test");
        snapshot.ShouldNotContain("example.com", customMessage: "a --seed file replaces the default seed");
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
