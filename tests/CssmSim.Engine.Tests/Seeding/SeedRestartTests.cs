using CssmSim.Engine.Seeding;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Tests.Support;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Seeding;

/// <summary>
/// A restart is a new store and seed service on the same file: the start-up seed is applied only
/// when it is new to that file, so what users created survives.
/// </summary>
public sealed class SeedRestartTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string ChangeQuantity =
        $"accounts: [{{domain: example.com, virtualAccounts: [{{name: DEFAULT, licenses: [{{tag: '{Seeds.HsecTag}', quantity: 42}}]}}]}}]";

    private static async Task<long> HsecQuantityAsync(ISimulatorStore store)
    {
        var licenses = await store.Accounts.ListLicensesAsync("234567", Ct);
        return licenses.Single(l => l.Tag == Seeds.HsecTag).Quantity;
    }

    [Fact]
    public async Task A_restart_with_the_same_seed_text_does_not_reapply_the_seed_over_changes()
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.SqliteFile, migrate: false);
        var first = await Seeds.InitializedAsync(test.Store, new ManualTimeProvider());
        await first.MergeAsync(ChangeQuantity);
        await first.MergeAsync("accounts: [{domain: user.test, virtualAccounts: [Mine]}]");
        await test.CloseAsync(test.Store);

        var restarted = test.Open();
        var applied = await Seeds.Service(restarted, new ManualTimeProvider()).InitializeAsync(Ct);

        applied.ShouldBeFalse();
        (await HsecQuantityAsync(restarted)).ShouldBe(42);
        (await restarted.Accounts.FindSmartAccountAsync("user.test", Ct)).ShouldNotBeNull();
    }

    [Fact]
    public async Task A_restart_with_a_changed_seed_text_merges_the_new_seed_and_keeps_user_data()
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.SqliteFile, migrate: false);
        var first = await Seeds.InitializedAsync(test.Store, new ManualTimeProvider());
        await first.MergeAsync("accounts: [{domain: user.test, virtualAccounts: [Mine]}]");
        await test.CloseAsync(test.Store);

        var restarted = test.Open();
        const string lab = "  - {name: Lab, id: \"234568\"}";
        DefaultSeed.Yaml.ShouldContain(lab);
        var changedSeed = DefaultSeed.Yaml.Replace(lab, lab + "\n  - {name: Added, id: \"234569\"}", StringComparison.Ordinal);
        var applied = await Seeds.Service(restarted, new ManualTimeProvider(), changedSeed).InitializeAsync(Ct);

        applied.ShouldBeTrue();

        var vas = await restarted.Accounts.ListVirtualAccountsAsync("123456", Ct);
        vas.Select(v => (v.Name, v.Id)).ShouldBe([("Added", "234569"), ("DEFAULT", "234567"), ("Lab", "234568")]);
        (await restarted.Accounts.FindSmartAccountAsync("user.test", Ct)).ShouldNotBeNull();
    }

    [Fact]
    public async Task A_restart_with_a_changed_seed_text_is_remembered_and_not_reapplied_on_the_next_restart()
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.SqliteFile, migrate: false);
        var changedSeed = DefaultSeed.Yaml + "\n# edited\n";
        await Seeds.InitializedAsync(test.Store, new ManualTimeProvider());
        await test.CloseAsync(test.Store);
        var second = test.Open();
        var seeds = await Seeds.InitializedAsync(second, new ManualTimeProvider(), changedSeed);
        await seeds.MergeAsync(ChangeQuantity);
        await test.CloseAsync(second);

        var third = test.Open();
        await Seeds.InitializedAsync(third, new ManualTimeProvider(), changedSeed);

        (await HsecQuantityAsync(third)).ShouldBe(42);
    }

    [Fact]
    public async Task A_restart_with_another_random_seed_override_counts_as_a_changed_seed()
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.SqliteFile, migrate: false);
        var first = await Seeds.InitializedAsync(test.Store, new ManualTimeProvider());
        await first.MergeAsync(ChangeQuantity);
        await test.CloseAsync(test.Store);

        var restarted = test.Open();
        await Seeds.Service(restarted, new ManualTimeProvider(), randomSeedOverride: 99).InitializeAsync(Ct);

        (await HsecQuantityAsync(restarted)).ShouldBe(10);
    }

    [Fact]
    public async Task Two_processes_sharing_a_file_see_each_others_merges()
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.SqliteFile, migrate: false);
        var a = await Seeds.InitializedAsync(test.Store, new ManualTimeProvider());
        var otherStore = test.Open();
        await Seeds.InitializedAsync(otherStore, new ManualTimeProvider());

        await a.MergeAsync(ChangeQuantity);

        (await HsecQuantityAsync(otherStore)).ShouldBe(42);
    }

    [Fact]
    public async Task An_in_memory_store_starts_from_the_seed_every_time()
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.Memory, migrate: false);
        var first = await Seeds.InitializedAsync(test.Store, new ManualTimeProvider());
        await first.MergeAsync(ChangeQuantity);

        var fresh = test.Open();
        await Seeds.InitializedAsync(fresh, new ManualTimeProvider());

        (await HsecQuantityAsync(fresh)).ShouldBe(10);
    }
}
