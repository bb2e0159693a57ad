using CssmSim.Engine.Seeding;
using CssmSim.Engine.Tests.Support;
using CssmSim.Engine.Validation;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Seeding;

public sealed class SeedReaderTests
{
    private static EngineValidationException Refused(string text) =>
        Should.Throw<EngineValidationException>(() => SeedReader.Parse(text));

    private const string FullJson = """
        {
          "randomSeed": 42,
          "apiClients": [{"clientId": "qa", "clientSecret": "qa-secret", "accounts": ["acme.test"]}],
          "users": [{"username": "qa-user", "password": "qa-pass", "accounts": ["acme.test"]}],
          "faults": [{"id": "token-max-uses-bottleneck", "enabled": false}],
          "accounts": [{
            "domain": "acme.test", "name": "Acme", "accountId": "100001",
            "policy": {"policy_name": "Acme policy", "unenforced_perpetual": {"reporting_frequency_days": 60}},
            "virtualAccounts": [{
              "name": "DEFAULT", "id": "200001", "default": true, "description": "",
              "exportControlledAllowed": true,
              "policy": {"policy_name": "Acme lab policy", "enforced": {"reporting_frequency_days": 90}},
              "licenses": [
                {"tag": "regid.2019-03.com.cisco.DNA_HSEC,1.0_509c41ab-05a8-431f-95fe-ec28086e8844",
                 "displayName": "Router US Export Lic. for DNA", "enforcement": "export-controlled",
                 "type": "PERPETUAL", "quantity": 10},
                {"tag": "regid.2017-08.com.cisco.AIR-DNA-A,1.0_b6308627-3ab0-4a11-a3d9-586911a0d790",
                 "type": "TERM", "quantity": 3, "startDate": "2026-01-01", "endDate": "2026-12-31"}],
              "tokens": [{"token": "fixed", "description": "lab", "expiresAfterDays": 30,
                          "maxUses": 5, "exportControlled": true}],
              "productInstances": [{"udi_pid": "C9800-CL-K9", "udi_serial_number": "93BBAH93MGS",
                                    "hostname": "wlc-1", "trusted": true, "exportControlled": false}]
            }, "Lab"]
          }]
        }
        """;

    private const string FullYaml = """
        randomSeed: 42
        apiClients:
        - clientId: qa
          clientSecret: qa-secret
          accounts: [acme.test]
        users:
        - {username: qa-user, password: qa-pass, accounts: [acme.test]}
        faults:
        - id: token-max-uses-bottleneck
          enabled: false
        accounts:
        - domain: acme.test
          name: Acme
          accountId: "100001"
          policy:
            policy_name: Acme policy
            unenforced_perpetual: {reporting_frequency_days: 60}
          virtualAccounts:
          - name: DEFAULT
            id: "200001"
            default: true
            description: ""
            exportControlledAllowed: true
            policy: {policy_name: Acme lab policy, enforced: {reporting_frequency_days: 90}}
            licenses:
            - tag: regid.2019-03.com.cisco.DNA_HSEC,1.0_509c41ab-05a8-431f-95fe-ec28086e8844
              displayName: Router US Export Lic. for DNA
              enforcement: export-controlled
              type: PERPETUAL
              quantity: 10
            - tag: regid.2017-08.com.cisco.AIR-DNA-A,1.0_b6308627-3ab0-4a11-a3d9-586911a0d790
              type: TERM
              quantity: 3
              startDate: "2026-01-01"
              endDate: "2026-12-31"
            tokens:
            - {token: fixed, description: lab, expiresAfterDays: 30, maxUses: 5, exportControlled: true}
            productInstances:
            - {udi_pid: C9800-CL-K9, udi_serial_number: 93BBAH93MGS, hostname: wlc-1, trusted: true, exportControlled: false}
          - Lab
        """;

    [Fact]
    public void The_same_document_in_JSON_and_YAML_reads_to_equal_results()
    {
        var fromJson = SeedReader.Parse(FullJson);
        var fromYaml = SeedReader.Parse(FullYaml);

        Seeds.Canonical(fromYaml).ShouldBe(Seeds.Canonical(fromJson));
    }

    [Fact]
    public void Every_field_of_the_spec_example_is_read()
    {
        var doc = SeedReader.Parse(FullJson);

        doc.RandomSeed.ShouldBe(42);
        doc.ApiClients.ShouldHaveSingleItem().ShouldSatisfyAllConditions(
            c => c.ClientId.ShouldBe("qa"), c => c.ClientSecret.ShouldBe("qa-secret"), c => c.Accounts.ShouldBe(["acme.test"]));
        doc.Users.ShouldHaveSingleItem().ShouldSatisfyAllConditions(
            u => u.Username.ShouldBe("qa-user"), u => u.Password.ShouldBe("qa-pass"), u => u.Accounts.ShouldBe(["acme.test"]));
        doc.Faults.ShouldHaveSingleItem()["id"]!.GetValue<string>().ShouldBe("token-max-uses-bottleneck");
        var account = doc.Accounts.ShouldHaveSingleItem();
        account.Policy!.ToJsonString().ShouldBe("""{"policy_name":"Acme policy","unenforced_perpetual":{"reporting_frequency_days":60}}""");
        var va = account.VirtualAccounts[0];
        va.ShouldSatisfyAllConditions(
            v => v.Name.ShouldBe("DEFAULT"), v => v.Id.ShouldBe("200001"), v => v.Default.ShouldBe(true),
            v => v.Description.ShouldBe(""), v => v.ExportControlledAllowed.ShouldBe(true));
        va.Licenses[1].ShouldBe(new SeedLicense(
            "regid.2017-08.com.cisco.AIR-DNA-A,1.0_b6308627-3ab0-4a11-a3d9-586911a0d790", null, null, "TERM", 3,
            new DateOnly(2026, 1, 1), new DateOnly(2026, 12, 31)));
        va.Tokens.ShouldHaveSingleItem().ShouldBe(new SeedToken("fixed", "lab", 30, 5, true));
        va.ProductInstances.ShouldHaveSingleItem().ShouldBe(new SeedProductInstance("C9800-CL-K9", "93BBAH93MGS", "wlc-1", true, false));
    }

    [Fact]
    public void A_bare_string_virtual_account_is_a_virtual_account_of_that_name()
    {
        var doc = SeedReader.Parse("""{"accounts": [{"domain": "acme.test", "virtualAccounts": ["Lab", {"name": "Ops"}]}]}""");

        var vas = doc.Accounts[0].VirtualAccounts;
        vas.Select(v => v.Name).ShouldBe(["Lab", "Ops"]);
        vas[0].ShouldSatisfyAllConditions(
            v => v.Id.ShouldBeNull(), v => v.Default.ShouldBeNull(), v => v.Description.ShouldBeNull(),
            v => v.ExportControlledAllowed.ShouldBeNull(), v => v.Policy.ShouldBeNull(), v => v.Licenses.ShouldBeEmpty());
    }

    [Fact]
    public void A_blank_bare_string_virtual_account_is_refused_with_its_path()
    {
        var ex = Refused("""{"accounts": [{"domain": "acme.test", "virtualAccounts": ["Lab", "  "]}]}""");

        ex.Errors.Keys.ShouldContain("accounts[0].virtualAccounts[1]");
    }

    [Fact]
    public void Absent_optional_fields_stay_null_so_a_merge_leaves_them_alone()
    {
        var doc = SeedReader.Parse("accounts: [{domain: acme.test}]");

        doc.RandomSeed.ShouldBeNull();
        var account = doc.Accounts.ShouldHaveSingleItem();
        account.Name.ShouldBeNull();
        account.AccountId.ShouldBeNull();
        account.VirtualAccounts.ShouldBeEmpty();
    }

    [Fact]
    public void A_user_email_and_the_slr_catalog_are_read_with_entitlement_tags_in_canonical_form()
    {
        var doc = SeedReader.Parse("""
            users: [{username: alice, password: p, email: alice@example.com}]
            slrCatalog:
            - softwareTag: "regid.2017-07.com.cisco.ISR_4460,1.0_x"
              udiPid: ISR4461/K9
              entitlements: [{entitlementTag: "regid.2017-07.com.cisco.ISR_4460_PLR,1.0_x", type: UNIVERSAL, export: true}, {entitlementTag: "regid.x.Y,1.0_z"}]
            """);

        doc.Users.ShouldHaveSingleItem().Email.ShouldBe("alice@example.com");
        var entry = doc.SlrCatalog.ShouldHaveSingleItem();
        entry.SoftwareTag.ShouldBe("regid.2017-07.com.cisco.ISR_4460,1.0_x");
        entry.UdiPid.ShouldBe("ISR4461/K9");
        entry.Entitlements.ShouldBe([
            new CssmSim.Engine.Licensing.SlrEntitlement("regid.2017-07.com.cisco.ISR_4460_PLR,1.0_x", "UNIVERSAL", true),
            // Absent type and export: a SPECIFIC, not export-controlled entitlement.
            new CssmSim.Engine.Licensing.SlrEntitlement("regid.x.Y,1.0_z", "SPECIFIC", false),
        ]);
    }

    [Fact]
    public void An_slr_catalog_entry_without_a_software_tag_or_with_a_long_type_is_refused_with_its_path()
    {
        var ex = Refused("""
            slrCatalog:
            - {udiPid: X}
            - {softwareTag: t, entitlements: [{entitlementTag: e, type: "123456789012345678901234567890123"}]}
            """);

        ex.Errors.Keys.ShouldBe(["slrCatalog[0].softwareTag", "slrCatalog[1].entitlements[0].type"], ignoreOrder: true);
    }

    [Fact]
    public void A_license_error_names_its_full_json_path()
    {
        var ex = Refused("""
            accounts:
            - domain: acme.test
              virtualAccounts:
              - name: DEFAULT
                licenses:
                - {tag: "regid.2019-03.com.cisco.X,1.0_509c41ab-05a8-431f-95fe-ec28086e8844", enforcement: strict}
            """);

        ex.Errors.Keys.ShouldBe(["accounts[0].virtualAccounts[0].licenses[0].enforcement"]);
        ex.Errors["accounts[0].virtualAccounts[0].licenses[0].enforcement"].ShouldHaveSingleItem()
            .ShouldBe("must be one of: unenforced, enforced, export-controlled");
    }

    [Fact]
    public void Every_error_in_a_document_is_reported_not_only_the_first()
    {
        var ex = Refused("""
            accounts:
            - domain: acme.test
              virtualAccounts:
              - name: DEFAULT
                licenses:
                - {tag: t1, type: FOREVER, quantity: -1}
            - {name: No domain}
            """);

        ex.Errors.Keys.ShouldBe(
        [
            "accounts[0].virtualAccounts[0].licenses[0].quantity",
            "accounts[0].virtualAccounts[0].licenses[0].type",
            "accounts[1].domain",
        ], ignoreOrder: true);
    }

    [Theory]
    [InlineData("colour: red", "colour")]
    [InlineData("accounts: [{domain: a.test, colour: red}]", "accounts[0].colour")]
    [InlineData("accounts: [{domain: a.test, virtualAccounts: [{name: V, colour: red}]}]", "accounts[0].virtualAccounts[0].colour")]
    [InlineData("accounts: [{domain: a.test, virtualAccounts: [{name: V, licenses: [{tag: t, colour: red}]}]}]", "accounts[0].virtualAccounts[0].licenses[0].colour")]
    [InlineData("accounts: [{domain: a.test, virtualAccounts: [{name: V, tokens: [{colour: red}]}]}]", "accounts[0].virtualAccounts[0].tokens[0].colour")]
    [InlineData("apiClients: [{clientId: c, clientSecret: s, colour: red}]", "apiClients[0].colour")]
    [InlineData("users: [{username: u, password: p, colour: red}]", "users[0].colour")]
    [InlineData("accounts: [{domain: a.test, policy: {colour: red}}]", "accounts[0].policy.colour")]
    [InlineData("accounts: [{domain: a.test, policy: {enforced: {colour: 1}}}]", "accounts[0].policy.enforced.colour")]
    public void An_unknown_key_is_refused_with_its_path(string yaml, string path)
    {
        var ex = Refused(yaml);

        ex.Errors.Keys.ShouldBe([path]);
        ex.Errors[path].ShouldHaveSingleItem().ShouldStartWith("unknown field");
    }

    [Fact]
    public void A_domain_named_twice_is_refused_ignoring_case_and_spaces()
    {
        var ex = Refused("accounts: [{domain: acme.test}, {domain: ' ACME.Test '}]");

        ex.Errors.Keys.ShouldBe(["accounts[1].domain"]);
    }

    [Fact]
    public void A_virtual_account_named_twice_in_one_account_is_refused()
    {
        var ex = Refused("accounts: [{domain: acme.test, virtualAccounts: [Lab, {name: Ops}, {name: Lab}]}]");

        ex.Errors.Keys.ShouldBe(["accounts[0].virtualAccounts[2]"]);
    }

    [Fact]
    public void Virtual_account_names_are_case_sensitive()
    {
        var doc = SeedReader.Parse("accounts: [{domain: acme.test, virtualAccounts: [Lab, lab]}]");

        doc.Accounts[0].VirtualAccounts.Select(v => v.Name).ShouldBe(["Lab", "lab"]);
    }

    [Fact]
    public void The_same_virtual_account_name_in_two_accounts_is_allowed()
    {
        var doc = SeedReader.Parse("accounts: [{domain: a.test, virtualAccounts: [Lab]}, {domain: b.test, virtualAccounts: [Lab]}]");

        doc.Accounts.Select(a => a.VirtualAccounts.Single().Name).ShouldBe(["Lab", "Lab"]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(366)]
    [InlineData(-5)]
    public void A_token_lifetime_outside_1_to_365_days_is_refused(int days)
    {
        var ex = Refused($"accounts: [{{domain: a.test, virtualAccounts: [{{name: V, tokens: [{{expiresAfterDays: {days}}}]}}]}}]");

        ex.Errors.Keys.ShouldBe(["accounts[0].virtualAccounts[0].tokens[0].expiresAfterDays"]);
        ex.Errors["accounts[0].virtualAccounts[0].tokens[0].expiresAfterDays"].ShouldBe(["must be between 1 and 365"]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(365)]
    public void A_token_lifetime_of_1_or_365_days_is_accepted(int days)
    {
        var doc = SeedReader.Parse($"accounts: [{{domain: a.test, virtualAccounts: [{{name: V, tokens: [{{expiresAfterDays: {days}}}]}}]}}]");

        doc.Accounts[0].VirtualAccounts[0].Tokens.ShouldHaveSingleItem().ExpiresAfterDays.ShouldBe(days);
    }

    [Theory]
    [InlineData("""{"randomSeed": 30.0}""")]
    [InlineData("randomSeed: 30.0")]
    [InlineData("randomSeed: 3.0e1")]
    public void An_integral_float_is_accepted_where_an_integer_is_expected(string text)
    {
        SeedReader.Parse(text).RandomSeed.ShouldBe(30);
    }

    [Fact]
    public void An_integral_float_license_quantity_and_token_lifetime_are_accepted()
    {
        var doc = SeedReader.Parse("""
            {"accounts": [{"domain": "a.test", "virtualAccounts": [{"name": "V",
              "licenses": [{"tag": "t", "quantity": 10.0}],
              "tokens": [{"expiresAfterDays": 30.0, "maxUses": 5.0}]}]}]}
            """);

        var va = doc.Accounts[0].VirtualAccounts[0];
        va.Licenses[0].Quantity.ShouldBe(10);
        va.Tokens[0].ExpiresAfterDays.ShouldBe(30);
        va.Tokens[0].MaxUses.ShouldBe(5);
    }

    [Theory]
    [InlineData("""{"randomSeed": 30.5}""")]
    [InlineData("randomSeed: 30.5")]
    [InlineData("randomSeed: '30'")]
    [InlineData("randomSeed: true")]
    public void A_fraction_or_a_non_number_is_refused_where_an_integer_is_expected(string text)
    {
        var ex = Refused(text);

        ex.Errors.Keys.ShouldBe(["randomSeed"]);
        ex.Errors["randomSeed"].ShouldBe(["must be a whole number"]);
    }

    [Fact]
    public void A_quoted_YAML_number_stays_a_string_for_a_string_field()
    {
        var doc = SeedReader.Parse("apiClients: [{clientId: '123', clientSecret: \"456\"}]");

        doc.ApiClients[0].ClientId.ShouldBe("123");
        doc.ApiClients[0].ClientSecret.ShouldBe("456");
    }

    [Fact]
    public void A_plain_YAML_number_is_a_number_and_refused_for_a_string_field()
    {
        var ex = Refused("apiClients: [{clientId: 123, clientSecret: s}]");

        ex.Errors.Keys.ShouldBe(["apiClients[0].clientId"]);
        ex.Errors["apiClients[0].clientId"].ShouldBe(["must be a string"]);
    }

    [Theory]
    [InlineData("accountId: \"007\"", "007")]
    [InlineData("accountId: '123456'", "123456")]
    [InlineData("accountId: 123456", "123456")]
    public void Ids_may_be_quoted_or_plain_and_quoted_ones_keep_their_digits(string idLine, string expected)
    {
        var doc = SeedReader.Parse($"accounts:\n- domain: a.test\n  {idLine}\n");

        doc.Accounts[0].AccountId.ShouldBe(expected);
    }

    [Theory]
    [InlineData("accountId: abc")]
    [InlineData("accountId: '12a'")]
    [InlineData("accountId: '1234567890123456789'")]
    [InlineData("accountId: ''")]
    [InlineData("accountId: 12.5")]
    public void An_id_that_is_not_1_to_18_decimal_digits_is_refused(string idLine)
    {
        var ex = Refused($"accounts:\n- domain: a.test\n  {idLine}\n");

        ex.Errors.Keys.ShouldContain("accounts[0].accountId");
    }

    [Fact]
    public void Entitlement_tags_in_the_dot_form_are_read_as_the_comma_form()
    {
        var doc = SeedReader.Parse("accounts: [{domain: a.test, virtualAccounts: [{name: V, licenses: [{tag: ' regid.2019-03.com.cisco.DNA_HSEC.1.0_509c41ab-05a8-431f-95fe-ec28086e8844 '}]}]}]");

        doc.Accounts[0].VirtualAccounts[0].Licenses[0].Tag.ShouldBe(Seeds.HsecTag);
    }

    [Fact]
    public void A_license_ending_before_it_starts_is_refused()
    {
        var ex = Refused("accounts: [{domain: a.test, virtualAccounts: [{name: V, licenses: [{tag: t, startDate: '2026-05-01', endDate: '2026-04-30'}]}]}]");

        ex.Errors.Keys.ShouldBe(["accounts[0].virtualAccounts[0].licenses[0].endDate"]);
    }

    [Fact]
    public void A_date_not_written_as_YYYY_MM_DD_is_refused()
    {
        var ex = Refused("accounts: [{domain: a.test, virtualAccounts: [{name: V, licenses: [{tag: t, startDate: '01/05/2026'}]}]}]");

        ex.Errors.Keys.ShouldBe(["accounts[0].virtualAccounts[0].licenses[0].startDate"]);
    }

    [Theory]
    [InlineData("accounts: [{name: x}]", "accounts[0].domain")]
    [InlineData("accounts: [{domain: '  '}]", "accounts[0].domain")]
    [InlineData("accounts: [{domain: a.test, virtualAccounts: [{id: '1'}]}]", "accounts[0].virtualAccounts[0].name")]
    [InlineData("accounts: [{domain: a.test, virtualAccounts: [{name: V, licenses: [{quantity: 1}]}]}]", "accounts[0].virtualAccounts[0].licenses[0].tag")]
    [InlineData("apiClients: [{clientSecret: s}]", "apiClients[0].clientId")]
    [InlineData("users: [{password: p}]", "users[0].username")]
    public void A_missing_required_field_is_refused_with_its_path(string yaml, string path)
    {
        var ex = Refused(yaml);

        ex.Errors.Keys.ShouldBe([path]);
    }

    [Theory]
    [InlineData("accounts: {domain: a.test}", "accounts")]
    [InlineData("accounts: [a.test]", "accounts[0]")]
    [InlineData("accounts: [{domain: a.test, virtualAccounts: [42]}]", "accounts[0].virtualAccounts[0]")]
    [InlineData("accounts: [{domain: a.test, virtualAccounts: [{name: V, default: yes}]}]", "accounts[0].virtualAccounts[0].default")]
    [InlineData("apiClients: [{clientId: c, accounts: [a.test, 7]}]", "apiClients[0].accounts[1]")]
    public void A_value_of_the_wrong_shape_is_refused_with_its_path(string yaml, string path)
    {
        var ex = Refused(yaml);

        ex.Errors.Keys.ShouldBe([path]);
    }

    [Fact]
    public void A_policy_day_count_out_of_range_is_refused_with_its_path()
    {
        var ex = Refused("accounts: [{domain: a.test, virtualAccounts: [{name: V, policy: {export: {first_report_days: 4000}}}]}]");

        ex.Errors.Keys.ShouldBe(["accounts[0].virtualAccounts[0].policy.export.first_report_days"]);
    }

    [Theory]
    [InlineData("{\"accounts\": [")]
    [InlineData("{\"accounts\": [}")]
    [InlineData("[1, 2,, 3]")]
    public void Malformed_JSON_is_refused_at_path_dollar(string text)
    {
        var ex = Refused(text);

        ex.Errors.Keys.ShouldBe(["$"]);
        ex.Errors["$"].ShouldHaveSingleItem().ShouldStartWith("not valid JSON");
    }

    [Theory]
    [InlineData("accounts: [unclosed")]
    [InlineData("accounts:\n  - domain: a\n - bad: indent")]
    [InlineData("a: 'unterminated")]
    [InlineData("a: *undefined_alias")]
    public void Malformed_YAML_is_refused_at_path_dollar(string text)
    {
        var ex = Refused(text);

        ex.Errors.Keys.ShouldBe(["$"]);
        ex.Errors["$"].ShouldHaveSingleItem().ShouldStartWith("not valid YAML");
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("- a\n- b")]
    [InlineData("just text")]
    [InlineData("42")]
    public void A_document_that_is_not_a_mapping_is_refused_at_path_dollar(string text)
    {
        var ex = Refused(text);

        ex.Errors.Keys.ShouldBe(["$"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n")]
    [InlineData("# only a comment\n")]
    public void An_empty_document_is_refused_at_path_dollar(string text)
    {
        var ex = Refused(text);

        ex.Errors.Keys.ShouldBe(["$"]);
    }

    [Fact]
    public void A_YAML_stream_of_two_documents_is_refused_at_path_dollar()
    {
        var ex = Refused("randomSeed: 1\n---\nrandomSeed: 2\n");

        ex.Errors.Keys.ShouldBe(["$"]);
    }

    [Fact]
    public void A_key_repeated_in_a_YAML_mapping_is_refused_at_path_dollar()
    {
        var ex = Refused("randomSeed: 1\nrandomSeed: 2\n");

        ex.Errors.Keys.ShouldBe(["$"]);
    }

    // Regression: JsonObject builds its dictionary lazily, so a duplicate JSON key once surfaced
    // later as a raw ArgumentException ("An item with the same key has already been added") from
    // NodeReader.OnlyKeys. It must be a validation error at "$" (HTTP 400), as it is for YAML.
    [Fact]
    public void A_key_repeated_in_a_JSON_object_is_refused_at_path_dollar()
    {
        var ex = Refused("""{"randomSeed": 1, "randomSeed": 2}""");

        ex.Errors.Keys.ShouldBe(["$"]);
    }

    [Fact]
    public void JSON_comments_trailing_commas_and_a_byte_order_mark_are_tolerated()
    {
        var doc = SeedReader.Parse("\uFEFF  {\n // comment\n \"randomSeed\": 5,\n \"accounts\": [{\"domain\": \"a.test\",},],\n}");

        doc.RandomSeed.ShouldBe(5);
        doc.Accounts.ShouldHaveSingleItem().Domain.ShouldBe("a.test");
    }
}
