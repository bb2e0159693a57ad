using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using CssmSim.Engine.Signing;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.Policies;

/// <summary>The policy control API: both levels, the signed file download, errors.</summary>
public sealed class PolicyApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string VaBase = "/_sim/accounts/example.com/virtual-accounts";

    private const string Sle = """
        {"policy_name":"SLE Policy","reporting_ack_required":true,
         "unenforced_perpetual":{"first_report_days":60,"reporting_frequency_days":60,"report_on_change_days":60},
         "unenforced_subscription":{"first_report_days":30,"reporting_frequency_days":30,"report_on_change_days":30},
         "enforced":{"reporting_frequency_days":90,"report_on_change_days":90},
         "export":{"reporting_frequency_days":90,"report_on_change_days":90}}
        """;

    private static readonly string[] PolicyKeys =
    [
        "version", "policy_name", "source", "reporting_ack_required", "unenforced_perpetual", "unenforced_subscription",
        "enforced", "export", "sources", "issued_at", "smart_account", "virtual_account",
    ];

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonObject> OkJsonAsync(HttpResponseMessage r)
    {
        var text = await r.Content.ReadAsStringAsync(Ct);
        r.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        r.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>The header as sent, not as HttpClient re-formats it.</summary>
    private static string Disposition(HttpResponseMessage r) =>
        r.Content.Headers.NonValidated.TryGetValues("Content-Disposition", out var v) ? v.ShouldHaveSingleItem() : throw new ShouldAssertException("no Content-Disposition");

    private static string Source(JsonObject policy, string attribute) => policy["sources"]![attribute]!.GetValue<string>();

    [Fact]
    public async Task A_VA_without_custom_policies_gets_the_Cisco_default_in_artefacts_md_key_order()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var r = await sim.Http.GetAsync(VaBase + "/DEFAULT/policy", Ct);

        var policy = await OkJsonAsync(r);
        policy.Select(kv => kv.Key).ShouldBe(PolicyKeys);
        policy["policy_name"]!.GetValue<string>().ShouldBe("Cisco default");
        policy["source"]!.GetValue<string>().ShouldBe("CISCO default");
        policy["unenforced_perpetual"]!.ToJsonString().ShouldBe("""{"first_report_days":365,"reporting_frequency_days":0,"report_on_change_days":90}""");
        policy["unenforced_subscription"]!.ToJsonString().ShouldBe("""{"first_report_days":90,"reporting_frequency_days":90,"report_on_change_days":90}""");
        policy["issued_at"].Kind().ShouldBe(JsonValueKind.Number);
        policy["smart_account"]!.ToJsonString().ShouldBe("""{"id":"123456","domain":"example.com","name":"Example Co"}""");
        policy["virtual_account"]!.ToJsonString().ShouldBe("""{"id":"234567","name":"DEFAULT"}""");
        policy["sources"]!.AsObject().Count.ShouldBe(13);
    }

    [Fact]
    public async Task PUT_GET_and_DELETE_on_the_VA_level()
    {
        // Arrange
        await using var sim = await TestSimulator.StartAsync();

        // Act: set the SLE policy, read it back, clear it.
        using var put = await sim.Http.PutAsync(VaBase + "/DEFAULT/policy", Json(Sle), Ct);
        var afterPut = await OkJsonAsync(put);
        using var get = await sim.Http.GetAsync(VaBase + "/DEFAULT/policy", Ct);
        var afterGet = await OkJsonAsync(get);
        using var delete = await sim.Http.DeleteAsync(VaBase + "/DEFAULT/policy", Ct);
        var afterDelete = await OkJsonAsync(delete);

        // Assert
        afterPut["policy_name"]!.GetValue<string>().ShouldBe("SLE Policy");
        afterPut["source"]!.GetValue<string>().ShouldBe("Customer Policy");
        afterPut["enforced"]!.ToJsonString().ShouldBe("""{"first_report_days":0,"reporting_frequency_days":90,"report_on_change_days":90}""");
        Source(afterPut, "enforced.first_report_days").ShouldBe("CISCO default");
        Source(afterPut, "enforced.reporting_frequency_days").ShouldBe("Customer Policy");
        Source(afterPut, "reporting_ack_required").ShouldBe("Customer Policy");
        afterGet.ToJsonString().ShouldBe(afterPut.ToJsonString());
        afterDelete["policy_name"]!.GetValue<string>().ShouldBe("Cisco default");
        afterDelete["source"]!.GetValue<string>().ShouldBe("CISCO default");
    }

    [Fact]
    public async Task PUT_GET_and_DELETE_on_the_SA_level_and_VAs_inherit_it()
    {
        // Arrange
        await using var sim = await TestSimulator.StartAsync();

        // Act
        using var before = await sim.Http.GetAsync("/_sim/accounts/example.com/policy", Ct);
        var initial = await OkJsonAsync(before);
        using var put = await sim.Http.PutAsync("/_sim/accounts/example.com/policy",
            Json("""{"policy_name":"Account policy","unenforced_perpetual":{"reporting_frequency_days":60}}"""), Ct);
        var afterPut = await OkJsonAsync(put);
        using var lab = await sim.Http.GetAsync(VaBase + "/Lab/policy", Ct);
        var labPolicy = await OkJsonAsync(lab);
        using var delete = await sim.Http.DeleteAsync("/_sim/accounts/EXAMPLE.com/policy", Ct);
        var afterDelete = await OkJsonAsync(delete);

        // Assert
        initial.ShouldHaveExactKeys("custom", "virtualAccount", "effective");
        initial["custom"].ShouldBeNull();
        initial["virtualAccount"]!.GetValue<string>().ShouldBe("DEFAULT");
        initial["effective"]!["policy_name"]!.GetValue<string>().ShouldBe("Cisco default");
        afterPut["custom"]!.ToJsonString().ShouldBe("""{"policy_name":"Account policy","unenforced_perpetual":{"reporting_frequency_days":60}}""");
        afterPut["effective"]!["unenforced_perpetual"]!["reporting_frequency_days"]!.GetValue<int>().ShouldBe(60);
        afterPut["effective"]!["source"]!.GetValue<string>().ShouldBe("Customer Policy");
        labPolicy["policy_name"]!.GetValue<string>().ShouldBe("Account policy");
        labPolicy["virtual_account"]!["name"]!.GetValue<string>().ShouldBe("Lab");
        Source(labPolicy, "unenforced_perpetual.reporting_frequency_days").ShouldBe("Customer Policy");
        Source(labPolicy, "unenforced_perpetual.first_report_days").ShouldBe("CISCO default");
        afterDelete["custom"].ShouldBeNull();
        afterDelete["effective"]!["policy_name"]!.GetValue<string>().ShouldBe("Cisco default");
    }

    [Fact]
    public async Task The_VA_policy_wins_over_the_SA_one_and_deleting_it_falls_back()
    {
        await using var sim = await TestSimulator.StartAsync();
        (await sim.Http.PutAsync("/_sim/accounts/example.com/policy", Json("""{"policy_name":"Account policy"}"""), Ct)).Dispose();

        using var put = await sim.Http.PutAsync(VaBase + "/DEFAULT/policy", Json("""{"policy_name":"VA policy"}"""), Ct);
        (await OkJsonAsync(put))["policy_name"]!.GetValue<string>().ShouldBe("VA policy");
        using var delete = await sim.Http.DeleteAsync(VaBase + "/DEFAULT/policy", Ct);

        (await OkJsonAsync(delete))["policy_name"]!.GetValue<string>().ShouldBe("Account policy");
    }

    [Fact]
    public async Task The_policy_file_downloads_as_an_xml_attachment_whose_signature_verifies()
    {
        // Arrange
        await using var sim = await TestSimulator.StartAsync();
        (await sim.Http.PutAsync(VaBase + "/DEFAULT/policy", Json(Sle), Ct)).Dispose();
        var certificate = await sim.Http.GetStringAsync("/_sim/certs/signing.pem", Ct);

        // Act
        using var r = await sim.Http.GetAsync(VaBase + "/DEFAULT/policy.xml", Ct);
        var file = await r.Content.ReadAsStringAsync(Ct);
        using var again = await sim.Http.GetAsync(VaBase + "/DEFAULT/policy.xml", Ct);
        var json = await sim.Http.GetStringAsync(VaBase + "/DEFAULT/policy", Ct);

        // Assert
        r.StatusCode.ShouldBe(HttpStatusCode.OK, file);
        r.Content.Headers.ContentType!.MediaType.ShouldBe("application/xml");
        Disposition(r).ShouldBe("attachment; filename=policy_DEFAULT.xml");
        // Cisco's IOS XE SLP sample imports only a bare <smartLicensePolicy> root (artefacts.md §Policy file).
        var element = XElement.Parse(file);
        element.Name.LocalName.ShouldBe("smartLicensePolicy");
        element.Elements().Select(e => e.Name.LocalName).ShouldBe(["data", "signature"]);
        var data = Convert.FromBase64String(element.Element("data")!.Value);
        var signature = element.Element("signature")!;
        ArtefactSigner.VerifyWithCertificate(certificate, data, Convert.FromBase64String(signature.Value)).ShouldBeTrue();
        ((string?)signature.Attribute("alg")).ShouldBe("SHA256withECDSA");
        Encoding.UTF8.GetString(data).ShouldBe(json);
        (await again.Content.ReadAsStringAsync(Ct)).ShouldBe(file);
    }

    [Theory]
    [InlineData("/_sim/accounts/example.com/policy")]
    [InlineData(VaBase + "/DEFAULT/policy")]
    public async Task An_out_of_range_number_is_a_400_naming_the_field(string path)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var r = await sim.Http.PutAsync(path, Json("""{"enforced":{"reporting_frequency_days":-1}}"""), Ct);

        r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        r.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = await TestSimulator.ReadJsonAsync(r);
        problem["status"]!.GetValue<int>().ShouldBe(400);
        problem["errors"]!.AsObject().Select(kv => kv.Key).ShouldBe(["enforced.reporting_frequency_days"]);
    }

    [Theory]
    [InlineData("/_sim/accounts/example.com/policy")]
    [InlineData(VaBase + "/Lab/policy")]
    public async Task Unknown_keys_are_a_400_naming_each_and_nothing_changes(string path)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var r = await sim.Http.PutAsync(path, Json("""{"policy_name":"x","colour":"blue","export":{"weekly":1}}"""), Ct);

        r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var errors = (await TestSimulator.ReadJsonAsync(r))["errors"]!.AsObject();
        errors.Select(kv => kv.Key).ShouldBe(["colour", "export.weekly"], ignoreOrder: true);
        using var after = await sim.Http.GetAsync(VaBase + "/Lab/policy", Ct);
        (await OkJsonAsync(after))["policy_name"]!.GetValue<string>().ShouldBe("Cisco default");
    }

    [Fact]
    public async Task Malformed_bodies_and_wrong_content_types_are_refused()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var notJson = await sim.Http.PutAsync(VaBase + "/DEFAULT/policy", Json("{not json"), Ct);
        using var array = await sim.Http.PutAsync(VaBase + "/DEFAULT/policy", Json("[]"), Ct);
        using var text = await sim.Http.PutAsync(VaBase + "/DEFAULT/policy", new StringContent("{}", Encoding.UTF8, "text/plain"), Ct);

        notJson.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        array.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await TestSimulator.ReadJsonAsync(array))["errors"]!.AsObject().ContainsKey("$").ShouldBeTrue();
        text.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
    }

    [Theory]
    [InlineData("GET", "/_sim/accounts/nowhere.test/policy")]
    [InlineData("PUT", "/_sim/accounts/nowhere.test/policy")]
    [InlineData("DELETE", "/_sim/accounts/nowhere.test/policy")]
    [InlineData("GET", "/_sim/accounts/nowhere.test/virtual-accounts/DEFAULT/policy")]
    [InlineData("GET", VaBase + "/Nope/policy")]
    [InlineData("GET", VaBase + "/default/policy")]
    [InlineData("GET", VaBase + "/Nope/policy.xml")]
    [InlineData("GET", "/_sim/accounts/nowhere.test/virtual-accounts/DEFAULT/policy.xml")]
    [InlineData("PUT", VaBase + "/Nope/policy")]
    [InlineData("DELETE", VaBase + "/Nope/policy")]
    public async Task Unknown_domains_and_VAs_are_404_problems(string method, string path)
    {
        await using var sim = await TestSimulator.StartAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "PUT") request.Content = Json("""{"policy_name":"x"}""");

        using var r = await sim.Http.SendAsync(request, Ct);

        r.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        r.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await TestSimulator.ReadJsonAsync(r))["status"]!.GetValue<int>().ShouldBe(404);
    }

    [Fact]
    public async Task A_VA_name_with_spaces_and_an_ampersand_works_when_percent_encoded()
    {
        // Arrange
        await using var sim = await TestSimulator.StartAsync();
        const string name = "Lab & Test 2";
        await sim.MergeSeedAsync("""
            accounts:
            - domain: example.com
              virtualAccounts: ["Lab & Test 2"]
            """);
        var path = VaBase + "/" + Uri.EscapeDataString(name);

        // Act
        using var put = await sim.Http.PutAsync(path + "/policy", Json("""{"policy_name":"Ampersand policy"}"""), Ct);
        var policy = await OkJsonAsync(put);
        using var file = await sim.Http.GetAsync(path + "/policy.xml", Ct);
        using var others = await sim.Http.GetAsync(VaBase + "/Lab/policy", Ct);

        // Assert
        policy["virtual_account"]!["name"]!.GetValue<string>().ShouldBe(name);
        policy["policy_name"]!.GetValue<string>().ShouldBe("Ampersand policy");
        file.StatusCode.ShouldBe(HttpStatusCode.OK);
        Disposition(file).ShouldBe("attachment; filename=\"policy_Lab & Test 2.xml\"");
        (await OkJsonAsync(others))["policy_name"]!.GetValue<string>().ShouldBe("Cisco default");
    }

    [Fact]
    public async Task A_non_ascii_VA_name_gets_an_ascii_fallback_and_an_RFC_5987_file_name()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync("""
            accounts:
            - domain: example.com
              virtualAccounts: ["Zürich"]
            """);

        using var r = await sim.Http.GetAsync(VaBase + "/" + Uri.EscapeDataString("Zürich") + "/policy.xml", Ct);

        r.StatusCode.ShouldBe(HttpStatusCode.OK);
        Disposition(r).ShouldBe("attachment; filename=\"policy_Z_rich.xml\"; filename*=UTF-8''policy_Z%C3%BCrich.xml");
    }
}
