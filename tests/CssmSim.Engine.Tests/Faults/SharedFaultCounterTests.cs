using System.Text.Json.Nodes;
using CssmSim.Engine.Faults;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Tests.Support;

namespace CssmSim.Engine.Tests.Faults;

/// <summary>
/// Fault-rule counters on a store several processes share (control.md §Faults, replicas on one
/// database): each test opens the store twice, one fault engine per "process".
/// </summary>
public sealed class SharedFaultCounterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(FaultEngine A, FaultEngine B)> TwoProcessesAsync(TestStore test)
    {
        var a = new FaultEngine(test.Store, new BottleneckSettings(), () => 1, TimeProvider.System);
        await a.InitializeAsync(Ct);
        var b = new FaultEngine(test.Open(), new BottleneckSettings(), () => 1, TimeProvider.System);
        await b.InitializeAsync(Ct);
        return (a, b);
    }

    private static async Task AddOnAAsync(FaultEngine a, FaultEngine b, string json)
    {
        await a.AddAsync(JsonNode.Parse(json)!, Ct);
        await b.RefreshAsync(Ct);
    }

    private static async Task<bool> FiresAsync(FaultEngine engine) => (await engine.EvaluateAsync(new FaultRequest("oauth", "token"), Ct)).Decision is not null;

    [Theory]
    [MemberData(nameof(StoreKinds.Shared), MemberType = typeof(StoreKinds))]
    public async Task The_second_request_overall_fires_an_nth_rule_whichever_process_receives_it(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind);
        var (a, b) = await TwoProcessesAsync(test);
        await AddOnAAsync(a, b, """{"id":"second","match":{"surface":"oauth"},"when":{"nth":[2]},"effect":{"status":503}}""");

        var first = await FiresAsync(a);
        var second = await FiresAsync(b);
        var third = await FiresAsync(a);

        first.ShouldBeFalse();
        second.ShouldBeTrue("process B's request is the rule's second candidate");
        third.ShouldBeFalse();
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Shared), MemberType = typeof(StoreKinds))]
    public async Task Concurrent_requests_on_two_processes_are_numbered_in_one_sequence(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind);
        var (a, b) = await TwoProcessesAsync(test);
        await AddOnAAsync(a, b, """{"id":"every-third","match":{"surface":"oauth"},"when":{"every":3},"effect":{"status":503}}""");

        var fired = await Task.WhenAll(Enumerable.Range(0, 300).Select(i => Task.Run(() => FiresAsync(i % 2 == 0 ? a : b), Ct)));

        fired.Count(f => f).ShouldBe(100);
        var seenByA = (await a.FindAsync("every-third", Ct))!;
        var seenByB = (await b.FindAsync("every-third", Ct))!;
        (seenByA.Candidates, seenByA.Applied).ShouldBe((300, 100));
        (seenByB.Candidates, seenByB.Applied).ShouldBe((300, 100));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Shared), MemberType = typeof(StoreKinds))]
    public async Task A_rule_with_times_fires_exactly_that_often_however_many_processes_race_for_it(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind);
        var (a, b) = await TwoProcessesAsync(test);
        await AddOnAAsync(a, b, """{"id":"five","match":{"surface":"oauth"},"when":{"times":5},"effect":{"status":503}}""");

        var fired = await Task.WhenAll(Enumerable.Range(0, 80).Select(i => Task.Run(() => FiresAsync(i % 2 == 0 ? a : b), Ct)));

        fired.Count(f => f).ShouldBe(5);
        var seenByB = (await b.FindAsync("five", Ct))!;
        (seenByB.Candidates, seenByB.Applied, seenByB.Exhausted).ShouldBe((80, 5, true));
        (await FiresAsync(a)).ShouldBeFalse("exhausted on every process");
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Shared), MemberType = typeof(StoreKinds))]
    public async Task A_patch_keeps_the_shared_counters_and_a_rule_deleted_and_added_again_starts_from_zero(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind);
        var (a, b) = await TwoProcessesAsync(test);
        await AddOnAAsync(a, b, """{"id":"r","match":{"surface":"oauth"},"when":{"nth":[100]},"effect":{"status":503}}""");
        await FiresAsync(a);
        await FiresAsync(b);

        await b.PatchAsync("r", JsonNode.Parse("""{"name":"renamed"}""")!, Ct);
        await a.RefreshAsync(Ct);
        var afterPatch = (await a.FindAsync("r", Ct))!.Candidates;
        await a.DeleteAsync("r", Ct);
        await AddOnAAsync(a, b, """{"id":"r","match":{"surface":"oauth"},"effect":{"status":503}}""");
        var afterReAdd = (await b.FindAsync("r", Ct))!.Candidates;

        afterPatch.ShouldBe(2);
        afterReAdd.ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Shared), MemberType = typeof(StoreKinds))]
    public async Task A_reset_on_one_process_zeroes_the_counters_the_other_reads(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind);
        var (a, b) = await TwoProcessesAsync(test);
        var trust = new FaultRequest("smart-transport", "TRUST_ESTABLISHMENT", TokenId: "t", TokenLimited: true);
        (await a.EvaluateAsync(trust, Ct)).Complete();
        (await b.EvaluateAsync(trust, Ct)).Complete();
        var before = (await b.FindAsync(FaultEngine.BottleneckId, Ct))!.Candidates;

        await a.ResetAsync(Ct);
        await b.RefreshAsync(Ct);

        before.ShouldBe(2);
        (await b.FindAsync(FaultEngine.BottleneckId, Ct))!.Candidates.ShouldBe(0);
    }

    [Fact]
    public async Task An_in_memory_store_keeps_the_counters_in_the_process()
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.Memory);
        var engine = new FaultEngine(test.Store, new BottleneckSettings(), () => 1, TimeProvider.System);
        await engine.InitializeAsync(Ct);
        await engine.AddAsync(JsonNode.Parse("""{"id":"r","match":{"surface":"oauth"},"when":{"every":2},"effect":{"status":503}}""")!, Ct);

        await FiresAsync(engine);
        await FiresAsync(engine);

        (await engine.FindAsync("r", Ct))!.Candidates.ShouldBe(2);
        (await test.Store.Faults.ReadCountsAsync(Ct)).ShouldBeEmpty("nothing to share: no other process can open the store");
    }
}
