using System.Net;
using System.Text;
using System.Text.Json;
using CssmSim.Engine.Signing;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.Control;

public sealed class ControlApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string AcmeSeed = """
        accounts:
        - domain: acme.test
          virtualAccounts: [DEFAULT, Lab]
        """;

    [Fact]
    public async Task Health_reports_version_store_and_uptime()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.GetAsync("/_sim/health", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await TestSimulator.ReadJsonAsync(response);
        body.ShouldHaveExactKeys("status", "version", "store", "uptime_s");
        body["status"]!.GetValue<string>().ShouldBe("ok");
        body["store"]!.GetValue<string>().ShouldBe("memory");
        body["uptime_s"].Kind().ShouldBe(JsonValueKind.Number);
    }

    [Fact]
    public async Task Ready_answers_200_once_started()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.GetAsync("/_sim/ready", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_merged_seed_document_shows_in_the_accounts_api()
    {
        await using var sim = await TestSimulator.StartAsync();

        await sim.MergeSeedAsync(AcmeSeed);
        using var response = await sim.ApiGetAsync(TestSimulator.ApiPrefix + "/v2/accounts/search");

        var domains = (await TestSimulator.ReadJsonAsync(response))["accounts"]!.AsArray().Select(a => a!["domain"]!.GetValue<string>());
        domains.ShouldBe(["acme.test", "example.com"]);
    }

    [Fact]
    public async Task A_seed_document_may_be_json()
    {
        await using var sim = await TestSimulator.StartAsync();

        await sim.MergeSeedAsync("""{"accounts":[{"domain":"json.test","virtualAccounts":["DEFAULT"]}]}""", "application/json");
        using var response = await sim.ApiGetAsync(TestSimulator.ApiPrefix + "/v1/accounts/json.test/customer/virtual-accounts");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_invalid_seed_names_each_field_at_fault()
    {
        await using var sim = await TestSimulator.StartAsync();
        const string seed = """
            accounts:
            - domain: x.test
              virtualAccounts:
              - name: A
                licenses: [{tag: t, enforcement: sometimes, typo: 1}]
            """;

        using var response = await sim.Http.PostAsync("/_sim/seed", new StringContent(seed, Encoding.UTF8, "application/yaml"), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var errors = (await TestSimulator.ReadJsonAsync(response))["errors"]!.AsObject();
        errors.Select(e => e.Key).ShouldBe(["accounts[0].virtualAccounts[0].licenses[0].enforcement", "accounts[0].virtualAccounts[0].licenses[0].typo"], ignoreOrder: true);
    }

    [Fact]
    public async Task Reset_returns_to_the_start_up_seed_and_clears_the_journal()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync(AcmeSeed);
        await sim.TokenAsync();

        using var reset = await sim.Http.PostAsync("/_sim/reset", null, Ct);
        using var search = await sim.ApiGetAsync(TestSimulator.ApiPrefix + "/v2/accounts/search");
        using var journal = await sim.Http.GetAsync("/_sim/journal?surface=cssm-api", Ct);

        reset.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await TestSimulator.ReadJsonAsync(search))["accounts"]!.AsArray().Select(a => a!["domain"]!.GetValue<string>()).ShouldBe(["example.com"]);
        (await TestSimulator.ReadJsonAsync(journal))["entries"]!.AsArray().Count.ShouldBe(1, "only the search made after the reset");
    }

    [Fact]
    public async Task Resetting_one_smart_account_leaves_the_others_alone()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync(AcmeSeed);
        await sim.MergeSeedAsync("accounts: [{domain: example.com, name: Renamed, virtualAccounts: [Extra]}]");

        using var reset = await sim.Http.PostAsync("/_sim/reset?smartAccount=example.com", null, Ct);
        using var search = await sim.ApiGetAsync(TestSimulator.ApiPrefix + "/v2/accounts/search");

        reset.StatusCode.ShouldBe(HttpStatusCode.OK);
        var accounts = (await TestSimulator.ReadJsonAsync(search))["accounts"]!.AsArray();
        accounts.Select(a => a!["domain"]!.GetValue<string>()).ShouldBe(["acme.test", "example.com"]);
        var example = accounts[1]!;
        example["name"]!.GetValue<string>().ShouldBe("Example Co");
        example["virtual_accounts"]!.AsArray().Select(v => v!["name"]!.GetValue<string>()).ShouldBe(["DEFAULT", "Lab"]);
    }

    [Fact]
    public async Task Resetting_an_unknown_account_is_404_problem_json()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.PostAsync("/_sim/reset?smartAccount=ghost.test", null, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task Certs_lists_the_signing_certificate_first_then_the_ca_then_tls()
    {
        await using var sim = await TestSimulator.StartAsync();
        var bundle = CertificateBundle.LoadEmbedded();

        var all = await sim.Http.GetStringAsync("/_sim/certs", Ct);
        var signing = await sim.Http.GetStringAsync("/_sim/certs/signing.pem", Ct);
        var ca = await sim.Http.GetStringAsync("/_sim/certs/ca.pem", Ct);

        var blocks = all.Split("-----END CERTIFICATE-----", StringSplitOptions.RemoveEmptyEntries).Where(b => b.Contains("BEGIN")).ToList();
        blocks.Count.ShouldBe(3);
        Norm(blocks[0]).ShouldBe(Norm(bundle.EcdsaSigningCertificatePem));
        Norm(blocks[1]).ShouldBe(Norm(bundle.CaCertificatePem));
        Norm(blocks[2]).ShouldBe(Norm(bundle.TlsCertificatePem));
        Norm(signing).ShouldBe(Norm(bundle.EcdsaSigningCertificatePem));
        Norm(ca).ShouldBe(Norm(bundle.CaCertificatePem));
    }

    [Fact]
    public async Task With_rsa_selected_the_published_signing_certificate_is_the_rsa_one()
    {
        await using var sim = await TestSimulator.StartAsync(o => o.SigningAlgorithm = SigningAlgorithm.Rsa);

        var signing = await sim.Http.GetStringAsync("/_sim/certs/signing.pem", Ct);

        Norm(signing).ShouldBe(Norm(CertificateBundle.LoadEmbedded().RsaSigningCertificatePem));
    }

    [Fact]
    public async Task An_unknown_certificate_name_is_404()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.GetAsync("/_sim/certs/private.key", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_control_api_only()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.GetAsync("/_sim/openapi.json", Ct);
        using var docs = await sim.Http.GetAsync("/_sim/docs/index.html", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var paths = (await TestSimulator.ReadJsonAsync(response))["paths"]!.AsObject().Select(p => p.Key).ToList();
        paths.ShouldContain("/_sim/health");
        paths.ShouldContain("/_sim/reset");
        paths.ShouldContain("/_sim/snapshot");
        paths.ShouldAllBe(p => p.StartsWith("/_sim/"));
        docs.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await docs.Content.ReadAsStringAsync(Ct)).ShouldContain("swagger", Case.Insensitive);
    }

    private static string Norm(string pem) => pem.Replace("\r", "").Replace("-----END CERTIFICATE-----", "").Trim();
}
