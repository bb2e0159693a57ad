using System.Text.Json.Nodes;
using CssmSim.Engine.Licensing;
using CssmSim.Engine.Policies;

namespace CssmSim.Engine.Tests.Policies;

/// <summary>The effective policy: VA's custom, else SA's, else none, merged onto the Cisco default with sources.</summary>
public sealed class PolicyResolutionTests
{
    // seed-000 §3.2, the Policy section (verbatim; blank lines are dropped when compared).
    private const string CiscoDefaultDeviceOutput = """
            Reporting ACK required: yes (CISCO default)
            Unenforced/Non-Export Perpetual Attributes:
                First report requirement (days): 365 (CISCO default)
                Reporting frequency (days): 0 (CISCO default)
                Report on change (days): 90 (CISCO default)
            Unenforced/Non-Export Subscription Attributes:
                First report requirement (days): 90 (CISCO default)
                Reporting frequency (days): 90 (CISCO default)
                Report on change (days): 90 (CISCO default)
            Enforced (Perpetual/Subscription) License Attributes:
                First report requirement (days): 0 (CISCO default)
                Reporting frequency (days): 0 (CISCO default)
                Report on change (days): 0 (CISCO default)
            Export (Perpetual/Subscription) License Attributes:
                First report requirement (days): 0 (CISCO default)
                Reporting frequency (days): 0 (CISCO default)

            Report on change (days): 0 (CISCO default)
        """;

    // seed-000 §3.3, the Policy section after "Policy name: SLE Policy" (verbatim).
    private const string SleDeviceOutput = """
          Reporting ACK required: yes (Customer Policy)
          Unenforced/Non-Export Perpetual Attributes:
            First report requirement (days): 60 (Customer Policy)
            Reporting frequency (days): 60 (Customer Policy)
            Report on change (days): 60 (Customer Policy)
          Unenforced/Non-Export Subscription Attributes:
            First report requirement (days): 30 (Customer Policy)
            Reporting frequency (days): 30 (Customer Policy)
            Report on change (days): 30 (Customer Policy)
          Enforced (Perpetual/Subscription) License Attributes:
            First report requirement (days): 0 (CISCO default)
            Reporting frequency (days): 90 (Customer Policy)
            Report on change (days): 90 (Customer Policy)
          Export (Perpetual/Subscription) License Attributes:
            First report requirement (days): 0 (CISCO default)
            Reporting frequency (days): 90 (Customer Policy)
            Report on change (days): 90 (Customer Policy)
        """;

    [Fact]
    public async Task Default_policy_json_is_the_artefacts_md_example_byte_for_byte()
    {
        // Arrange: the default seed has the example's accounts; the clock reads the example's issued_at.
        await using var h = await PolicyHarness.StartAsync();

        // Act
        var policy = await h.ResolveAsync();

        // Assert
        policy.JsonText.ShouldBe(PolicySamples.Compact(PolicySamples.CiscoDefaultExample));
        policy.PolicyName.ShouldBe(PolicyDefaults.PolicyName);
        policy.Source.ShouldBe(PolicyDefaults.CiscoSource);
        policy.Origin.ShouldBe(PolicyOrigin.CiscoDefault);
        policy.IssuedAtMs.ShouldBe(1700000000000);
        policy.Utf8Json.Span[0].ShouldBe((byte)'{', "no BOM");
    }

    [Fact]
    public async Task Default_policy_reads_like_the_guides_device_output()
    {
        await using var h = await PolicyHarness.StartAsync();

        var policy = await h.ResolveAsync();

        PolicySamples.DeviceLines(policy.ToJson()).ShouldBe(PolicySamples.Lines(CiscoDefaultDeviceOutput));
    }

    [Fact]
    public void Cisco_default_constants_are_the_guides_table()
    {
        PolicyDefaults.ReportingAckRequired.ShouldBeTrue();
        PolicyDefaults.UnenforcedPerpetual.ShouldBe(new PolicyTerms(365, 0, 90));
        PolicyDefaults.UnenforcedSubscription.ShouldBe(new PolicyTerms(90, 90, 90));
        PolicyDefaults.Enforced.ShouldBe(new PolicyTerms(0, 0, 0));
        PolicyDefaults.Export.ShouldBe(new PolicyTerms(0, 0, 0));
        PolicyDefaults.AttributeKeys.Count.ShouldBe(13);
    }

    [Fact]
    public async Task SLE_policy_on_the_VA_gives_customer_sources_for_what_it_sets_and_Cisco_default_for_the_rest()
    {
        // Arrange
        await using var h = await PolicyHarness.StartAsync();
        await h.SetAsync("DEFAULT", PolicySamples.Sle);

        // Act
        var policy = await h.ResolveAsync();

        // Assert
        PolicySamples.DeviceLines(policy.ToJson()).ShouldBe(PolicySamples.Lines(SleDeviceOutput));
        policy.PolicyName.ShouldBe("SLE Policy");
        policy.Source.ShouldBe(PolicyDefaults.CustomerSource);
        policy.Origin.ShouldBe(PolicyOrigin.VirtualAccount);
        policy.TermsOf(PolicyClass.UnenforcedPerpetual).ShouldBe(new PolicyTerms(60, 60, 60));
        policy.TermsOf(PolicyClass.UnenforcedSubscription).ShouldBe(new PolicyTerms(30, 30, 30));
        policy.TermsOf(PolicyClass.Enforced).ShouldBe(new PolicyTerms(0, 90, 90));
        policy.TermsOf(PolicyClass.Export).ShouldBe(new PolicyTerms(0, 90, 90));
        policy.Sources["enforced.first_report_days"].ShouldBe(PolicyDefaults.CiscoSource);
        policy.Sources["export.first_report_days"].ShouldBe(PolicyDefaults.CiscoSource);
        policy.Sources.Count(kv => kv.Value == PolicyDefaults.CustomerSource).ShouldBe(11);
    }

    [Fact]
    public async Task Json_keeps_artefacts_md_key_order_and_number_types_for_a_custom_policy()
    {
        await using var h = await PolicyHarness.StartAsync();
        await h.SetAsync("DEFAULT", PolicySamples.Sle);

        var json = (await h.ResolveAsync()).ToJson();

        json.Select(kv => kv.Key).ShouldBe(
        [
            "version", "policy_name", "source", "reporting_ack_required", "unenforced_perpetual", "unenforced_subscription",
            "enforced", "export", "sources", "issued_at", "smart_account", "virtual_account",
        ]);
        json["enforced"]!.AsObject().Select(kv => kv.Key).ShouldBe(["first_report_days", "reporting_frequency_days", "report_on_change_days"]);
        json["enforced"]!["reporting_frequency_days"]!.GetValueKind().ShouldBe(System.Text.Json.JsonValueKind.Number);
        json["issued_at"]!.GetValueKind().ShouldBe(System.Text.Json.JsonValueKind.Number);
        json["reporting_ack_required"]!.GetValueKind().ShouldBe(System.Text.Json.JsonValueKind.True);
        json["sources"]!.AsObject().Select(kv => kv.Key).ShouldBe(PolicyDefaults.AttributeKeys);
        json["smart_account"]!.AsObject().Select(kv => kv.Key).ShouldBe(["id", "domain", "name"]);
        json["virtual_account"]!.AsObject().Select(kv => kv.Key).ShouldBe(["id", "name"]);
    }

    [Fact]
    public async Task A_partial_custom_policy_merges_one_number_onto_the_default()
    {
        // Arrange: only one attribute, at the Smart Account level.
        await using var h = await PolicyHarness.StartAsync();
        await h.SetAsync(null, """{"unenforced_perpetual":{"reporting_frequency_days":60}}""");

        // Act
        var policy = await h.ResolveAsync();

        // Assert
        policy.TermsOf(PolicyClass.UnenforcedPerpetual).ShouldBe(new PolicyTerms(365, 60, 90));
        policy.TermsOf(PolicyClass.UnenforcedSubscription).ShouldBe(PolicyDefaults.UnenforcedSubscription);
        policy.TermsOf(PolicyClass.Enforced).ShouldBe(PolicyDefaults.Enforced);
        policy.TermsOf(PolicyClass.Export).ShouldBe(PolicyDefaults.Export);
        policy.ReportingAckRequired.ShouldBeTrue();
        policy.Sources.Where(kv => kv.Value == PolicyDefaults.CustomerSource).Select(kv => kv.Key)
            .ShouldBe(["unenforced_perpetual.reporting_frequency_days"]);
        policy.Source.ShouldBe(PolicyDefaults.CustomerSource);
        policy.PolicyName.ShouldBe(PolicyDefaults.UnnamedCustomPolicyName);
        policy.Origin.ShouldBe(PolicyOrigin.SmartAccount);
    }

    [Fact]
    public async Task A_custom_policy_that_only_names_itself_keeps_every_attribute_and_the_top_level_source_at_Cisco_default()
    {
        await using var h = await PolicyHarness.StartAsync();
        await h.SetAsync("DEFAULT", """{"policy_name":"Named only"}""");

        var policy = await h.ResolveAsync();

        policy.PolicyName.ShouldBe("Named only");
        policy.Source.ShouldBe(PolicyDefaults.CiscoSource);
        policy.Sources.Values.ShouldAllBe(s => s == PolicyDefaults.CiscoSource);
    }

    [Fact]
    public async Task The_ack_flag_can_be_turned_off_by_a_custom_policy()
    {
        await using var h = await PolicyHarness.StartAsync();
        await h.SetAsync(null, """{"reporting_ack_required":false}""");

        var policy = await h.ResolveAsync();

        policy.ReportingAckRequired.ShouldBeFalse();
        policy.ToJson()["reporting_ack_required"]!.GetValue<bool>().ShouldBeFalse();
        policy.Sources["reporting_ack_required"].ShouldBe(PolicyDefaults.CustomerSource);
    }

    [Fact]
    public async Task VA_custom_wins_over_SA_custom_entirely_and_other_VAs_inherit_the_SA_one()
    {
        // Arrange
        await using var h = await PolicyHarness.StartAsync();
        await h.SetAsync(null, """{"policy_name":"Account policy","enforced":{"reporting_frequency_days":30}}""");
        await h.SetAsync("DEFAULT", """{"policy_name":"VA policy","export":{"reporting_frequency_days":90}}""");

        // Act
        var onDefault = await h.ResolveAsync(va: "DEFAULT");
        var onLab = await h.ResolveAsync(va: "Lab");

        // Assert: the VA's policy replaces the SA's, so enforced goes back to the Cisco default there.
        onDefault.PolicyName.ShouldBe("VA policy");
        onDefault.Origin.ShouldBe(PolicyOrigin.VirtualAccount);
        onDefault.TermsOf(PolicyClass.Export).ReportingFrequencyDays.ShouldBe(90);
        onDefault.TermsOf(PolicyClass.Enforced).ReportingFrequencyDays.ShouldBe(0);
        onDefault.Sources["enforced.reporting_frequency_days"].ShouldBe(PolicyDefaults.CiscoSource);
        onLab.PolicyName.ShouldBe("Account policy");
        onLab.Origin.ShouldBe(PolicyOrigin.SmartAccount);
        onLab.TermsOf(PolicyClass.Enforced).ReportingFrequencyDays.ShouldBe(30);
        onLab.TermsOf(PolicyClass.Export).ReportingFrequencyDays.ShouldBe(0);
        onLab.ToJson()["virtual_account"]!["name"]!.GetValue<string>().ShouldBe("Lab");
    }

    [Fact]
    public async Task Clearing_the_VA_policy_falls_back_to_the_SA_one_and_clearing_that_to_the_Cisco_default()
    {
        await using var h = await PolicyHarness.StartAsync();
        await h.SetAsync(null, """{"policy_name":"Account policy"}""");
        await h.SetAsync("DEFAULT", """{"policy_name":"VA policy"}""");

        await h.Policies.ClearCustomAsync("example.com", "DEFAULT", PolicyHarness.Ct);
        (await h.ResolveAsync()).PolicyName.ShouldBe("Account policy");

        await h.Policies.ClearCustomAsync("EXAMPLE.COM", null, PolicyHarness.Ct);
        var policy = await h.ResolveAsync();
        policy.PolicyName.ShouldBe(PolicyDefaults.PolicyName);
        policy.Origin.ShouldBe(PolicyOrigin.CiscoDefault);
        (await h.Policies.GetCustomAsync("example.com", null, PolicyHarness.Ct)).ShouldBeNull();
        (await h.Policies.GetCustomAsync("example.com", "DEFAULT", PolicyHarness.Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task An_empty_VA_policy_shields_the_VA_from_the_SA_policy()
    {
        await using var h = await PolicyHarness.StartAsync();
        await h.SetAsync(null, """{"enforced":{"reporting_frequency_days":30}}""");
        await h.SetAsync("DEFAULT", "{}");

        var policy = await h.ResolveAsync();

        policy.Origin.ShouldBe(PolicyOrigin.VirtualAccount);
        policy.TermsOf(PolicyClass.Enforced).ShouldBe(PolicyDefaults.Enforced);
        policy.Source.ShouldBe(PolicyDefaults.CiscoSource);
    }

    [Fact]
    public async Task Policies_from_a_seed_document_resolve_like_control_md_says()
    {
        // Arrange: control.md §Seed document's example, with a policy on the account and on its DEFAULT VA.
        await using var h = await PolicyHarness.StartAsync("""
            accounts:
            - domain: acme.test
              name: Acme
              accountId: "100001"
              policy: {policy_name: Acme policy, unenforced_perpetual: {reporting_frequency_days: 60}}
              virtualAccounts:
              - name: DEFAULT
                id: "200001"
                default: true
                policy: {policy_name: Acme lab policy, enforced: {reporting_frequency_days: 90}}
              - Lab
            """);

        // Act
        var onDefault = await h.ResolveAsync("acme.test", "DEFAULT");
        var onLab = await h.ResolveAsync("acme.test", "Lab");

        // Assert
        onDefault.PolicyName.ShouldBe("Acme lab policy");
        onDefault.TermsOf(PolicyClass.Enforced).ShouldBe(new PolicyTerms(0, 90, 0));
        onDefault.TermsOf(PolicyClass.UnenforcedPerpetual).ShouldBe(PolicyDefaults.UnenforcedPerpetual);
        onLab.PolicyName.ShouldBe("Acme policy");
        onLab.TermsOf(PolicyClass.UnenforcedPerpetual).ShouldBe(new PolicyTerms(365, 60, 90));
        var sa = onDefault.ToJson()["smart_account"]!;
        sa.ToJsonString().ShouldBe("""{"id":"100001","domain":"acme.test","name":"Acme"}""");
    }

    [Fact]
    public async Task The_account_level_view_shows_the_stored_custom_policy_and_the_default_VA_effective_one()
    {
        await using var h = await PolicyHarness.StartAsync();
        await h.SetAsync(null, """{"policy_name":"Account policy","enforced":{"report_on_change_days":7}}""");

        var view = await h.Policies.GetAccountPolicyAsync("Example.COM", PolicyHarness.Ct);

        view.SmartAccount.Domain.ShouldBe("example.com");
        view.Custom.ShouldNotBeNull().ToJsonString().ShouldBe("""{"policy_name":"Account policy","enforced":{"report_on_change_days":7}}""");
        view.DefaultVirtualAccount.ShouldNotBeNull().Name.ShouldBe("DEFAULT");
        view.Effective.ShouldNotBeNull().TermsOf(PolicyClass.Enforced).ReportOnChangeDays.ShouldBe(7);
    }

    [Fact]
    public async Task The_version_is_stable_across_services_and_clocks_and_changes_with_content_or_accounts()
    {
        // Arrange: two independent simulators on the same seed, at different times.
        await using var a = await PolicyHarness.StartAsync();
        await using var b = await PolicyHarness.StartAsync();
        b.Clock.Advance(TimeSpan.FromDays(3));

        // Act
        var first = await a.ResolveAsync();
        var second = await b.ResolveAsync();
        var lab = await a.ResolveAsync(va: "Lab");
        await b.SetAsync("DEFAULT", """{"export":{"report_on_change_days":1}}""");
        var changed = await b.ResolveAsync();

        // Assert
        first.Version.ShouldBe(second.Version);
        first.IssuedAt.ShouldNotBe(second.IssuedAt);
        first.Version.ShouldMatch("^[0-9a-f]{16}$");
        lab.Version.ShouldNotBe(first.Version);
        changed.Version.ShouldNotBe(first.Version);
    }

    [Fact]
    public async Task A_stored_policy_that_no_longer_validates_is_used_attribute_by_attribute()
    {
        // Arrange: written past validation, as a hand-edited snapshot could.
        await using var h = await PolicyHarness.StartAsync();
        var (sa, va) = await h.AccountsAsync();
        await h.Store.Accounts.SetPolicyJsonAsync(sa.Id, va.Id,
            """{"policy_name":"Edited","enforced":{"first_report_days":-5,"reporting_frequency_days":12}}""", PolicyHarness.Ct);

        // Act
        var policy = await h.ResolveAsync();

        // Assert
        policy.PolicyName.ShouldBe("Edited");
        policy.TermsOf(PolicyClass.Enforced).ShouldBe(new PolicyTerms(0, 12, 0));
        policy.Sources["enforced.first_report_days"].ShouldBe(PolicyDefaults.CiscoSource);
    }

    [Theory]
    [InlineData(Enforcement.Unenforced, LicenseType.Perpetual, PolicyClass.UnenforcedPerpetual)]
    [InlineData(Enforcement.Unenforced, LicenseType.Standard, PolicyClass.UnenforcedPerpetual)]
    [InlineData(Enforcement.Unenforced, LicenseType.Term, PolicyClass.UnenforcedSubscription)]
    [InlineData(Enforcement.Unenforced, LicenseType.Demo, PolicyClass.UnenforcedSubscription)]
    [InlineData(Enforcement.Enforced, LicenseType.Term, PolicyClass.Enforced)]
    [InlineData(Enforcement.ExportControlled, LicenseType.Perpetual, PolicyClass.Export)]
    public void License_classes_follow_control_md(Enforcement enforcement, LicenseType type, PolicyClass expected)
    {
        PolicyClasses.Of(enforcement, type).ShouldBe(expected);
    }

    [Fact]
    public async Task ToJson_returns_a_fresh_copy_each_time()
    {
        await using var h = await PolicyHarness.StartAsync();
        var policy = await h.ResolveAsync();

        var copy = policy.ToJson();
        copy["policy_name"] = "mutated";

        policy.ToJson()["policy_name"]!.GetValue<string>().ShouldBe(PolicyDefaults.PolicyName);
        JsonNode.Parse(policy.JsonText)!["policy_name"]!.GetValue<string>().ShouldBe(PolicyDefaults.PolicyName);
    }
}
