using System.Text.Json.Nodes;
using CssmSim.Engine.Policies;
using CssmSim.Engine.Validation;

namespace CssmSim.Engine.Tests.Policies;

/// <summary>Setting and clearing custom policies: validation at JSON paths, unknown accounts, change notifications.</summary>
public sealed class PolicyCustomTests
{
    [Theory]
    [InlineData("""{"enforced":{"reporting_frequency_days":-1}}""", "enforced.reporting_frequency_days")]
    [InlineData("""{"enforced":{"reporting_frequency_days":3651}}""", "enforced.reporting_frequency_days")]
    [InlineData("""{"export":{"first_report_days":1.5}}""", "export.first_report_days")]
    [InlineData("""{"export":{"weekly":true}}""", "export.weekly")]
    [InlineData("""{"colour":"blue"}""", "colour")]
    [InlineData("""{"reporting_ack_required":"yes"}""", "reporting_ack_required")]
    [InlineData("""{"policy_name":42}""", "policy_name")]
    [InlineData("""{"unenforced_perpetual":[]}""", "unenforced_perpetual")]
    [InlineData("""[1,2]""", "$")]
    public async Task An_invalid_body_is_refused_naming_the_field_and_nothing_is_stored(string body, string path)
    {
        // Arrange
        await using var h = await PolicyHarness.StartAsync();

        // Act
        var e = await Should.ThrowAsync<EngineValidationException>(() => h.SetAsync("DEFAULT", body));

        // Assert
        e.Errors.Keys.ShouldContain(path);
        (await h.Policies.GetCustomAsync("example.com", "DEFAULT", PolicyHarness.Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task Every_field_at_fault_is_reported_at_once()
    {
        await using var h = await PolicyHarness.StartAsync();

        var e = await Should.ThrowAsync<EngineValidationException>(() =>
            h.SetAsync(null, """{"enforced":{"reporting_frequency_days":-1,"first_report_days":-2},"bogus":1}"""));

        e.Errors.Keys.ShouldBe(["bogus", "enforced.first_report_days", "enforced.reporting_frequency_days"], ignoreOrder: true);
    }

    [Fact]
    public async Task A_valid_body_is_stored_as_its_clean_copy()
    {
        await using var h = await PolicyHarness.StartAsync();

        await h.SetAsync("Lab", """{ "export" : { "report_on_change_days" : 30.0 }, "policy_name" : "Lab policy" }""");

        var stored = (await h.Policies.GetCustomAsync("example.com", "Lab", PolicyHarness.Ct)).ShouldNotBeNull();
        stored.ToJsonString().ShouldBe("""{"policy_name":"Lab policy","export":{"report_on_change_days":30}}""");
    }

    [Fact]
    public async Task Unknown_domain_or_VA_is_not_found_and_VA_names_are_case_sensitive()
    {
        await using var h = await PolicyHarness.StartAsync();
        var body = JsonNode.Parse("""{"policy_name":"x"}""")!;

        await Should.ThrowAsync<EntityNotFoundException>(() => h.Policies.SetCustomAsync("nowhere.test", null, body, PolicyHarness.Ct));
        await Should.ThrowAsync<EntityNotFoundException>(() => h.Policies.SetCustomAsync("example.com", "Nope", body, PolicyHarness.Ct));
        await Should.ThrowAsync<EntityNotFoundException>(() => h.Policies.SetCustomAsync("example.com", "default", body, PolicyHarness.Ct));
        await Should.ThrowAsync<EntityNotFoundException>(() => h.Policies.ClearCustomAsync("nowhere.test", null, PolicyHarness.Ct));
        await Should.ThrowAsync<EntityNotFoundException>(() => h.Policies.ClearCustomAsync("example.com", "LAB", PolicyHarness.Ct));
        await Should.ThrowAsync<EntityNotFoundException>(() => h.Policies.ResolveAsync("example.com", "lab", PolicyHarness.Ct));
        await Should.ThrowAsync<EntityNotFoundException>(() => h.Policies.GetAccountPolicyAsync("nowhere.test", PolicyHarness.Ct));
        await Should.ThrowAsync<EntityNotFoundException>(() => h.Policies.GetPolicyFileAsync("example.com", "Nope", PolicyHarness.Ct));
    }

    [Fact]
    public async Task Domains_are_case_insensitive_and_a_VA_may_be_named_by_id()
    {
        await using var h = await PolicyHarness.StartAsync();

        await h.Policies.SetCustomAsync("EXAMPLE.com", "234568", JsonNode.Parse("""{"policy_name":"By id"}""")!, PolicyHarness.Ct);

        (await h.ResolveAsync(va: "Lab")).PolicyName.ShouldBe("By id");
    }

    [Fact]
    public async Task Set_and_clear_raise_Changed_with_the_account_and_the_new_policy()
    {
        await using var h = await PolicyHarness.StartAsync();
        var changes = new List<PolicyChange>();
        h.Policies.Changed += changes.Add;

        await h.SetAsync("Lab", """{"policy_name":"Lab policy"}""");
        await h.Policies.ClearCustomAsync("example.com", null, PolicyHarness.Ct);

        changes.Count.ShouldBe(2);
        changes[0].SmartAccount.Domain.ShouldBe("example.com");
        changes[0].VirtualAccount.ShouldNotBeNull().Name.ShouldBe("Lab");
        changes[0].Custom.ShouldNotBeNull()["policy_name"]!.GetValue<string>().ShouldBe("Lab policy");
        changes[1].VirtualAccount.ShouldBeNull();
        changes[1].Custom.ShouldBeNull();
    }

    [Fact]
    public async Task Clearing_where_nothing_is_set_is_not_an_error()
    {
        await using var h = await PolicyHarness.StartAsync();

        await h.Policies.ClearCustomAsync("example.com", "DEFAULT", PolicyHarness.Ct);

        (await h.ResolveAsync()).Origin.ShouldBe(PolicyOrigin.CiscoDefault);
    }
}
