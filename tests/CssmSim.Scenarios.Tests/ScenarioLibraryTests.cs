using System.Text.Json.Nodes;
using CssmSim.Scenarios.Loading;
using CssmSim.Scenarios.Model;
using CssmSim.Scenarios.Schema;
using CssmSim.Testing;

namespace CssmSim.Scenarios.Tests;

/// <summary>Every file in scenarios/ passes in-process; the schema and the catalog agree.</summary>
public sealed class ScenarioLibraryTests
{
    public static TheoryData<string> Files => [.. Repo.ScenarioFiles()];

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Every_shipped_scenario_passes_in_process(string file)
    {
        var doc = ScenarioLoader.LoadFile(Path.Combine(Repo.Scenarios, file));

        await using var sim = await CssmSimulator.StartAsync(ct: Run.Ct);
        var result = await Run.AgainstAsync(sim.BaseAddress, doc);

        result.Passed.ShouldBeTrue(Run.Describe(result));
        result.Expectations.ShouldNotBeEmpty();
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_shipped_scenario_names_its_schema_and_says_what_it_shows(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(Repo.Scenarios, file));

        lines[0].ShouldBe("# yaml-language-server: $schema=./scenario.schema.json");
        var header = string.Join("\n", lines.TakeWhile(l => l.StartsWith('#')));
        header.ShouldContain("Shows:");
        header.ShouldMatch(@"reference/seed-|spec/");
    }

    [Fact]
    public void The_library_holds_every_scenario_control_md_lists()
    {
        var names = Repo.ScenarioFiles().ToList();

        names.ShouldBe([
            "ack-removed-dropped.yaml", "clock-past-ack-deadline.yaml", "cssm-unreachable-restored.yaml", "delayed-ack-poll-transitions.yaml",
            "ha-pair-trust-all.yaml", "offline-tar-upload-ack.yaml", "slac-hseck9-balance.yaml", "slr-reserve-return.yaml", "token-exhausted.yaml",
            "token-expired.yaml", "token-max-uses-bottleneck.yaml", "trust-code-in-ack.yaml", "trust-happy-path.yaml",
            "trust-licengine-fail-to-connect.yaml", "udi-already-registered.yaml", "usage-report-ack-with-policy.yaml",
            // Issue 15: SLR confirmation and update, PLR returned through authrequest, compliance, TERM expiry.
            "slr-update-reserved-licenses.yaml", "plr-reserve-return-authrequest.yaml", "compliance-insufficient-licenses.yaml", "term-license-expiry.yaml",
            // Issue 18: OK_TRY_AGAIN by agent capability; usage answered OK_POLL, ACK on the first poll or poll_interval later.
            "licengine-ok-try-again.yaml", "usage-ack-on-first-poll.yaml", "usage-ack-realistic-timing.yaml",
            // Issue 18 items 8 and 9: install failures, partial ACKs.
            "install-failures.yaml", "partial-ack-resend.yaml",
        ], ignoreOrder: true);
    }

    [Fact]
    public void The_bottleneck_scenario_is_the_control_md_example()
    {
        var specPath = Path.Combine(Repo.Root, "..", "shared", "spec", "control.md");
        Assert.SkipWhen(!File.Exists(specPath), "shared/spec is not beside the repository");
        var spec = File.ReadAllText(specPath);
        var file = File.ReadAllText(Path.Combine(Repo.Scenarios, "token-max-uses-bottleneck.yaml"));
        var example = spec[(spec.IndexOf("name: token max-uses bottleneck", StringComparison.Ordinal))..];
        example = example[..example.IndexOf("```", StringComparison.Ordinal)];

        // Every line of the example, in order; the file adds a burst from older agents (issue 18: what an agent
        // with and without OK_TRY_AGAIN is answered) between and after them.
        var lines = file.Split('\n').Select(l => l.TrimEnd()).ToList();
        var at = 0;
        foreach (var line in example.TrimEnd().Split('\n').Select(l => l.TrimEnd()))
        {
            var found = lines.FindIndex(at, l => l == line);
            found.ShouldBeGreaterThanOrEqualTo(0, $"the example's line '{line}' is missing, or out of order");
            at = found + 1;
        }
    }

    [Fact]
    public void The_committed_schema_is_the_one_the_catalog_generates()
    {
        var committed = File.ReadAllText(Path.Combine(Repo.Scenarios, "scenario.schema.json"));

        committed.ShouldBe(ScenarioSchema.Generate(), "regenerate it: dotnet run --project src/CssmSim.Cli -- scenario schema > scenarios/scenario.schema.json");
    }

    [Fact]
    public void The_schema_names_exactly_the_steps_and_expectations_the_runner_knows()
    {
        var schema = JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.Scenarios, "scenario.schema.json")))!;
        string[] Names(string def, string prefix) => schema["$defs"]![def]!["oneOf"]!.AsArray()
            .Select(r => r!["$ref"]!.GetValue<string>().Replace("#/$defs/" + prefix, "", StringComparison.Ordinal)).ToArray();

        schema["$schema"]!.GetValue<string>().ShouldBe("https://json-schema.org/draft/2020-12/schema");
        Names("step", ScenarioSchema.StepPrefix).ShouldBe(Catalog.Steps.Select(s => s.Name), ignoreOrder: true);
        Names("expectation", ScenarioSchema.ExpectationPrefix).ShouldBe(Catalog.Expectations.Select(s => s.Name), ignoreOrder: true);
        foreach (var step in Catalog.Steps.Where(s => !s.TakesDocument && !s.TakesExpectations))
        {
            var keys = schema["$defs"]![ScenarioSchema.StepPrefix + step.Name]!["properties"]![step.Name]!["properties"]!.AsObject().Select(kv => kv.Key);
            keys.ShouldBe(step.Args.Select(a => a.Name), ignoreOrder: true, customMessage: step.Name);
        }
    }
}
