using CssmSim.Engine.Accounts;
using CssmSim.Engine.Ids;
using CssmSim.Engine.Licensing;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Tests.Support;
using CssmSim.Engine.Validation;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Seeding;

/// <summary>Seed documents applied through <see cref="SeedService"/> to both kinds of store.</summary>
public sealed class SeedMergeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Initializing_applies_the_default_seed_with_its_fixed_ids(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);

        var account = (await sim.Store.Accounts.ListSmartAccountsAsync(Ct)).ShouldHaveSingleItem();
        account.ShouldBe(new SmartAccount("123456", "example.com", "Example Co"));
        var vas = await sim.VirtualAccountsAsync("example.com");
        vas.ShouldBe(
        [
            new VirtualAccount("234567", "123456", "DEFAULT", "", true, true),
            new VirtualAccount("234568", "123456", "Lab", "", false, true),
        ]);
        var client = (await sim.Store.Accounts.FindApiClientAsync("cssmsim", Ct)).ShouldNotBeNull();
        client.ClientSecret.ShouldBe("cssmsim");
        client.Scope.IsAll.ShouldBeTrue();
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task TERM_licenses_without_dates_run_from_the_clock_load_date_for_365_days_and_PERPETUAL_ones_have_no_dates(StoreKind kind)
    {
        // The manual clock reads 2031-07-04T23:30Z, far from the real date.
        await using var sim = await SeededStore.StartAsync(kind);

        var licenses = await sim.LicensesAsync("example.com", "DEFAULT");

        licenses.ShouldBe(
        [
            new License("234567", Seeds.AirDnaTag, "Aironet DNA Advantage Term Licenses", Enforcement.Unenforced, LicenseType.Term, 100,
                new DateOnly(2031, 7, 4), new DateOnly(2032, 7, 3)),
            new License("234567", Seeds.NwStackTag, "AP Perpetual Networkstack Advantage", Enforcement.Unenforced, LicenseType.Perpetual, 100, null, null),
            new License("234567", Seeds.HsecTag, "Router US Export Lic. for DNA", Enforcement.ExportControlled, LicenseType.Perpetual, 10, null, null),
            new License("234567", Seeds.EnforcedDemoTag, "Simulated enforced license (demo)", Enforcement.Enforced, LicenseType.Perpetual, 5, null, null),
        ]);
        (await sim.LicensesAsync("example.com", "Lab")).ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task The_load_date_is_the_UTC_date_of_the_injected_clock_at_merge_time(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);
        sim.Clock.SetUtcNow(new DateTimeOffset(2030, 2, 28, 23, 59, 59, TimeSpan.FromHours(-5)));   // 2030-03-01 04:59:59Z

        await sim.MergeAsync("accounts: [{domain: example.com, virtualAccounts: [{name: Lab, licenses: [{tag: demo-tag, type: DEMO, quantity: 1}]}]}]");

        var license = await sim.LicenseAsync("example.com", "Lab", "demo-tag");
        license.StartDate.ShouldBe(new DateOnly(2030, 3, 1));
        license.EndDate.ShouldBe(new DateOnly(2031, 3, 1));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Merging_a_seed_that_names_only_a_virtual_account_adds_it_and_keeps_the_account_as_it_was(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);

        await sim.MergeAsync("accounts: [{domain: example.com, virtualAccounts: [Staging]}]");

        (await sim.AccountAsync("example.com")).ShouldBe(new SmartAccount("123456", "example.com", "Example Co"));
        (await sim.VirtualAccountsAsync("example.com")).Select(v => (v.Name, v.IsDefault)).ShouldBe(
            [("DEFAULT", true), ("Lab", false), ("Staging", false)]);
        (await sim.LicensesAsync("example.com", "DEFAULT")).Count.ShouldBe(4);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Merging_a_seed_keeps_fields_it_does_not_name(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);
        await sim.MergeAsync("""
            accounts: [{domain: example.com, policy: {policy_name: SA policy},
              virtualAccounts: [{name: Lab, description: the lab, exportControlledAllowed: false, policy: {policy_name: VA policy}}]}]
            """);

        await sim.MergeAsync("accounts: [{domain: example.com, virtualAccounts: [Lab]}]");

        var lab = await sim.VirtualAccountAsync("example.com", "Lab");
        lab.Description.ShouldBe("the lab");
        lab.ExportControlledAllowed.ShouldBeFalse();
        (await sim.Store.Accounts.GetPolicyJsonAsync("123456", null, Ct)).ShouldBe("""{"policy_name":"SA policy"}""");
        (await sim.Store.Accounts.GetPolicyJsonAsync("123456", lab.Id, Ct)).ShouldBe("""{"policy_name":"VA policy"}""");
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Merging_a_new_license_quantity_keeps_its_display_name_enforcement_and_type(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);

        await sim.MergeAsync($"accounts: [{{domain: example.com, virtualAccounts: [{{name: DEFAULT, licenses: [{{tag: '{Seeds.HsecTag}', quantity: 25}}]}}]}}]");

        (await sim.LicenseAsync("example.com", "DEFAULT", Seeds.HsecTag)).ShouldBe(
            new License("234567", Seeds.HsecTag, "Router US Export Lic. for DNA", Enforcement.ExportControlled, LicenseType.Perpetual, 25, null, null));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Merging_a_TERM_license_quantity_keeps_its_dates_even_when_the_clock_has_moved(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);
        sim.Clock.Advance(TimeSpan.FromDays(100));

        await sim.MergeAsync($"accounts: [{{domain: example.com, virtualAccounts: [{{name: DEFAULT, licenses: [{{tag: '{Seeds.AirDnaTag}', quantity: 1}}]}}]}}]");

        var license = await sim.LicenseAsync("example.com", "DEFAULT", Seeds.AirDnaTag);
        license.Quantity.ShouldBe(1);
        license.StartDate.ShouldBe(new DateOnly(2031, 7, 4));
        license.EndDate.ShouldBe(new DateOnly(2032, 7, 3));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Merging_a_license_by_its_dot_form_tag_updates_the_same_license(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);
        var dotForm = EntitlementTag.ToDotForm(Seeds.HsecTag);

        await sim.MergeAsync($"accounts: [{{domain: example.com, virtualAccounts: [{{name: DEFAULT, licenses: [{{tag: '{dotForm}', quantity: 3}}]}}]}}]");

        var licenses = await sim.LicensesAsync("example.com", "DEFAULT");
        licenses.Count.ShouldBe(4);
        licenses.Single(l => l.Tag == Seeds.HsecTag).Quantity.ShouldBe(3);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Merging_an_account_by_a_differently_cased_domain_updates_the_same_account(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);

        await sim.MergeAsync("accounts: [{domain: EXAMPLE.Com, name: Renamed Co}]");

        var account = (await sim.Store.Accounts.ListSmartAccountsAsync(Ct)).ShouldHaveSingleItem();
        account.ShouldBe(new SmartAccount("123456", "example.com", "Renamed Co"));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_new_account_without_ids_gets_ids_derived_from_the_documents_random_seed(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);

        await sim.MergeAsync("randomSeed: 42\naccounts: [{domain: Acme.Test, virtualAccounts: [Ops, Lab]}]");

        var ids = new DerivedIds(42);
        var account = await sim.AccountAsync("acme.test");
        account.Id.ShouldBe(ids.Decimal("sa/acme.test"));
        account.Name.ShouldBe("Acme.Test");
        account.Domain.ShouldBe("Acme.Test");
        (await sim.VirtualAccountAsync("acme.test", "Ops")).Id.ShouldBe(ids.Decimal("va/acme.test/Ops"));
        (await sim.VirtualAccountAsync("acme.test", "Lab")).Id.ShouldBe(ids.Decimal("va/acme.test/Lab"));
        sim.Seeds.Ids.RandomSeed.ShouldBe(42);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_merge_without_a_random_seed_derives_ids_from_the_start_up_seed(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);

        await sim.MergeAsync("accounts: [{domain: acme.test, virtualAccounts: [Ops]}]");

        (await sim.AccountAsync("acme.test")).Id.ShouldBe(new DerivedIds(1).Decimal("sa/acme.test"));
        (await sim.VirtualAccountAsync("acme.test", "Ops")).Id.ShouldBe(new DerivedIds(1).Decimal("va/acme.test/Ops"));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_random_seed_override_wins_over_the_documents_random_seed(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind, migrate: false);
        var seeds = Seeds.Service(test.Store, new ManualTimeProvider(), randomSeedOverride: 77);
        await seeds.InitializeAsync(Ct);

        await seeds.MergeAsync("randomSeed: 5\naccounts: [{domain: acme.test}]");

        seeds.StartupRandomSeed.ShouldBe(77);
        seeds.Ids.RandomSeed.ShouldBe(77);
        (await test.Store.Accounts.FindSmartAccountAsync("acme.test", Ct))!.Id.ShouldBe(new DerivedIds(77).Decimal("sa/acme.test"));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task License_dates_given_in_the_seed_are_kept_and_STANDARD_licenses_have_no_dates(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);

        await sim.MergeAsync("""
            accounts: [{domain: example.com, virtualAccounts: [{name: Lab, licenses: [
              {tag: term-tag, type: TERM, startDate: '2025-01-01', endDate: '2025-06-30'},
              {tag: start-only, type: TERM, startDate: '2025-01-01'},
              {tag: std-tag, type: STANDARD, quantity: 2},
              {tag: bare-tag}]}]}]
            """);

        var licenses = await sim.LicensesAsync("example.com", "Lab");
        licenses.Single(l => l.Tag == "term-tag").ShouldSatisfyAllConditions(
            l => l.StartDate.ShouldBe(new DateOnly(2025, 1, 1)), l => l.EndDate.ShouldBe(new DateOnly(2025, 6, 30)));
        licenses.Single(l => l.Tag == "start-only").EndDate.ShouldBe(new DateOnly(2026, 1, 1));
        licenses.Single(l => l.Tag == "std-tag").ShouldSatisfyAllConditions(
            l => l.Type.ShouldBe(LicenseType.Standard), l => l.StartDate.ShouldBeNull(), l => l.EndDate.ShouldBeNull());
        licenses.Single(l => l.Tag == "bare-tag").ShouldBe(
            new License(licenses[0].VirtualAccountId, "bare-tag", "bare-tag", Enforcement.Unenforced, LicenseType.Perpetual, 0, null, null));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_license_changed_to_TERM_without_dates_runs_from_the_merge_date(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);
        sim.Clock.SetUtcNow(new DateTimeOffset(2033, 1, 10, 8, 0, 0, TimeSpan.Zero));

        await sim.MergeAsync($"accounts: [{{domain: example.com, virtualAccounts: [{{name: DEFAULT, licenses: [{{tag: '{Seeds.NwStackTag}', type: TERM}}]}}]}}]");

        var license = await sim.LicenseAsync("example.com", "DEFAULT", Seeds.NwStackTag);
        license.Type.ShouldBe(LicenseType.Term);
        license.StartDate.ShouldBe(new DateOnly(2033, 1, 10));
        license.EndDate.ShouldBe(new DateOnly(2034, 1, 10));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task The_default_virtual_account_is_DEFAULT_when_present_even_if_not_listed_first(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind, "accounts: [{domain: acme.test, virtualAccounts: [Lab, DEFAULT, Ops]}]");

        (await sim.VirtualAccountsAsync("acme.test")).Where(v => v.IsDefault).Select(v => v.Name).ShouldBe(["DEFAULT"]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task The_default_virtual_account_is_the_first_listed_when_there_is_no_DEFAULT(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind, "accounts: [{domain: acme.test, virtualAccounts: [Ops, Alpha, Lab]}]");

        (await sim.VirtualAccountsAsync("acme.test")).Where(v => v.IsDefault).Select(v => v.Name).ShouldBe(["Ops"]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Default_true_on_another_virtual_account_moves_the_default_to_it(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);

        await sim.MergeAsync("accounts: [{domain: example.com, virtualAccounts: [{name: Lab, default: true}]}]");

        (await sim.VirtualAccountsAsync("example.com")).Where(v => v.IsDefault).Select(v => v.Name).ShouldBe(["Lab"]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Default_true_on_a_new_virtual_account_makes_it_the_only_default(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);

        await sim.MergeAsync("accounts: [{domain: example.com, virtualAccounts: [{name: Prod, default: true}]}]");

        (await sim.VirtualAccountsAsync("example.com")).Where(v => v.IsDefault).Select(v => v.Name).ShouldBe(["Prod"]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Adding_virtual_accounts_to_an_account_with_a_default_leaves_the_default_alone(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind, "accounts: [{domain: acme.test, virtualAccounts: [Ops]}]");

        await sim.MergeAsync("accounts: [{domain: acme.test, virtualAccounts: [Alpha, DEFAULT]}]");

        (await sim.VirtualAccountsAsync("acme.test")).Where(v => v.IsDefault).Select(v => v.Name).ShouldBe(["Ops"]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_seed_giving_an_existing_account_another_id_is_refused_and_nothing_of_it_is_applied(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);
        var before = await sim.StateAsync();

        var ex = await Should.ThrowAsync<EngineValidationException>(() => sim.MergeAsync("""
            apiClients: [{clientId: qa, clientSecret: qa-secret}]
            accounts:
            - {domain: new.test, virtualAccounts: [Ops]}
            - {domain: example.com, accountId: "999999", name: Should Not Apply}
            """));

        ex.Errors.Keys.ShouldBe(["accounts[1].accountId"]);
        ex.Errors["accounts[1].accountId"].ShouldHaveSingleItem().ShouldContain("123456");
        (await sim.Store.Accounts.FindSmartAccountAsync("new.test", Ct)).ShouldBeNull();
        (await sim.Store.Accounts.FindApiClientAsync("qa", Ct)).ShouldBeNull();
        (await sim.StateAsync()).ShouldBe(before);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_seed_giving_an_existing_virtual_account_another_id_is_refused_and_rolled_back(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);
        var before = await sim.StateAsync();

        var ex = await Should.ThrowAsync<EngineValidationException>(() => sim.MergeAsync("""
            accounts:
            - {domain: example.com, name: Changed, virtualAccounts: [Extra, {name: Lab, id: "111"}]}
            """));

        ex.Errors.Keys.ShouldBe(["accounts[0].virtualAccounts[1].id"]);
        (await sim.StateAsync()).ShouldBe(before);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_new_account_taking_an_id_that_belongs_to_another_account_is_refused(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);
        var before = await sim.StateAsync();

        var ex = await Should.ThrowAsync<EngineValidationException>(() => sim.MergeAsync("accounts: [{domain: thief.test, accountId: '123456'}]"));

        ex.Errors.Keys.ShouldBe(["accounts[0].accountId"]);
        ex.Errors["accounts[0].accountId"].ShouldHaveSingleItem().ShouldContain("example.com");
        (await sim.StateAsync()).ShouldBe(before);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_new_virtual_account_taking_an_id_in_use_is_refused(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);

        var ex = await Should.ThrowAsync<EngineValidationException>(() =>
            sim.MergeAsync("accounts: [{domain: other.test, virtualAccounts: [{name: Ops, id: '234568'}]}]"));

        ex.Errors.Keys.ShouldBe(["accounts[0].virtualAccounts[0].id"]);
        (await sim.Store.Accounts.FindSmartAccountAsync("other.test", Ct)).ShouldBeNull();
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_failed_merge_does_not_switch_the_random_seed(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);

        await Should.ThrowAsync<EngineValidationException>(() => sim.MergeAsync("randomSeed: 9\naccounts: [{domain: example.com, accountId: '1'}]"));

        sim.Seeds.Ids.RandomSeed.ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_new_api_client_or_user_without_a_secret_is_refused(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);

        var ex = await Should.ThrowAsync<EngineValidationException>(() =>
            sim.MergeAsync("apiClients: [{clientId: qa}]\nusers: [{username: alice}]"));

        ex.Errors.Keys.ShouldBe(["apiClients[0].clientSecret", "users[0].password"], ignoreOrder: true);
    }

    // Regression: SQLite checks NOT NULL on the proposed INSERT row before ON CONFLICT DO UPDATE, so
    // inserting a NULL secret for an existing client once failed with a raw SqliteException
    // (NOT NULL constraint failed: api_clients.client_secret) instead of keeping the stored secret.
    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Merging_an_existing_client_without_a_secret_keeps_its_secret(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);

        await sim.MergeAsync("apiClients: [{clientId: cssmsim, accounts: [example.com]}]");

        var client = (await sim.Store.Accounts.FindApiClientAsync("cssmsim", Ct)).ShouldNotBeNull();
        client.ClientSecret.ShouldBe("cssmsim");
        client.Scope.Domains.ShouldBe(["example.com"]);
    }

    // Regression: the same NOT NULL failure as for clients, on api_users.password.
    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Merging_an_existing_user_without_a_password_keeps_its_password(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);
        await sim.MergeAsync("users: [{username: alice, password: pw}]");

        await sim.MergeAsync("users: [{username: alice, accounts: [example.com]}]");

        var user = (await sim.Store.Accounts.FindUserAsync("alice", Ct)).ShouldNotBeNull();
        user.Password.ShouldBe("pw");
        user.Scope.Domains.ShouldBe(["example.com"]);
    }

    // Regression: accounts_json was once overwritten unconditionally, so a merge naming a client
    // without "accounts" (e.g. only to rotate its secret) widened it from its account list to ALL
    // accounts. Like every other column, it must keep its stored value when the document omits it.
    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Merging_a_new_secret_for_a_limited_client_keeps_its_account_limit(StoreKind kind)
    {
        await using var sim = await SeededStore.StartAsync(kind);
        await sim.MergeAsync("apiClients: [{clientId: qa, clientSecret: old, accounts: [example.com]}]");

        await sim.MergeAsync("apiClients: [{clientId: qa, clientSecret: new}]");

        var client = (await sim.Store.Accounts.FindApiClientAsync("qa", Ct)).ShouldNotBeNull();
        client.ClientSecret.ShouldBe("new");
        client.Scope.IsAll.ShouldBeFalse("a secret rotation must not widen the client to every account");
        client.Scope.Domains.ShouldBe(["example.com"]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task The_seed_service_leaves_tokens_and_product_instances_to_their_services_and_applies_the_accounts(StoreKind kind)
    {
        // Tokens and product instances are created by TokenService and TrustService (through SimulatorState),
        // so they follow the same id derivation and rules as API-made ones.
        await using var sim = await SeededStore.StartAsync(kind);

        await sim.MergeAsync("""
            accounts:
            - domain: new.test
              virtualAccounts:
              - {name: Ops, tokens: [{description: lab}]}
              - {name: Lab, productInstances: [{udi_pid: C9800-CL-K9, udi_serial_number: SN1}]}
            """);

        var account = (await sim.Store.Accounts.FindSmartAccountAsync("new.test", Ct)).ShouldNotBeNull();
        var ops = (await sim.Store.Accounts.FindVirtualAccountAsync(account.Id, "Ops", Ct)).ShouldNotBeNull();
        (await sim.Store.Inventory.ListTokensAsync(ops.Id, Ct)).ShouldBeEmpty();
        (await sim.Store.Inventory.FindProductInstanceAsync("PID:C9800-CL-K9,SN:SN1", Ct)).ShouldBeNull();
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task The_seed_service_leaves_a_documents_fault_rules_to_the_fault_engine_and_applies_the_rest(StoreKind kind)
    {
        // Fault rules are validated and applied by FaultEngine (through SimulatorState), not by SeedService.
        await using var sim = await SeededStore.StartAsync(kind);

        await sim.MergeAsync("faults: [{id: token-max-uses-bottleneck, enabled: false}]\naccounts: [{domain: new.test}]");

        (await sim.Store.Accounts.FindSmartAccountAsync("new.test", Ct)).ShouldNotBeNull();
        (await sim.Store.Faults.ListAsync(Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_fixed_seed_token_that_is_a_bare_token_id_is_refused_naming_the_field()
    {
        var ex = Should.Throw<EngineValidationException>(() => SeedReader.Parse(
            "accounts: [{domain: a.test, virtualAccounts: [{name: V, tokens: [{token: 3f2504e0-4f89-41d3-9a0c-0305e82c3301}]}]}]"));

        ex.Errors.Keys.ShouldBe(["accounts[0].virtualAccounts[0].tokens[0].token"]);
    }
}
