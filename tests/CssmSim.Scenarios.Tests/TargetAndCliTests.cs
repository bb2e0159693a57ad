using System.CommandLine;
using System.Xml.Linq;
using CssmSim.Cli;
using CssmSim.Scenarios.Loading;

namespace CssmSim.Scenarios.Tests;

public sealed class TargetAndCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cssmsim-scen-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static async Task<(int Code, string Output, string Error)> CliAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApp.Create().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, Run.Ct);
        return (code, output.ToString(), error.ToString());
    }

    private string Write(string name, string yaml)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    [Theory]
    [InlineData("token-max-uses-bottleneck.yaml")]
    [InlineData("udi-already-registered.yaml")]
    public async Task A_separately_started_simulator_gives_the_same_verdict_as_in_process(string file)
    {
        await using var serve = await ServeProcess.StartAsync();
        var path = Path.Combine(Repo.Scenarios, file);
        var doc = ScenarioLoader.LoadFile(path);

        var remote = await Run.AgainstAsync(serve.Address, doc);
        await using var sim = await Testing.CssmSimulator.StartAsync(ct: Run.Ct);
        var local = await Run.AgainstAsync(sim.BaseAddress, doc);
        var (inProcessCode, inProcessOutput, _) = await CliAsync("scenario", "run", path);
        var (targetCode, targetOutput, _) = await CliAsync("scenario", "run", path, "--target", serve.Address.ToString());

        remote.Passed.ShouldBeTrue(Run.Describe(remote));
        remote.Expectations.Select(e => (e.Line, e.Passed)).ShouldBe(local.Expectations.Select(e => (e.Line, e.Passed)));
        targetCode.ShouldBe(inProcessCode);
        targetCode.ShouldBe(0, targetOutput);
        targetOutput.ShouldContain($"target: {serve.Address}");
        inProcessOutput.ShouldContain("target: a simulator in this process");
    }

    [Fact]
    public async Task The_bottleneck_report_shows_successful_trusts_and_licengine_failures()
    {
        var (code, output, _) = await CliAsync("scenario", "run", Path.Combine(Repo.Scenarios, "token-max-uses-bottleneck.yaml"));

        code.ShouldBe(0, output);
        output.ShouldMatch(@"trusted \d+ of 50");
        output.ShouldMatch(@"failed LS_LICENGINE_FAIL_TO_CONNECT \d+");
        // What each kind of agent was answered (issue 18): OK_TRY_AGAIN to current agents, FAILED to older ones; never over-use.
        output.ShouldMatch(@"failed LS_LICENGINE_FAIL_TO_CONNECT \d+ \(OK_TRY_AGAIN \d+\)");
        output.ShouldMatch(@"failed LS_LICENGINE_FAIL_TO_CONNECT \d+ \(FAILED \d+\)");
        output.ShouldContain("PASSED token max-uses bottleneck: 5 of 5 expectations met");
    }

    [Fact]
    public async Task A_passing_and_a_failing_scenario_exit_1_and_write_junit()
    {
        var pass = Write("pass.yaml", """
            name: passes
            steps:
              - createToken: { as: t }
              - device: { as: d, pid: C9800-CL-K9, serial: JU1 }
              - trust: { devices: d, token: t }
            expect:
              - trusted: { devices: d }
            """);
        var fail = Write("fail.yaml", """
            name: fails
            steps:
              - createToken: { as: t, expiresAfterDays: 1 }
              - device: { as: d, pid: C9800-CL-K9, serial: JU2 }
              - clock: { advance: P2D }
              - trust: { devices: d, token: t }
            expect:
              - trusted: { devices: d }
              - failed: { devices: d, error: TOKEN_EXPIRED }
            """);
        var junit = Path.Combine(_dir, "out", "results.xml");

        var (code, output, _) = await CliAsync("scenario", "run", pass, fail, "--junit", junit);
        var (passCode, _, _) = await CliAsync("scenario", "run", pass);

        code.ShouldBe(1, output);
        passCode.ShouldBe(0);
        output.ShouldContain("FAIL");
        output.ShouldContain("trusted 0 of 1");
        output.ShouldContain("scenarios: 1 passed, 1 failed");
        var xml = XDocument.Load(junit);
        var suites = xml.Root!.Elements("testsuite").ToList();
        suites.Select(s => s.Attribute("name")!.Value).ShouldBe(["passes", "fails"]);
        xml.Root.Attribute("tests")!.Value.ShouldBe("3");
        xml.Root.Attribute("failures")!.Value.ShouldBe("1");
        var failure = suites[1].Elements("testcase").Single(t => t.Element("failure") is not null);
        failure.Attribute("line")!.Value.ShouldBe("8");
        failure.Element("failure")!.Attribute("message")!.Value.ShouldBe("trusted 0 of 1");
    }

    [Fact]
    public async Task A_typo_in_a_step_name_exits_2_naming_the_file_the_line_and_the_valid_steps()
    {
        var file = Write("typo.yaml", "name: typo\nsteps:\n  - createToken: { as: t }\n  - trustt: { devices: d, token: t }\n");

        var (code, output, error) = await CliAsync("scenario", "run", file);

        code.ShouldBe(2);
        output.ShouldBeEmpty();
        error.ShouldContain($"{file}:4:5: unknown step 'trustt' (did you mean 'trust'?); valid steps: seed, policy, createToken, revokeToken, device, fleet, haPair, trust,");
    }

    [Fact]
    public async Task Usage_errors_exit_2()
    {
        var file = Write("ok.yaml", "name: ok\nsteps:\n  - device: { as: d, pid: P, serial: S }\n");

        (await CliAsync("scenario", "run", Path.Combine(_dir, "missing.yaml"))).Code.ShouldBe(2);
        var (code, _, error) = await CliAsync("scenario", "run", file, "--target", "not a url");
        code.ShouldBe(2);
        error.ShouldContain("--target must be an http:// or https:// URL");
    }

    [Fact]
    public async Task An_unreachable_target_exits_2_with_a_clear_message()
    {
        var file = Write("ok.yaml", "name: ok\nsteps:\n  - device: { as: d, pid: P, serial: S }\n");
        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // nothing listens there now

        var (code, output, error) = await CliAsync("scenario", "run", file, "--target", $"http://127.0.0.1:{port}");

        code.ShouldBe(2);
        error.ShouldContain($"cssmsim: cannot reach --target http://127.0.0.1:{port}/");
        output.ShouldNotContain("expectations met");
    }

    [Fact]
    public async Task Validate_refuses_an_unknown_fault_operation_and_an_unknown_error_code_with_exit_2()
    {
        var file = Write("typos.yaml", """
            name: typos
            faults:
              - match: { surface: smart-transport, operation: TRUST_ESTABLISMENT }
                effect: { error: LS_LICENGINE_FAIL_TO_CONNECT }
            steps:
              - createToken: { as: t }
              - device: { as: d, pid: P, serial: S }
              - trust: { devices: d, token: t }
              - addFault: { match: { surface: slp, operation: reportusage }, effect: { error: MY_CUSTOM_CODE } }
            expect:
              - failed: { devices: d, error: LS_LICENGINE_FAIL_TO_CONECT }
              - failed: { devices: d, error: MY_CUSTOM_CODE, exactly: 0 }
              - failed: { devices: d, error: HTTP_503, exactly: 0 }
            """);

        var (code, _, error) = await CliAsync("scenario", "validate", file);

        code.ShouldBe(2);
        error.ShouldContain($"{file}:3:51: fault rule match.operation: unknown operation 'TRUST_ESTABLISMENT' for surface smart-transport");
        error.ShouldContain($"{file}:11:34: unknown error code 'LS_LICENGINE_FAIL_TO_CONECT' in 'failed' (did you mean 'LS_LICENGINE_FAIL_TO_CONNECT'?)");
        error.ShouldNotContain("MY_CUSTOM_CODE' in");
        error.ShouldNotContain("HTTP_503' in");
    }

    [Fact]
    public async Task Validate_checks_a_folder_and_schema_prints_the_schema()
    {
        var (code, output, _) = await CliAsync("scenario", "validate", Repo.Scenarios);
        var (schemaCode, schema, _) = await CliAsync("scenario", "schema");

        code.ShouldBe(0);
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(Repo.ScenarioFiles().Count());
        schemaCode.ShouldBe(0);
        schema.ShouldBe(File.ReadAllText(Path.Combine(Repo.Scenarios, "scenario.schema.json")));
    }

    [Fact]
    public async Task Help_lists_the_scenario_options()
    {
        var (code, output, _) = await CliAsync("scenario", "run", "--help");

        code.ShouldBe(0);
        foreach (var option in new[] { "--target", "--key", "--random-seed", "--no-reset", "--junit" }) output.ShouldContain(option);
    }
}
