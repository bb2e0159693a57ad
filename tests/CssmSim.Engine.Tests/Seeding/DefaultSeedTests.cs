using CssmSim.Engine.Seeding;
using CssmSim.Engine.Tests.Support;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Seeding;

/// <summary>control.md §Default seed is normative: the parsed document must match it exactly.</summary>
public sealed class DefaultSeedTests
{
    [Fact]
    public void The_default_seed_has_random_seed_1_the_cssmsim_client_and_the_cssmsim_user_for_all_accounts()
    {
        var doc = SeedReader.Parse(DefaultSeed.Yaml);

        doc.RandomSeed.ShouldBe(1);
        var client = doc.ApiClients.ShouldHaveSingleItem();
        client.ClientId.ShouldBe("cssmsim");
        client.ClientSecret.ShouldBe("cssmsim");
        client.Accounts.ShouldBeNull();
        // Three public clients use the password grant (control.md §Default seed).
        var user = doc.Users.ShouldHaveSingleItem();
        user.Username.ShouldBe("cssmsim-user");
        user.Password.ShouldBe("cssmsim");
        user.Email.ShouldBe("cssmsim-user@example.com");
        user.Accounts.ShouldBeNull();
        doc.Faults.ShouldBeEmpty();
    }

    [Fact]
    public void The_default_seed_has_one_account_example_com_with_id_123456()
    {
        var doc = SeedReader.Parse(DefaultSeed.Yaml);

        var account = doc.Accounts.ShouldHaveSingleItem();
        account.Domain.ShouldBe("example.com");
        account.Name.ShouldBe("Example Co");
        account.AccountId.ShouldBe("123456");
        account.Policy.ShouldBeNull();
    }

    [Fact]
    public void The_default_seed_has_DEFAULT_234567_as_default_and_Lab_234568()
    {
        var vas = SeedReader.Parse(DefaultSeed.Yaml).Accounts[0].VirtualAccounts;

        vas.Select(v => (v.Name, v.Id, v.Default)).ShouldBe([("DEFAULT", "234567", true), ("Lab", "234568", null)]);
        vas[1].Licenses.ShouldBeEmpty();
        vas.ShouldAllBe(v => v.Tokens.Count == 0 && v.ProductInstances.Count == 0);
    }

    [Fact]
    public void The_default_seed_DEFAULT_account_has_exactly_the_four_specified_licenses()
    {
        var licenses = SeedReader.Parse(DefaultSeed.Yaml).Accounts[0].VirtualAccounts[0].Licenses;

        licenses.ShouldBe(
        [
            new SeedLicense(Seeds.NwStackTag, "AP Perpetual Networkstack Advantage", "unenforced", "PERPETUAL", 100, null, null),
            new SeedLicense(Seeds.AirDnaTag, "Aironet DNA Advantage Term Licenses", "unenforced", "TERM", 100, null, null),
            new SeedLicense(Seeds.HsecTag, "Router US Export Lic. for DNA", "export-controlled", "PERPETUAL", 10, null, null),
            new SeedLicense(Seeds.EnforcedDemoTag, "Simulated enforced license (demo)", "enforced", "PERPETUAL", 5, null, null),
        ]);
    }

    [Fact]
    public void DefaultSeed_Document_is_the_parse_of_DefaultSeed_Yaml()
    {
        Seeds.Canonical(DefaultSeed.Document).ShouldBe(Seeds.Canonical(SeedReader.Parse(DefaultSeed.Yaml)));
    }

    [Fact]
    public void The_default_seed_written_as_JSON_parses_to_the_same_document_as_the_YAML()
    {
        const string json = """
            {
              "randomSeed": 1,
              "apiClients": [{"clientId": "cssmsim", "clientSecret": "cssmsim"}],
              "users": [{"username": "cssmsim-user", "password": "cssmsim", "email": "cssmsim-user@example.com"}],
              "accounts": [{
                "domain": "example.com", "name": "Example Co", "accountId": "123456",
                "virtualAccounts": [
                  {"name": "DEFAULT", "id": "234567", "default": true, "licenses": [
                    {"tag": "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896", "displayName": "AP Perpetual Networkstack Advantage", "enforcement": "unenforced", "type": "PERPETUAL", "quantity": 100},
                    {"tag": "regid.2017-08.com.cisco.AIR-DNA-A,1.0_b6308627-3ab0-4a11-a3d9-586911a0d790", "displayName": "Aironet DNA Advantage Term Licenses", "enforcement": "unenforced", "type": "TERM", "quantity": 100},
                    {"tag": "regid.2019-03.com.cisco.DNA_HSEC,1.0_509c41ab-05a8-431f-95fe-ec28086e8844", "displayName": "Router US Export Lic. for DNA", "enforcement": "export-controlled", "type": "PERPETUAL", "quantity": 10},
                    {"tag": "regid.2020-01.com.cisco.CSSMSIM_ENFORCED_DEMO,1.0_00000000-0000-4000-8000-000000000001", "displayName": "Simulated enforced license (demo)", "enforcement": "enforced", "type": "PERPETUAL", "quantity": 5}
                  ]},
                  {"name": "Lab", "id": "234568"}
                ]
              }]
            }
            """;

        Seeds.Canonical(SeedReader.Parse(json)).ShouldBe(Seeds.Canonical(SeedReader.Parse(DefaultSeed.Yaml)));
    }
}
