using System.Text.Json.Nodes;
using CssmSim.Engine.Faults;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Storage.Sqlite;

namespace CssmSim.Engine.Tests.Faults;

public sealed class FaultEngineTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly ISimulatorStore _store = SqliteSimulatorStore.Open(StoreLocation.Memory);
    private readonly HandTime _wall = new();

    public async ValueTask InitializeAsync() => await _store.State.MigrateAsync(Ct);

    public ValueTask DisposeAsync() => _store.DisposeAsync();

    private async Task<FaultEngine> EngineAsync(BottleneckSettings? bottleneck = null)
    {
        var engine = new FaultEngine(_store, bottleneck ?? new BottleneckSettings(), () => 1, _wall);
        await engine.InitializeAsync(Ct);
        return engine;
    }

    private static FaultRequest Trust(string token, bool limited = true) =>
        new("smart-transport", "TRUST_ESTABLISHMENT", "/licservice/license", TokenId: token, TokenLimited: limited);

    [Fact]
    public async Task More_than_n_simultaneous_trust_requests_on_a_limited_token_always_produce_failures()
    {
        var engine = await EngineAsync();

        var evaluations = new List<FaultEvaluation>();
        for (var i = 0; i < 10; i++) evaluations.Add(await engine.EvaluateAsync(Trust("t1"), Ct));

        evaluations.Count(e => e.Decision is not null).ShouldBe(6, "the first four are counted, each later arrival sees four in flight");
        evaluations.Take(4).ShouldAllBe(e => e.Decision == null);
        evaluations.Skip(4).ShouldAllBe(e => e.Decision!.Effect.Error == "LS_LICENGINE_FAIL_TO_CONNECT");
    }

    [Fact]
    public async Task Parallel_trust_requests_on_a_limited_token_open_exactly_the_allowed_windows()
    {
        var engine = await EngineAsync();

        var evaluations = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(async () => await engine.EvaluateAsync(Trust("t1"), Ct), Ct)));

        evaluations.Count(e => e.Decision is null).ShouldBe(4, "a window is opened under the lock its count is checked under");
        evaluations.Count(e => e.Decision is not null).ShouldBe(196);
    }

    [Fact]
    public async Task Requests_further_apart_than_the_hold_window_never_hit_the_bottleneck()
    {
        var engine = await EngineAsync(new BottleneckSettings(HoldMs: 200));
        var fired = 0;

        for (var i = 0; i < 20; i++)
        {
            var e = await engine.EvaluateAsync(Trust("t1"), Ct);
            if (e.Decision is not null) fired++;
            e.Complete();
            _wall.Advance(TimeSpan.FromMilliseconds(201));
        }

        fired.ShouldBe(0);
    }

    [Fact]
    public async Task A_window_stays_open_for_the_hold_after_the_reply()
    {
        var engine = await EngineAsync(new BottleneckSettings(ConcurrentAbove: 1, HoldMs: 200));
        var first = await engine.EvaluateAsync(Trust("t1"), Ct);
        first.Complete();

        var during = await engine.EvaluateAsync(Trust("t1"), Ct);
        _wall.Advance(TimeSpan.FromMilliseconds(250));
        var afterHold = await engine.EvaluateAsync(Trust("t1"), Ct);

        during.Decision.ShouldNotBeNull();
        afterHold.Decision.ShouldBeNull();
    }

    [Fact]
    public async Task Tokens_have_separate_windows_and_unlimited_tokens_are_not_candidates()
    {
        var engine = await EngineAsync(new BottleneckSettings(ConcurrentAbove: 1));

        (await engine.EvaluateAsync(Trust("a"), Ct)).Decision.ShouldBeNull();
        (await engine.EvaluateAsync(Trust("b"), Ct)).Decision.ShouldBeNull();
        (await engine.EvaluateAsync(Trust("c", limited: false), Ct)).Decision.ShouldBeNull();
        (await engine.EvaluateAsync(Trust("c", limited: false), Ct)).Decision.ShouldBeNull();
        (await engine.EvaluateAsync(Trust("a"), Ct)).Decision.ShouldNotBeNull();
    }

    [Fact]
    public async Task Concurrent_evaluations_number_candidates_exactly()
    {
        var engine = await EngineAsync();
        await engine.AddAsync(JsonNode.Parse("""{"id":"every-third","match":{"surface":"oauth"},"when":{"every":3},"effect":{"status":503}}""")!, Ct);

        var decisions = await Task.WhenAll(Enumerable.Range(0, 300).Select(_ => Task.Run(async () => (await engine.EvaluateAsync(new FaultRequest("oauth", "token"), Ct)).Decision, Ct)));

        decisions.Count(d => d is not null).ShouldBe(100);
        engine.Find("every-third")!.Candidates.ShouldBe(300);
    }

    [Fact]
    public async Task A_probability_rule_gives_the_same_decisions_for_the_same_seed()
    {
        async Task<List<long>> RunAsync()
        {
            await using var store = SqliteSimulatorStore.Open(StoreLocation.Memory);
            await store.State.MigrateAsync(Ct);
            var engine = new FaultEngine(store, new BottleneckSettings(), () => 7, _wall);
            await engine.InitializeAsync(Ct);
            await engine.AddAsync(JsonNode.Parse("""{"match":{"surface":"oauth"},"when":{"probability":0.3},"effect":{"status":503}}""")!, Ct);
            var fired = new List<long>();
            for (var i = 1; i <= 1000; i++)
                if ((await engine.EvaluateAsync(new FaultRequest("oauth"), Ct)).Decision is not null) fired.Add(i);
            return fired;
        }

        var first = await RunAsync();
        var second = await RunAsync();

        second.ShouldBe(first);
        first.Count.ShouldBeInRange(250, 350);
    }

    [Fact]
    public void SplitMix64_matches_the_reference_sequence()
    {
        // First outputs of SplitMix64 seeded with 0 (Vigna's reference generator), one step each from states 0, γ, 2γ.
        FaultEngine.SplitMix64(0).ShouldBe(0xE220A8397B1DCDAFUL);
        FaultEngine.SplitMix64(0x9E3779B97F4A7C15UL).ShouldBe(0x6E789E6AA1B965F4UL);
        FaultEngine.SplitMix64(unchecked(0x9E3779B97F4A7C15UL * 2)).ShouldBe(0x06C45D188009454FUL);
    }

    [Theory]
    [InlineData("PID:C9800-CL-K9,SN:93BBAH93MGS", true)]
    [InlineData("C9800-CL-K9:93BBAH93MGS", true)]
    [InlineData("93BBAH93MGS", true)]
    [InlineData("C9800-CL-K9:OTHER", false)]
    public async Task A_udi_in_a_rule_matches_in_any_of_its_written_forms(string udi, bool matches)
    {
        var engine = await EngineAsync();
        await engine.AddAsync(JsonNode.Parse($$$"""{"match":{"udi":"{{{udi}}}"},"effect":{"status":503}}""")!, Ct);

        var decision = (await engine.EvaluateAsync(new FaultRequest("smart-transport", "HELLO", UdiPid: "C9800-CL-K9", UdiSerial: "93BBAH93MGS"), Ct)).Decision;

        (decision is not null).ShouldBe(matches);
    }

    [Fact]
    public async Task Patching_a_rule_keeps_its_counters_and_a_reset_zeroes_them()
    {
        var engine = await EngineAsync();
        await engine.AddAsync(JsonNode.Parse("""{"id":"r","match":{"surface":"oauth"},"when":{"nth":[100]},"effect":{"status":503}}""")!, Ct);
        await engine.EvaluateAsync(new FaultRequest("oauth"), Ct);
        await engine.EvaluateAsync(new FaultRequest("oauth"), Ct);

        await engine.PatchAsync("r", JsonNode.Parse("""{"name":"renamed"}""")!, Ct);
        var afterPatch = engine.Find("r")!.Candidates;
        await engine.EvaluateAsync(new FaultRequest("smart-transport", "TRUST_ESTABLISHMENT", TokenId: "t", TokenLimited: true), Ct);
        await engine.ResetAsync(Ct);

        afterPatch.ShouldBe(2);
        engine.Find("r").ShouldBeNull("reset removes user rules");
        engine.Find(FaultEngine.BottleneckId)!.Candidates.ShouldBe(0);
    }

    [Fact]
    public async Task A_disabled_rule_patched_back_on_fires_again()
    {
        var engine = await EngineAsync();
        await engine.AddAsync(JsonNode.Parse("""{"id":"off","enabled":false,"match":{"surface":"oauth"},"effect":{"status":503}}""")!, Ct);

        var before = (await engine.EvaluateAsync(new FaultRequest("oauth"), Ct)).Decision;
        await engine.PatchAsync("off", JsonNode.Parse("""{"enabled":true}""")!, Ct);
        var after = (await engine.EvaluateAsync(new FaultRequest("oauth"), Ct)).Decision;

        before.ShouldBeNull();
        after.ShouldNotBeNull();
    }

    /// <summary>A wall clock moved by hand.</summary>
    private sealed class HandTime : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => _now;
        public void Advance(TimeSpan by) => _now += by;
    }
}
