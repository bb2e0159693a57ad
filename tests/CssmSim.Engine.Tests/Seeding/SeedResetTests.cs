using System.Text.Json.Nodes;
using CssmSim.Engine.Tests.Support;
using CssmSim.Engine.Validation;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Seeding;

/// <summary>control.md §Reset and snapshot, through <see cref="CssmSim.Engine.Seeding.SeedService.ResetAsync"/>.</summary>
public sealed class SeedResetTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string Changes = $$"""
        randomSeed: 7
        apiClients: [{clientId: qa, clientSecret: qa-secret, accounts: [other.test]}]
        users: [{username: alice, password: pw}]
        accounts:
        - domain: example.com
          name: Renamed
          policy: {policy_name: changed}
          virtualAccounts:
          - name: DEFAULT
            licenses: [{tag: '{{Seeds.HsecTag}}', quantity: 999}, {tag: extra-tag, quantity: 1}]
          - {name: Lab, default: true, description: changed}
          - Staging
        - domain: other.test
          name: Other
          virtualAccounts:
          - name: Ops
            licenses: [{tag: other-tag, type: TERM, quantity: 4}]
        """;

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_full_reset_returns_the_store_to_exactly_the_start_up_seed(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);
        var startup = await sim.StateAsync();
        await sim.MergeAsync(Changes);
        (await sim.StateAsync()).ShouldNotBe(startup);

        await sim.Seeds.ResetAsync(null, Ct);

        (await sim.StateAsync()).ShouldBe(startup);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_full_reset_goes_back_to_the_start_up_random_seed(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);
        await sim.MergeAsync(Changes);
        sim.Seeds.Ids.RandomSeed.ShouldBe(7);

        await sim.Seeds.ResetAsync(null, Ct);

        sim.Seeds.Ids.RandomSeed.ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_full_reset_to_a_seed_with_derived_ids_gives_the_same_ids_again(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind, "randomSeed: 3\naccounts: [{domain: acme.test, virtualAccounts: [Ops, Lab]}]");
        var startup = await sim.StateAsync();
        await sim.MergeAsync("randomSeed: 4\naccounts: [{domain: acme.test, virtualAccounts: [Extra]}]");

        await sim.Seeds.ResetAsync(null, Ct);

        (await sim.StateAsync()).ShouldBe(startup);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Resetting_one_account_restores_it_and_leaves_everything_else_untouched(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);
        await using var startup = await SeededStore.StartAsync(kind);
        await sim.MergeAsync(Changes);
        var otherVas = await sim.VirtualAccountsAsync("other.test");
        var otherLicenses = await sim.LicensesAsync("other.test", "Ops");

        await sim.Seeds.ResetAsync("example.com", Ct);

        (await sim.AccountAsync("example.com")).ShouldBe(await startup.AccountAsync("example.com"));
        (await sim.VirtualAccountsAsync("example.com")).ShouldBe(await startup.VirtualAccountsAsync("example.com"));
        (await sim.LicensesAsync("example.com", "DEFAULT")).ShouldBe(await startup.LicensesAsync("example.com", "DEFAULT"));
        (await sim.Store.Accounts.GetPolicyJsonAsync("123456", null, Ct)).ShouldBeNull();
        (await sim.VirtualAccountsAsync("other.test")).ShouldBe(otherVas);
        (await sim.LicensesAsync("other.test", "Ops")).ShouldBe(otherLicenses);
        (await sim.AccountAsync("other.test")).Name.ShouldBe("Other");
        (await sim.Store.Accounts.FindApiClientAsync("qa", Ct)).ShouldNotBeNull();
        (await sim.Store.Accounts.FindUserAsync("alice", Ct)).ShouldNotBeNull();
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Resetting_one_account_matches_its_domain_ignoring_case(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);
        await sim.MergeAsync("accounts: [{domain: example.com, virtualAccounts: [Staging]}]");

        await sim.Seeds.ResetAsync("EXAMPLE.com", Ct);

        (await sim.VirtualAccountsAsync("example.com")).Select(v => v.Name).ShouldBe(["DEFAULT", "Lab"]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Resetting_an_account_the_start_up_seed_lacks_removes_it_with_its_virtual_accounts_and_licenses(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);
        await sim.MergeAsync(Changes);
        var exampleBefore = await sim.VirtualAccountsAsync("example.com");

        await sim.Seeds.ResetAsync("other.test", Ct);

        (await sim.Store.Accounts.FindSmartAccountAsync("other.test", Ct)).ShouldBeNull();
        var vas = await sim.Store.Accounts.ListVirtualAccountsAsync(null, Ct);
        vas.ShouldBe(exampleBefore);
        var licenses = (await sim.Store.State.ExportAsync(Ct)).Tables["licenses"];
        licenses.Select(row => (string)row["va_id"]!).Distinct().ShouldBe([exampleBefore.Single(v => v.Name == "DEFAULT").Id]);
        licenses.Count.ShouldBe(5);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Resetting_an_unknown_account_throws_EntityNotFound_and_changes_nothing(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);
        await sim.MergeAsync(Changes);
        var before = await sim.StateAsync();

        var ex = await Should.ThrowAsync<EntityNotFoundException>(() => sim.Seeds.ResetAsync("nowhere.test", Ct));

        ex.Message.ShouldContain("nowhere.test");
        (await sim.StateAsync()).ShouldBe(before);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Resetting_an_account_missing_from_the_store_but_in_the_start_up_seed_recreates_it(StoreKind kind)
    {
        // The start-up seed names two accounts; importing a snapshot without one of them leaves
        // it missing, and resetting that account brings it back.
        await using var sim = await SeededStore.StartAsync(kind, "accounts: [{domain: a.test, accountId: '11', virtualAccounts: [V]}, {domain: b.test, accountId: '22'}]");
        var snapshot = await sim.Store.State.ExportAsync(Ct);
        var trimmed = snapshot with
        {
            Tables = snapshot.Tables.ToDictionary(
                t => t.Key,
                t => (IReadOnlyList<JsonObject>)t.Value
                    .Where(r => (string?)r["id"] != "22" && (string?)r["sa_id"] != "22")
                    .Select(r => (JsonObject)r.DeepClone()).ToList()),
        };
        await sim.Store.State.ImportAsync(trimmed, Ct);
        (await sim.Store.Accounts.FindSmartAccountAsync("b.test", Ct)).ShouldBeNull();

        await sim.Seeds.ResetAsync("b.test", Ct);

        (await sim.AccountAsync("b.test")).Id.ShouldBe("22");
    }
}
