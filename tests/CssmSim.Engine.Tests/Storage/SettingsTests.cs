using CssmSim.Engine.Tests.Support;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Storage;

public sealed class SettingsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_setting_never_written_reads_as_null(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind);

        (await test.Store.State.GetSettingAsync("missing", Ct)).ShouldBeNull();
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task SetSetting_writes_and_overwrites(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind);

        await test.Store.State.SetSettingAsync("k", "one", Ct);
        await test.Store.State.SetSettingAsync("k", "two", Ct);

        (await test.Store.State.GetSettingAsync("k", Ct)).ShouldBe("two");
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task GetOrAddSetting_stores_the_value_when_there_is_none(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind);

        var value = await test.Store.State.GetOrAddSettingAsync("k", "first", Ct);

        value.ShouldBe("first");
        (await test.Store.State.GetSettingAsync("k", Ct)).ShouldBe("first");
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task GetOrAddSetting_returns_the_stored_value_and_ignores_the_new_one(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind);
        await test.Store.State.SetSettingAsync("k", "stored", Ct);

        var value = await test.Store.State.GetOrAddSettingAsync("k", "ignored", Ct);

        value.ShouldBe("stored");
        (await test.Store.State.GetSettingAsync("k", Ct)).ShouldBe("stored");
    }

    [Fact]
    public async Task GetOrAddSetting_first_writer_wins_across_two_stores_on_one_file()
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.SqliteFile);
        var other = test.Open();

        var first = await test.Store.State.GetOrAddSettingAsync("oauth_token_key", "from-first", Ct);
        var second = await other.State.GetOrAddSettingAsync("oauth_token_key", "from-second", Ct);

        first.ShouldBe("from-first");
        second.ShouldBe("from-first");
        (await other.State.GetSettingAsync("oauth_token_key", Ct)).ShouldBe("from-first");
    }

    [Fact]
    public async Task GetOrAddSetting_racing_on_one_file_gives_every_caller_the_same_value()
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.SqliteFile);
        var stores = Enumerable.Range(0, 6).Select(_ => test.Open()).ToList();

        var values = await Task.WhenAll(stores.Select((s, i) =>
            Task.Run(() => s.State.GetOrAddSettingAsync("race", "writer-" + i, Ct), Ct)));

        values.Distinct().ShouldHaveSingleItem().ShouldStartWith("writer-");
        (await test.Store.State.GetSettingAsync("race", Ct)).ShouldBe(values[0]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Settings_survive_a_full_reset(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind);
        var seeds = await Seeds.InitializedAsync(test.Store, new ManualTimeProvider());
        await test.Store.State.SetSettingAsync("oauth_token_key", "keep-me", Ct);

        await seeds.ResetAsync(null, Ct);

        (await test.Store.State.GetSettingAsync("oauth_token_key", Ct)).ShouldBe("keep-me");
    }

    [Fact]
    public async Task Two_in_memory_stores_do_not_share_state()
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.Memory);
        var other = test.Open();
        await other.State.MigrateAsync(Ct);

        await test.Store.State.SetSettingAsync("k", "mine", Ct);

        (await other.State.GetSettingAsync("k", Ct)).ShouldBeNull();
    }
}
