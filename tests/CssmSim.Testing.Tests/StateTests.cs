using System.Text.Json.Nodes;

namespace CssmSim.Testing.Tests;

/// <summary>Reset, seeds, snapshots, policies and the inventory views.</summary>
public sealed class StateTests
{
    [Fact]
    public async Task Reset_returns_tokens_devices_faults_clock_transitions_and_journal_to_the_start()
    {
        var start = DateTimeOffset.Parse("2026-03-01T00:00:00Z");
        await using var cssm = await CssmSimulator.StartAsync(o => o.Clock = VirtualClock.Frozen(start));
        var token = await cssm.Tokens.CreateAsync();
        (await cssm.NewProductInstance("C9800-CL-K9", "RESET01").EstablishTrustAsync(token.Value)).ShouldBeTrusted();
        await cssm.Faults.AddAsync(Fault.On(Operation.Hello).Status(500));
        await cssm.PollTransitions.SetAsync(PollAction.Trust, PollProgress.AfterPolls(3));
        cssm.Clock.Advance(TimeSpan.FromDays(40));

        await cssm.ResetAsync();

        (await cssm.Tokens.ListAsync()).ShouldBeEmpty();
        (await cssm.ProductInstances.ListAsync()).ShouldBeEmpty();
        cssm.Faults.List().ShouldAllBe(r => r.Builtin);
        (await cssm.PollTransitions.ListAsync()).Select(t => t.Progression).ShouldBe(["polls", "immediate", "immediate", "immediate"]);
        (await cssm.PollTransitions.TimingAsync()).ShouldBe(Engine.Jobs.TimingProfile.Fast);
        cssm.Clock.Now.ShouldBe(start);
        cssm.Journal.Entries.ShouldBeEmpty();
        (await cssm.Events.ListAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_custom_seed_gives_its_accounts_and_licenses()
    {
        var seed = Seed.FromYaml("""
            accounts:
            - domain: acme.example
              name: Acme
              virtualAccounts:
              - name: Plant-1
                licenses:
                - {tag: "regid.2019-03.com.cisco.DNA_HSEC,1.0_509c41ab-05a8-431f-95fe-ec28086e8844", displayName: HSEC, enforcement: export-controlled, type: PERPETUAL, quantity: 3}
            """);
        await using var cssm = await CssmSimulator.StartAsync(o => o.Seed = seed);

        var accounts = await cssm.Accounts.ListAsync();
        var licenses = await cssm.Licenses.ListAsync("Plant-1");

        accounts.ShouldHaveSingleItem().Domain.ShouldBe("acme.example");
        accounts[0].VirtualAccounts.ShouldHaveSingleItem().Name.ShouldBe("Plant-1");
        licenses.ShouldHaveSingleItem().Enforcement.ShouldBe("export-controlled");
        licenses[0].Quantity.ShouldBe(3);
    }

    [Fact]
    public async Task A_seed_merged_later_adds_accounts_and_a_reset_forgets_them()
    {
        await using var cssm = await CssmSimulator.StartAsync();

        await cssm.Accounts.SeedAsync(Seed.FromJson("""{"accounts":[{"domain":"second.example","virtualAccounts":[{"name":"DEFAULT"}]}]}"""));
        var merged = await cssm.Accounts.ListAsync();
        await cssm.ResetAsync();

        merged.Select(a => a.Domain).ShouldBe(["example.com", "second.example"]);
        (await cssm.Accounts.ListAsync()).ShouldHaveSingleItem().Domain.ShouldBe("example.com");
    }

    [Fact]
    public async Task With_two_smart_accounts_an_unnamed_one_is_refused_and_the_message_lists_them()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        await cssm.Accounts.SeedAsync(Seed.FromJson("""{"accounts":[{"domain":"second.example","virtualAccounts":[{"name":"DEFAULT"}]}]}"""));

        var refused = await Should.ThrowAsync<ArgumentException>(() => cssm.Tokens.CreateAsync());
        var named = await cssm.Tokens.CreateAsync(smartAccount: "second.example");

        refused.Message.ShouldContain("example.com, second.example");
        named.SmartAccount.ShouldBe("second.example");
    }

    [Fact]
    public async Task An_unknown_virtual_account_is_refused_with_the_names_that_exist()
    {
        await using var cssm = await CssmSimulator.StartAsync();

        var refused = await Should.ThrowAsync<ArgumentException>(() => cssm.Tokens.CreateAsync("Nope"));

        refused.Message.ShouldBe("no Virtual Account 'Nope' in Smart Account example.com; it has: DEFAULT, Lab (Parameter 'virtualAccount')");
    }

    [Fact]
    public void An_invalid_seed_is_refused_with_the_field_at_fault()
    {
        var refused = Should.Throw<ArgumentException>(() => Seed.FromYaml("accounts:\n- name: no domain\n"));

        refused.Message.ShouldContain("accounts[0].domain");
    }

    [Fact]
    public async Task A_snapshot_imported_into_another_simulator_gives_the_same_state_byte_for_byte()
    {
        await using var source = await CssmSimulator.StartAsync(o => o.Clock = VirtualClock.Frozen(DateTimeOffset.Parse("2026-02-01T00:00:00Z")));
        await using var target = await CssmSimulator.StartAsync();
        var token = await source.Tokens.CreateAsync(maxUses: 9, description: "snap");
        (await source.NewProductInstance("C9800-CL-K9", "SNAP01").EstablishTrustAsync(token.Value)).ShouldBeTrusted();
        await source.Faults.AddAsync(Fault.On(Operation.TrustSync).WithId("kept").Error("X_KEPT"));

        var exported = await source.Snapshot.ExportAsync();
        await target.Snapshot.ImportAsync(exported);

        (await target.Snapshot.ExportAsync()).ShouldBe(exported);
        (await target.Tokens.FindAsync(token.Id)).ShouldNotBeNull().Uses.ShouldBe(1);
        (await target.ProductInstances.FindAsync("C9800-CL-K9", "SNAP01")).ShouldNotBeNull().Trusted.ShouldBeTrue();
        target.Faults.Find("kept").ShouldNotBeNull();
        target.Clock.Now.ShouldBe(DateTimeOffset.Parse("2026-02-01T00:00:00Z"));
    }

    [Fact]
    public async Task Importing_something_that_is_not_a_snapshot_is_refused()
    {
        await using var cssm = await CssmSimulator.StartAsync();

        await Should.ThrowAsync<ArgumentException>(() => cssm.Snapshot.ImportAsync("not json"u8.ToArray()));
        await Should.ThrowAsync<ArgumentException>(() => cssm.Snapshot.ImportAsync("""{"store":{}}"""u8.ToArray()));
    }

    [Fact]
    public async Task A_custom_policy_on_the_virtual_account_is_the_one_in_force_until_cleared()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        var before = await cssm.Policies.GetAsync();

        await cssm.Policies.SetCustomAsync(new JsonObject { ["policy_name"] = "Lab policy", ["reporting_ack_required"] = false });
        var custom = await cssm.Policies.GetAsync();
        await cssm.Policies.ClearCustomAsync();
        var cleared = await cssm.Policies.GetAsync();

        before.Level.ShouldBe(PolicyLevel.CiscoDefault);
        custom.Level.ShouldBe(PolicyLevel.VirtualAccount);
        custom.Name.ShouldBe("Lab policy");
        custom.ReportingAckRequired.ShouldBeFalse();
        cleared.Level.ShouldBe(PolicyLevel.CiscoDefault);
        (await cssm.Events.ListAsync(type: "POLICY_CHANGED")).Count.ShouldBe(2);
    }

    [Fact]
    public async Task Poll_transitions_set_in_process_are_listed()
    {
        await using var cssm = await CssmSimulator.StartAsync();

        await cssm.PollTransitions.SetAsync(PollAction.Acknowledgements, PollProgress.AfterTime(TimeSpan.FromHours(2)), pollIntervalSeconds: 60);
        var listed = await cssm.PollTransitions.ListAsync();

        var acks = listed.First(t => t.Action == "acknowledgements");
        acks.Progression.ShouldBe("time");
        acks.Duration.ShouldBe(TimeSpan.FromHours(2));
        acks.PollIntervalSeconds.ShouldBe(60);
    }

    [Fact]
    public async Task Trust_appears_in_the_event_log_with_the_account_names()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        var token = await cssm.Tokens.CreateAsync();
        (await cssm.NewProductInstance("C9800-CL-K9", "EVENT01").EstablishTrustAsync(token.Value)).ShouldBeTrusted();

        var events = await cssm.Events.ListAsync(smartAccount: "example.com");

        events.Select(e => e.Type).ShouldBe(["TOKEN_CREATED", "TRUST_ISSUED"]);
        events.ShouldAllBe(e => e.SmartAccount == "example.com" && e.VirtualAccount == "DEFAULT");
    }
}
