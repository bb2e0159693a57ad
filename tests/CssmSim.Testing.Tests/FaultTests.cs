using System.Text.Json.Nodes;
using CssmSim.Engine.Faults;

namespace CssmSim.Testing.Tests;

/// <summary>Fault rules built with the fluent builder, and the built-in bottleneck through PatchAsync.</summary>
public sealed class FaultTests
{
    [Fact]
    public async Task A_fault_on_the_second_trust_request_fails_only_that_request_with_licengine()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        var token = await cssm.Tokens.CreateAsync(maxUses: 5);
        cssm.Faults.Add(Fault.On(Operation.TrustEstablishment).Nth(2).Error(CssmError.LicEngineFailToConnect));

        var first = await cssm.NewProductInstance("C9800-CL-K9", "NTH1").EstablishTrustAsync(token.Value);
        var second = await cssm.NewProductInstance("C9800-CL-K9", "NTH2").EstablishTrustAsync(token.Value);
        var third = await cssm.NewProductInstance("C9800-CL-K9", "NTH3").EstablishTrustAsync(token.Value);

        first.ShouldBeTrusted();
        second.ShouldFailWith(CssmError.LicEngineFailToConnect);
        second.ErrorMessage.ShouldBe("Server error occurred: LS_LICENGINE_FAIL_TO_CONNECT");
        third.ShouldBeTrusted();
        await token.ShouldHaveUsesAsync(2);
        var faulted = cssm.Journal.ShouldContain(new JournalQuery(Operation.TrustEstablishment, Outcome: "FAILED"), 1).Single();
        faulted.FaultId.ShouldNotBeNull();
        faulted.ErrorCode.ShouldBe("LS_LICENGINE_FAIL_TO_CONNECT");
    }

    [Fact]
    public async Task A_fault_for_one_udi_leaves_other_devices_alone_and_stops_after_its_times()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        var token = await cssm.Tokens.CreateAsync();
        var target = cssm.NewProductInstance("C9800-CL-K9", "TARGET");
        var added = await cssm.Faults.AddAsync(Fault.On(Operation.TrustEstablishment).ForDevice(target).Times(1).Status(503).Named("one 503 for TARGET"));

        var other = await cssm.NewProductInstance("C9800-CL-K9", "BYSTANDER").EstablishTrustAsync(token.Value);
        var hit = await target.EstablishTrustAsync(token.Value);
        var retry = await target.EstablishTrustAsync(token.Value);

        other.ShouldBeTrusted();
        hit.Trusted.ShouldBeFalse();
        retry.ShouldBeTrusted();
        var rule = cssm.Faults.Find(added.Id).ShouldNotBeNull();
        rule.Applied.ShouldBe(1);
        rule.Exhausted.ShouldBeTrue();
        rule.Name.ShouldBe("one 503 for TARGET");
    }

    [Fact]
    public async Task The_builder_writes_the_control_api_json()
    {
        var fault = Fault.On(Operation.UsageReporting).ForUdi("C9300-24T", "FOC1").ForToken("abc").Probability(0.25, seed: 7).Latency(50, 10)
            .Drop(DropKind.Truncate).AfterProcessing().WithId("flaky-usage").Order(3);

        var json = fault.ToJson();

        json.ToJsonString().ShouldBe(JsonNode.Parse("""
            {"match":{"surface":"smart-transport","operation":"USAGE_REPORTING","udi":"PID:C9300-24T,SN:FOC1","token":"abc"},
             "when":{"probability":0.25,"seed":7},
             "effect":{"latencyMs":50,"jitterMs":10,"drop":"truncate","phase":"after"},
             "id":"flaky-usage","order":3}
            """)!.ToJsonString());
    }

    [Fact]
    public async Task An_invalid_rule_is_refused_with_the_field_at_fault()
    {
        await using var cssm = await CssmSimulator.StartAsync();

        var refused = await Should.ThrowAsync<ArgumentException>(() => cssm.Faults.AddAsync(Fault.On(Operation.Hello).Error("X").Status(500)));

        refused.Message.ShouldContain("give one of error, status, drop");
        cssm.Faults.List().ShouldAllBe(r => r.Builtin);
    }

    [Fact]
    public async Task ClearAsync_removes_user_rules_and_keeps_the_builtin_bottleneck()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        await cssm.Faults.AddAsync(Fault.OnSurface(Surfaces.Slp).Latency(10));
        await cssm.Faults.AddAsync(Fault.On(Operation.OAuthToken).Every(2).Status(429, retryAfterSeconds: 3));

        await cssm.Faults.ClearAsync();

        cssm.Faults.List().ShouldHaveSingleItem().Id.ShouldBe(SimulatorFaults.TokenBottleneckId);
        await Should.ThrowAsync<InvalidOperationException>(() => cssm.Faults.DeleteAsync(SimulatorFaults.TokenBottleneckId));
    }

    [Fact]
    public async Task Patching_the_builtin_bottleneck_changes_its_limit_until_reset()
    {
        await using var cssm = await CssmSimulator.StartAsync();

        var patched = await cssm.Faults.PatchAsync(SimulatorFaults.TokenBottleneckId, """{"when":{"concurrentAbove":8}}""");
        await cssm.ResetAsync();

        patched.Json["when"]!["concurrentAbove"]!.GetValue<long>().ShouldBe(8);
        cssm.Faults.Find(SimulatorFaults.TokenBottleneckId)!.Json["when"]!["concurrentAbove"]!.GetValue<long>().ShouldBe(4);
    }

    [Fact]
    public void Every_operation_of_the_simulators_catalog_has_a_named_constant()
    {
        var catalog = FaultCatalog.Operations.SelectMany(kv => kv.Value.Select(op => (Surface: kv.Key, Name: op))).ToList();

        Operation.All.Select(o => (o.Surface, o.Name)).ShouldBe(catalog, ignoreOrder: true);
        Operation.Of("smart-transport", "TRUST_ESTABLISHMENT").ShouldBeSameAs(Operation.TrustEstablishment);
        Should.Throw<ArgumentException>(() => Operation.Of("smart-transport", "TRUST")).Message.ShouldContain("TRUST_ESTABLISHMENT");
    }
}
