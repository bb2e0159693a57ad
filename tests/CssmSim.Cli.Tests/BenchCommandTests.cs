using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace CssmSim.Cli.Tests;

public sealed class BenchCommandTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string NetworkStack = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    private readonly string _dir = Directory.CreateTempSubdirectory("cssmsim-bench-").FullName;

    [Fact]
    public async Task Bench_populate_fills_a_store_that_serve_then_reports_from()
    {
        var db = Path.Combine(_dir, "bench.db");

        var code = await CliApp.Create().Parse(["bench", "populate", "--instances", "40", "--reports", "130", "--batch", "16", "--store", "sqlite:" + db])
            .InvokeAsync(cancellationToken: Ct);

        code.ShouldBe(0);
        var port = CliProcess.FreePort();
        await using var sim = CliProcess.Start(_dir, null, "serve", "--urls", $"http://127.0.0.1:{port}", "--store", "sqlite:" + db);
        await sim.WaitUntilListeningAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var licenses = await http.GetFromJsonAsync<JsonObject>("/_sim/accounts/example.com/virtual-accounts/DEFAULT/licenses", Ct);
        // Every instance's latest report counts one in use.
        licenses!["licenses"]!.AsArray().Single(l => l!["tag"]!.GetValue<string>() == NetworkStack)!["inUse"]!.GetValue<int>().ShouldBe(40);
        var instances = await http.GetFromJsonAsync<JsonNode>("/_sim/accounts/example.com/virtual-accounts/DEFAULT/product-instances", Ct);
        instances!.ToJsonString().ShouldContain("BENCH000040");
    }

    [Fact]
    public async Task Bench_populate_run_twice_leaves_the_first_rows_as_they_were()
    {
        var db = Path.Combine(_dir, "twice.db");
        string[] args = ["bench", "populate", "--instances", "5", "--reports", "10", "--store", "sqlite:" + db];
        (await CliApp.Create().Parse(args).InvokeAsync(cancellationToken: Ct)).ShouldBe(0);
        var output = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(output);
        int code;
        try
        {
            code = await CliApp.Create().Parse(args).InvokeAsync(cancellationToken: Ct);
        }
        finally
        {
            Console.SetOut(previous);
        }

        code.ShouldBe(0);
        output.ToString().ShouldContain("Added 0 product instances, 0 usage reports and 0 synthetic ACKs");
    }

    [Fact]
    public async Task Bench_populate_refuses_an_in_memory_store()
    {
        var code = await CliApp.Create().Parse(["bench", "populate", "--instances", "1", "--reports", "0", "--store", "memory"]).InvokeAsync(cancellationToken: Ct);

        code.ShouldBe(2);
    }

    [Fact]
    public async Task Bench_populate_on_a_postgres_server_that_cannot_be_reached_stops_with_a_clear_message_and_exit_code_1()
    {
        // Nothing listens on a free port.
        await using var bench = CliProcess.Start(_dir, null, "bench", "populate", "--instances", "1", "--reports", "0",
            "--store", $"postgres:Host=127.0.0.1;Port={CliProcess.FreePort()};Username=qa;Password=pg-secret-4711;Timeout=5");

        var code = await bench.WaitForExitAsync();

        code.ShouldBe(1);
        bench.Output.ShouldContain("cssmsim: cannot open store postgres:");
        bench.Output.ShouldNotContain("pg-secret-4711");
        bench.Output.ShouldNotContain("   at ", Case.Sensitive, "a message, not a stack trace");
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
