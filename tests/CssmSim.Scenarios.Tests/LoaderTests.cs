using CssmSim.Scenarios.Loading;
using CssmSim.Scenarios.Model;

namespace CssmSim.Scenarios.Tests;

public sealed class LoaderTests
{
    private static ScenarioFileException Invalid(string yaml, string file = "bad.yaml") => Should.Throw<ScenarioFileException>(() => ScenarioLoader.Load(yaml, file));

    [Fact]
    public void A_typo_in_a_step_name_names_the_file_the_line_and_the_valid_steps()
    {
        const string yaml = """
            name: typo
            steps:
              - createToken: { as: t1, virtualAccount: DEFAULT }
              - trsut: { devices: wlcs, token: t1 }
            """;

        var e = Invalid(yaml, "scenarios/typo.yaml");

        var error = e.Errors.ShouldHaveSingleItem();
        error.File.ShouldBe("scenarios/typo.yaml");
        error.Line.ShouldBe(4);
        error.Message.ShouldContain("unknown step 'trsut'");
        error.Message.ShouldContain("did you mean 'trust'?");
        foreach (var step in Catalog.Steps) error.Message.ShouldContain(step.Name);
        error.ToString().ShouldStartWith("scenarios/typo.yaml:4:5: ");
    }

    [Fact]
    public void An_unknown_key_in_a_step_names_its_line_and_the_valid_keys()
    {
        var e = Invalid("""
            name: key
            steps:
              - createToken:
                  as: t1
                  maxUse: 5
            """);

        var error = e.Errors.ShouldHaveSingleItem();
        error.Line.ShouldBe(5);
        error.Message.ShouldContain("unknown key 'maxUse' in 'createToken' (did you mean 'maxUses'?)");
        error.Message.ShouldContain("valid keys: as, smartAccount, virtualAccount, description, expiresAfterDays, maxUses, exportControlled");
    }

    [Theory]
    [InlineData("PT1.5555S")]   // more than millisecond precision
    [InlineData("P36501D")]     // beyond what the simulator's clock takes
    [InlineData("-P1D")]        // backwards
    public void A_duration_the_simulator_would_refuse_is_refused_when_the_file_is_loaded(string duration)
    {
        var e = Invalid($$"""
            name: durations
            steps:
              - clock: { advance: {{duration}} }
            """);

        e.Errors.Single().Message.ShouldContain("ISO-8601 duration");
    }

    [Fact]
    public void Wrong_types_are_reported_each_at_its_own_line()
    {
        var e = Invalid("""
            name: types
            steps:
              - fleet: { as: f, count: many }
              - createToken: { as: t, maxUses: 0 }
              - trust: { devices: f, token: t, force: maybe }
              - clock: { advance: 30 days }
            expect:
              - trusted: { devices: f, atLeast: -1 }
            """);

        e.Errors.Select(x => x.Line).ShouldBe([3, 4, 5, 6, 8]);
        e.Errors[0].Message.ShouldContain("'count' in 'fleet' must be a whole number, not text");
        e.Errors[1].Message.ShouldContain("must be at least 1, not 0");
        e.Errors[2].Message.ShouldContain("'force' in 'trust' must be true or false");
        e.Errors[3].Message.ShouldContain("ISO-8601 duration");
        e.Errors[4].Message.ShouldContain("must be at least 0, not -1");
    }

    [Fact]
    public void A_missing_key_and_a_name_used_before_its_definition_are_errors()
    {
        var e = Invalid("""
            name: refs
            steps:
              - trust: { devices: wlcs, token: t1 }
              - device: { as: wlc, serial: X1 }
            """);

        e.Errors.Count.ShouldBe(3);
        e.Errors.ShouldContain(x => x.Line == 3 && x.Message.Contains("'wlcs' is not a device, fleet or HA pair defined by an earlier step"));
        e.Errors.ShouldContain(x => x.Line == 3 && x.Message.Contains("'t1' is not a token defined by an earlier step; declare it first with createToken"));
        e.Errors.ShouldContain(x => x.Line == 4 && x.Message.Contains("'device' needs 'pid'"));
    }

    [Fact]
    public void Unknown_top_level_keys_and_an_unknown_expectation_are_errors()
    {
        var e = Invalid("""
            name: top
            setps: []
            steps:
              - device: { as: d, pid: P, serial: S }
            expect:
              - trusteed: { devices: d }
            """);

        e.Errors.ShouldContain(x => x.Line == 2 && x.Message.Contains("unknown key 'setps' (did you mean 'steps'?)"));
        e.Errors.ShouldContain(x => x.Line == 6 && x.Message.Contains("unknown expectation 'trusteed'") && x.Message.Contains("tokenUses"));
    }

    [Fact]
    public void Broken_yaml_is_reported_with_its_line()
    {
        var e = Invalid("name: broken\nsteps:\n  - device: { as: d, pid: P }\n   bad: indent\n");

        e.Errors.ShouldHaveSingleItem().Message.ShouldStartWith("not valid YAML or JSON");
        e.Errors[0].Line.ShouldBe(4);
    }

    [Fact]
    public void Json_is_accepted_and_its_errors_carry_lines_too()
    {
        var ok = ScenarioLoader.Load("""
            {
              "name": "json",
              "steps": [
                { "createToken": { "as": "t", "maxUses": 2 } },
                { "device": { "as": "d", "pid": "C9800-CL-K9", "serial": "J1" } },
                { "trust": { "devices": "d", "token": "t" } }
              ],
              "expect": [ { "tokenUses": { "token": "t", "atMost": 2 } } ]
            }
            """, "ok.json");
        var bad = Invalid("""
            {
              "name": "json",
              "steps": [
                { "device": { "as": "d", "pid": "C9800-CL-K9", "serial": "J1", "colour": "red" } }
              ]
            }
            """, "bad.json");

        ok.Steps.Select(s => s.Name).ShouldBe(["createToken", "device", "trust"]);
        ok.Expectations.ShouldHaveSingleItem().Name.ShouldBe("tokenUses");
        bad.Errors.ShouldHaveSingleItem().Line.ShouldBe(4);
        bad.Errors[0].Message.ShouldContain("unknown key 'colour'");
    }

    [Fact]
    public void Json_indented_with_tabs_loads()
    {
        var doc = ScenarioLoader.Load("{\n\t\"name\": \"tabs\",\n\t\"steps\": [\n\t\t{ \"device\": { \"as\": \"d\", \"pid\": \"P\", \"serial\": \"S\" } }\n\t]\n}\n", "tabs.json");

        doc.Name.ShouldBe("tabs");
        doc.Steps.ShouldHaveSingleItem().Line.ShouldBe(4);
    }

    [Fact]
    public void Every_problem_in_a_file_is_reported_at_once()
    {
        var e = Invalid("""
            steps:
              - device: { as: d, pid: P, serial: S }
              - device: { as: d, pid: P, serial: T }
              - poll: { devices: d, maxPolls: 0 }
            """);

        e.Errors.Count.ShouldBe(3);
        e.Errors.ShouldContain(x => x.Message.Contains("'name' is required"));
        e.Errors.ShouldContain(x => x.Line == 3 && x.Message.Contains("already defined"));
        e.Errors.ShouldContain(x => x.Line == 4 && x.Message.Contains("'maxPolls'"));
    }

    [Fact]
    public void A_missing_file_is_an_error_naming_it()
    {
        var e = Should.Throw<ScenarioFileException>(() => ScenarioLoader.LoadFile("/no/such/scenario.yaml"));

        e.Errors.ShouldHaveSingleItem().File.ShouldBe("/no/such/scenario.yaml");
        e.Errors[0].Message.ShouldContain("cannot read the file");
    }
}
