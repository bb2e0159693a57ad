using System.Text.Json.Nodes;
using CssmSim.Scenarios.Loading;
using CssmSim.Scenarios.Running;
using CssmSim.Testing;

namespace CssmSim.Scenarios.Tests;

public sealed class RunnerTests
{
    [Fact]
    public async Task A_failed_expectation_fails_the_run_and_shows_the_actual_value()
    {
        var result = await Run.InProcessAsync("""
            name: wrong expectation
            steps:
              - createToken: { as: t, maxUses: 5 }
              - fleet: { as: f, count: 2 }
              - trust: { devices: f, token: t, concurrency: 1 }
            expect:
              - trusted: { devices: f }
              - tokenUses: { token: t, exactly: 3 }
            """);

        result.Passed.ShouldBeFalse();
        result.Error.ShouldBeNull();
        result.Expectations[0].Passed.ShouldBeTrue();
        result.Expectations[0].Actual.ShouldBe("trusted 2 of 2");
        result.Expectations[1].Passed.ShouldBeFalse();
        result.Expectations[1].Actual.ShouldBe("used 2 of 5");
        result.Expectations[1].Line.ShouldBe(8);
    }

    [Fact]
    public async Task A_trust_answered_through_a_poll_installs_the_trust_code()
    {
        var result = await Run.InProcessAsync("""
            name: trust completes on the second poll
            steps:
              - pollTransition: { action: trust, progression: polls, times: 1 }
              - createToken: { as: t }
              - device: { as: d, pid: C9800-CL-K9, serial: POLLTRUST1 }
              - trust: { devices: d, token: t }
              - expect:
                  - trusted: { devices: d, exactly: 0 }
              - poll: { devices: d }
            expect:
              - trusted: { devices: d }
            """);

        result.Error.ShouldBeNull();
        result.Expectations.Select(e => e.Actual).ShouldBe(["trusted 0 of 1", "trusted 1 of 1"]);
        result.Passed.ShouldBeTrue();
    }

    [Fact]
    public async Task A_step_the_simulator_refuses_stops_the_run_with_its_line_and_reason()
    {
        var result = await Run.InProcessAsync("""
            name: unknown virtual account
            steps:
              - device: { as: d, pid: C9800-CL-K9, serial: X1 }
              - createToken: { as: t, virtualAccount: Nowhere }
              - trust: { devices: d, token: t }
            expect:
              - trusted: { devices: d }
            """);

        result.Passed.ShouldBeFalse();
        result.ErrorLine.ShouldBe(4);
        result.Error!.ShouldContain("step 'createToken' (line 4) failed");
        result.Error!.ShouldContain("404");
        result.Error!.ShouldContain("Nowhere");
        result.Steps.Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_checkpoint_evaluates_expectations_where_it_stands()
    {
        var result = await Run.InProcessAsync("""
            name: checkpoint
            steps:
              - createToken: { as: t }
              - device: { as: d, pid: C9800-CL-K9, serial: CP1 }
              - expect:
                  - trusted: { devices: d, exactly: 0 }
              - trust: { devices: d, token: t }
            expect:
              - trusted: { devices: d }
            """);

        result.Passed.ShouldBeTrue(Run.Describe(result));
        result.Expectations.Select(e => e.Line).ShouldBe([6, 9]);
        result.Steps.Single(s => s.Description == "expect").Summary.ShouldBe("1 of 1 expectations met");
    }

    [Fact]
    public async Task Every_run_starts_from_a_reset_simulator()
    {
        await using var sim = await CssmSimulator.StartAsync(ct: Run.Ct);
        var doc = ScenarioLoader.Load("""
            name: twice
            steps:
              - createToken: { as: t, maxUses: 1 }
              - device: { as: d, pid: C9800-CL-K9, serial: TWICE1 }
              - trust: { devices: d, token: t }
            expect:
              - trusted: { devices: d }
              - inventory: { includes: d, exactly: 1 }
            """, "twice.yaml");

        var first = await Run.AgainstAsync(sim.BaseAddress, doc);
        var second = await Run.AgainstAsync(sim.BaseAddress, doc);

        first.Passed.ShouldBeTrue(Run.Describe(first));
        second.Passed.ShouldBeTrue("without the reset the UDI would already be registered: " + Run.Describe(second));
    }

    [Fact]
    public async Task No_reset_keeps_the_state_suffixes_serials_and_puts_back_what_it_changed()
    {
        await using var sim = await CssmSimulator.StartAsync(ct: Run.Ct);
        var before = await sim.Tokens.CreateAsync("DEFAULT", ct: Run.Ct);
        var doc = ScenarioLoader.Load("""
            name: shared simulator
            steps:
              - createToken: { as: t }
              - device: { as: d, pid: C9800-CL-K9, serial: NR1 }
              - addFault: { id: slow, match: { surface: oauth }, effect: { latencyMs: 1 } }
              - patchFault: { id: token-max-uses-bottleneck, patch: { enabled: false } }
              - pollTransition: { action: trust, progression: polls, times: 1 }
              - pollTransition: { action: trust, progression: immediate }
              - clock: { advance: P10D }
              - trust: { devices: d, token: t }
              - expect:
                  - journal: { operation: TRUST_ESTABLISHMENT, exactly: 1 }
            expect:
              - trusted: { devices: d }
              - inventory: { includes: d }
              - events: { type: TRUST_ISSUED, exactly: 1 }
            """, "shared.yaml");

        var first = await Run.AgainstAsync(sim.BaseAddress, doc, t => new RunOptions { Target = t, NoReset = true, RunId = "RUN1" });
        var second = await Run.AgainstAsync(sim.BaseAddress, doc, t => new RunOptions { Target = t, NoReset = true, RunId = "RUN2" });

        first.Passed.ShouldBeTrue(Run.Describe(first));
        second.Passed.ShouldBeTrue("journal and events are counted from the run's start: " + Run.Describe(second));
        var serials = (await sim.ProductInstances.ListAsync(ct: Run.Ct)).Select(p => p.Serial).ToList();
        serials.ShouldBe(["NR1-RUN1", "NR1-RUN2"], ignoreOrder: true);
        (await sim.Tokens.ListAsync("DEFAULT", ct: Run.Ct)).Select(t => t.Id).ShouldContain(before.Id, "no reset happened");
        sim.Faults.List().Select(r => r.Id).ShouldBe(["token-max-uses-bottleneck"], "the run's own rule is removed when it ends");
        sim.Faults.List()[0].Enabled.ShouldBeTrue("the patched built-in rule is put back");
        var clock = System.Text.Json.Nodes.JsonNode.Parse(await sim.CreateClient().GetStringAsync("/_sim/clock", Run.Ct))!;
        clock["mode"]!.GetValue<string>().ShouldBe("system");
    }

    [Fact]
    public async Task The_random_seed_option_makes_token_ids_repeat()
    {
        const string yaml = """
            name: seeded
            steps:
              - createToken: { as: t }
            expect:
              - tokenStatus: { token: t, status: VALID }
            """;
        var doc = ScenarioLoader.Load(yaml, "seeded.yaml");

        var a = await Run.InProcessAsync(yaml, t => new RunOptions { Target = t, RandomSeed = 99 });
        var b = await Run.InProcessAsync(yaml, t => new RunOptions { Target = t, RandomSeed = 99 });
        var c = await Run.InProcessAsync(yaml, t => new RunOptions { Target = t, RandomSeed = 100 });

        a.Steps[0].Summary.ShouldBe(b.Steps[0].Summary);
        a.Steps[0].Summary.ShouldNotBe(c.Steps[0].Summary);
        doc.Seed.ShouldBeNull();
    }

    [Fact]
    public async Task A_transport_failure_is_a_device_error_not_a_crash()
    {
        var result = await Run.InProcessAsync("""
            name: 503 on trust
            steps:
              - createToken: { as: t }
              - device: { as: d, pid: C9800-CL-K9, serial: T503 }
              - addFault: { match: { surface: smart-transport }, effect: { status: 503 } }
              - trust: { devices: d, token: t }
            expect:
              - failed: { devices: d, error: SERVICE_UNAVAILABLE }
            """);

        result.Passed.ShouldBeTrue(Run.Describe(result));
        result.Steps.Last().Summary.ShouldBe("trusted 0 of 1; failed SERVICE_UNAVAILABLE 1");
    }

    [Fact]
    public async Task An_unreachable_target_is_reported_not_thrown()
    {
        var doc = ScenarioLoader.Load("name: nowhere\nsteps:\n  - device: { as: d, pid: P, serial: S }\n", "nowhere.yaml");

        var result = await Run.AgainstAsync(new Uri("http://127.0.0.1:9/"), doc);

        result.Passed.ShouldBeFalse();
        result.Error!.ShouldContain("cannot reach the simulator at http://127.0.0.1:9/");
    }

    [Fact]
    public async Task A_control_key_is_sent_when_the_target_requires_one()
    {
        await using var sim = await CssmSimulator.StartAsync(o => o.ControlApiKey = "qa-key", Run.Ct);
        var doc = ScenarioLoader.Load("""
            name: keyed
            steps:
              - createToken: { as: t }
            expect:
              - tokenStatus: { token: t, status: VALID }
            """, "keyed.yaml");

        var without = await Run.AgainstAsync(sim.BaseAddress, doc);
        var with = await Run.AgainstAsync(sim.BaseAddress, doc, t => new RunOptions { Target = t, ControlKey = "qa-key" });

        without.Error.ShouldNotBeNull().ShouldContain("401");
        with.Passed.ShouldBeTrue(Run.Describe(with));
    }

    [Fact]
    public async Task Short_license_names_resolve_in_steps_and_seeds()
    {
        var result = await Run.InProcessAsync("""
            name: aliases
            seed:
              accounts: [ { domain: example.com, virtualAccounts: [ { name: Lab, licenses: [ { tag: DNA_NWStack, quantity: 7 } ] } ] } ]
            steps:
              - device: { as: d, pid: C9800-CL-K9, serial: AL1 }
            expect:
              - licenses: { virtualAccount: Lab, tag: DNA_NWStack, purchased: 7 }
              - licenses: { virtualAccount: Lab, tag: "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896", available: 7 }
            """);

        result.Passed.ShouldBeTrue(Run.Describe(result));
    }

    [Fact]
    public async Task The_less_common_steps_run_against_the_simulator()
    {
        var result = await Run.InProcessAsync("""
            name: every other step
            seed:
              accounts: [ { domain: acme.test, virtualAccounts: [ { name: DEFAULT, licenses: [ { tag: DNA_NWStack, quantity: 3 } ] }, Lab ] } ]
            smartAccount: acme.test
            steps:
              - policy: { policy: { policy_name: Acme, unenforced_perpetual: { reporting_frequency_days: 30 } } }
              - policy: { virtualAccount: Lab, policy: { policy_name: Lab only } }
              - policy: { virtualAccount: Lab, clear: true }
              - seed: { accounts: [ { domain: acme.test, virtualAccounts: [ Spare ] } ] }
              - createToken: { as: t, virtualAccount: Lab, description: lab token, exportControlled: false }
              - createToken: { as: gone }
              - revokeToken: { token: gone }
              - fleet: { as: pairs, count: 2, haPairs: true, serialPrefix: HAF }
              - trust: { devices: pairs, token: t, concurrency: 2 }
              - trustSync: { devices: pairs }
              - wait: { journal: { operation: TRUST_SYNC, count: 2 }, timeoutSeconds: 5 }
              - wait: { ms: 1 }
              - addFault: { id: later, match: { surface: oauth }, effect: { latencyMs: 1 }, enabled: false }
              - removeFault: { id: all }
            expect:
              - trusted: { devices: pairs, exactly: 4 }
              - succeeded: { devices: pairs }
              - tokenStatus: { token: gone, status: REVOKED }
              - tokenUses: { token: t, exactly: 2 }
              - inventory: { virtualAccount: Lab, includes: pairs, exactly: 4 }
              - inventory: { virtualAccount: DEFAULT, excludes: pairs, exactly: 0 }
              - events: { type: TOKEN_REVOKED, exactly: 1 }
              - journal: { surface: smart-transport, operation: TRUST_SYNC, outcome: COMPLETE, exactly: 2 }
            """);

        result.Passed.ShouldBeTrue(Run.Describe(result));
        result.Steps.Single(s => s.Description.StartsWith("fleet", StringComparison.Ordinal)).Summary.ShouldBe("2 HA pairs, HAF-0001A … HAF-0002S");
    }

    [Fact]
    public async Task A_faults_entry_naming_the_built_in_bottleneck_patches_it()
    {
        var result = await Run.InProcessAsync("""
            name: bottleneck off
            faults:
              - { id: token-max-uses-bottleneck, enabled: false }
            steps:
              - createToken: { as: t, maxUses: 20 }
              - fleet: { as: f, count: 20 }
              - trust: { devices: f, token: t, concurrency: 20 }
            expect:
              - trusted: { devices: f }
              - tokenUses: { token: t, exactly: 20 }
            """);

        result.Passed.ShouldBeTrue(Run.Describe(result));
    }
}
