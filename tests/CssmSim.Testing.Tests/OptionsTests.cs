using Microsoft.Extensions.Logging;

namespace CssmSim.Testing.Tests;

/// <summary>Options: validation, stores, logging.</summary>
public sealed class OptionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cssmsim-testing-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Invalid_options_are_refused_before_anything_starts_and_each_problem_is_named()
    {
        var refused = await Should.ThrowAsync<ArgumentException>(() => CssmSimulator.StartAsync(o =>
        {
            o.Seed = null!;
            o.TokenBottleneck = new TokenBottleneck(ConcurrentAbove: 0);
            o.JournalCapacity = 0;
            o.ControlApiKey = " ";
        }));

        refused.Message.ShouldContain("Seed is required");
        refused.Message.ShouldContain("TokenBottleneck.ConcurrentAbove must be from 1 to 100000, not 0");
        refused.Message.ShouldContain("JournalCapacity must be from 1 to 10000000, not 0");
        refused.Message.ShouldContain("ControlApiKey must not be blank");
    }

    [Fact]
    public async Task A_sqlite_store_keeps_state_for_the_next_simulator_on_the_same_file()
    {
        var file = Path.Combine(_dir, "kept.db");
        string tokenId;
        await using (var first = await CssmSimulator.StartAsync(o => o.Store = StoreKind.Sqlite(file)))
        {
            tokenId = (await first.Tokens.CreateAsync(description: "kept")).Id;
        }

        await using var second = await CssmSimulator.StartAsync(o => o.Store = StoreKind.Sqlite(file));

        (await second.Tokens.FindAsync(tokenId)).ShouldNotBeNull().Description.ShouldBe("kept");
    }

    [Fact]
    public async Task Log_lines_go_to_the_given_writer()
    {
        var lines = new List<string>();

        await using (var cssm = await CssmSimulator.StartAsync(o => o.LogTo(line => { lock (lines) lines.Add(line); }, LogLevel.Debug)))
        {
            using var http = cssm.CreateClient();
            (await http.GetAsync("/_sim/health")).EnsureSuccessStatusCode();
        }

        lock (lines) lines.ShouldContain(l => l.StartsWith("[cssmsim dbug] Host: Hosting started", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Log_lines_go_to_the_xunit_output_of_the_running_test()
    {
        var output = TestContext.Current.TestOutputHelper.ShouldNotBeNull();

        await using (await CssmSimulator.StartAsync(o => o.LogTo(output, LogLevel.Debug)))
        {
        }

        output.Output.ShouldContain("[cssmsim dbug] Host: Hosting started");
    }

    [Fact]
    public async Task The_fixture_logs_a_line_per_request_and_each_fault_applied_to_the_test_output()
    {
        var output = TestContext.Current.TestOutputHelper.ShouldNotBeNull();

        await using (var cssm = await CssmSimulator.StartAsync(o => o.LogTo(output)))
        {
            using var http = cssm.CreateClient();
            using var rule = await http.PostAsync("/_sim/faults", new StringContent(
                """{"name": "oauth down", "match": {"surface": "oauth"}, "effect": {"status": 503}}""", System.Text.Encoding.UTF8, "application/json"),
                TestContext.Current.CancellationToken);
            rule.EnsureSuccessStatusCode();
            using var token = await http.PostAsync("/as/token.oauth2?grant_type=client_credentials&client_id=cssmsim&client_secret=cssmsim", null,
                TestContext.Current.CancellationToken);
            token.StatusCode.ShouldBe(System.Net.HttpStatusCode.ServiceUnavailable);
        } // stopping waits for the requests in flight, so their lines are written

        output.Output.ShouldContain("[cssmsim info] RequestLogging: POST /_sim/faults 201");
        output.Output.ShouldMatch(@"\[cssmsim info\] RequestLogging: POST /as/token.oauth2 503 \d+\.\d ms operation=token udi=-");
        output.Output.ShouldMatch(@"\[cssmsim info\] RequestLogging: fault rule rule-\d+ \(oauth down\) applied to POST /as/token.oauth2 operation=token");
    }

    [Fact]
    public void A_test_output_that_refuses_writes_drops_the_line_instead_of_failing()
    {
        var finished = new RecordingOutput { Refuse = true };
        var provider = new TestOutputLoggerProvider(finished);
        var logger = provider.CreateLogger("CssmSim.Server.Pipeline.ErrorHandling");

        Should.NotThrow(() => logger.LogWarning("dropped"));
        var current = new RecordingOutput();
        provider.Attach(current);
        logger.LogWarning("kept {Count}", 1);

        current.Lines.ShouldBe(["[cssmsim warn] ErrorHandling: kept 1"]);
    }

    [Fact]
    public async Task A_control_key_is_required_over_http_and_sent_by_the_simulators_own_clients()
    {
        await using var cssm = await CssmSimulator.StartAsync(o => o.ControlApiKey = "s3cret");
        using var own = cssm.CreateClient();
        using var stranger = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = cssm.BaseAddress };

        using var allowed = await own.GetAsync("/_sim/faults");
        using var refused = await stranger.GetAsync("/_sim/faults");

        allowed.IsSuccessStatusCode.ShouldBeTrue();
        ((int)refused.StatusCode).ShouldBe(401);
    }

    private sealed class RecordingOutput : ITestOutputHelper
    {
        public bool Refuse { get; init; }
        public List<string> Lines { get; } = [];
        public string Output => string.Join("\n", Lines);
        public void Write(string message) => WriteLine(message);
        public void Write(string format, params object[] args) => WriteLine(format, args);
        public void WriteLine(string message)
        {
            if (Refuse) throw new InvalidOperationException("There is no currently active test.");
            Lines.Add(message);
        }
        public void WriteLine(string format, params object[] args) => WriteLine(string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
    }
}
