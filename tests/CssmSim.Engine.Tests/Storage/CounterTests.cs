using CssmSim.Engine.Tests.Support;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Storage;

/// <summary>Counters behind derived ids: exact under concurrency, and back to zero on reset.</summary>
public sealed class CounterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_counter_starts_at_1_and_counts_up_by_one(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind);

        var values = new List<long>();
        for (var i = 0; i < 3; i++) values.Add(await test.Store.State.NextCounterAsync("token/234567", Ct));

        values.ShouldBe([1L, 2L, 3L]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Counters_with_different_keys_are_independent(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind);
        await test.Store.State.NextCounterAsync("a", Ct);
        await test.Store.State.NextCounterAsync("a", Ct);

        (await test.Store.State.NextCounterAsync("b", Ct)).ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Concurrent_increments_never_hand_out_a_value_twice(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind);

        var values = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ =>
            Task.Run(() => test.Store.State.NextCounterAsync("shared", Ct), Ct)));

        values.Order().ShouldBe(Enumerable.Range(1, 40).Select(i => (long)i));
    }

    [Fact]
    public async Task Two_stores_on_one_file_share_a_counter_exactly()
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.SqliteFile);
        var stores = new[] { test.Store, test.Open() };

        var values = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            Task.Run(() => stores[i % 2].State.NextCounterAsync("shared", Ct), Ct)));

        values.Order().ShouldBe(Enumerable.Range(1, 40).Select(i => (long)i));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_full_reset_restarts_counters_so_the_same_ids_come_out_again(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);
        await sim.Store.State.NextCounterAsync("token/234567", Ct);
        await sim.Store.State.NextCounterAsync("token/234567", Ct);

        await sim.Seeds.ResetAsync(null, Ct);

        (await sim.Store.State.NextCounterAsync("token/234567", Ct)).ShouldBe(1);
    }
}
