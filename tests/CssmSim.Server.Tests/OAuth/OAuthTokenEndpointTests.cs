using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.OAuth;

public sealed class OAuthTokenEndpointTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Seed = """
        apiClients: [{clientId: qa, clientSecret: qa-secret, accounts: [acme.test]}]
        users: [{username: qa-user, password: qa-pass}]
        accounts: [{domain: acme.test, virtualAccounts: [DEFAULT]}]
        """;

    [Theory]
    [InlineData("/as/token.oauth2")]
    [InlineData("/oauth2/default/v1/token")]
    public async Task Client_credentials_in_the_query_string_of_an_empty_post_get_a_bearer_token(string path)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.PostAsync($"{path}?grant_type=client_credentials&client_id=cssmsim&client_secret=cssmsim", null, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        var body = await TestSimulator.ReadJsonAsync(response);
        body.ShouldHaveExactKeys("access_token", "token_type", "expires_in");
        body["token_type"]!.GetValue<string>().ShouldBe("Bearer");
        body["expires_in"].Kind().ShouldBe(JsonValueKind.Number);
        body["expires_in"]!.GetValue<int>().ShouldBe(3599);
        body["access_token"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public async Task Client_credentials_as_form_fields_get_a_token()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.PostAsync("/as/token.oauth2", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = "cssmsim", ["client_secret"] = "cssmsim",
        }), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Client_credentials_in_a_basic_header_get_a_token()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/default/v1/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("cssmsim:cssmsim")));

        using var response = await sim.Http.SendAsync(request, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_wrong_client_secret_is_401_invalid_client()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.PostAsync("/as/token.oauth2?grant_type=client_credentials&client_id=cssmsim&client_secret=nope", null, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var body = await TestSimulator.ReadJsonAsync(response);
        body.ShouldHaveExactKeys("error", "error_description");
        body["error"]!.GetValue<string>().ShouldBe("invalid_client");
    }

    [Fact]
    public async Task An_unknown_client_is_401_invalid_client()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.PostAsync("/as/token.oauth2?grant_type=client_credentials&client_id=ghost&client_secret=x", null, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await TestSimulator.ReadJsonAsync(response))["error"]!.GetValue<string>().ShouldBe("invalid_client");
    }

    [Fact]
    public async Task The_password_grant_issues_a_token_for_a_seeded_user()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync(Seed);

        using var response = await sim.Http.PostAsync("/as/token.oauth2", Form(("grant_type", "password"), ("client_id", "qa"),
            ("client_secret", "qa-secret"), ("username", "qa-user"), ("password", "qa-pass")), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("/as/token.oauth2")]
    [InlineData("/oauth2/default/v1/token")]
    public async Task The_default_seed_user_gets_a_token_with_the_password_grant_out_of_the_box(string path)
    {
        // control.md §Default seed: three public clients use the password grant with cssmsim/cssmsim plus cssmsim-user.
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.PostAsync(path, Form(("grant_type", "password"), ("client_id", "cssmsim"),
            ("client_secret", "cssmsim"), ("username", "cssmsim-user"), ("password", "cssmsim")), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await TestSimulator.ReadJsonAsync(response);
        body.ShouldHaveExactKeys("access_token", "token_type", "expires_in");
        body["token_type"]!.GetValue<string>().ShouldBe("Bearer");
        body["expires_in"]!.GetValue<int>().ShouldBe(3599);
        using var accounts = await sim.ApiGetAsync(TestSimulator.ApiPrefix + "/v2/accounts/search", body["access_token"]!.GetValue<string>());
        accounts.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_wrong_user_password_is_400_invalid_grant()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync(Seed);

        using var response = await sim.Http.PostAsync("/as/token.oauth2", Form(("grant_type", "password"), ("client_id", "qa"),
            ("client_secret", "qa-secret"), ("username", "qa-user"), ("password", "wrong")), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await TestSimulator.ReadJsonAsync(response))["error"]!.GetValue<string>().ShouldBe("invalid_grant");
    }

    [Fact]
    public async Task An_unknown_grant_type_is_400_unsupported_grant_type()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.PostAsync("/as/token.oauth2?grant_type=device_code&client_id=cssmsim&client_secret=cssmsim", null, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await TestSimulator.ReadJsonAsync(response))["error"]!.GetValue<string>().ShouldBe("unsupported_grant_type");
    }

    [Theory]
    [InlineData("client_id=cssmsim&client_secret=cssmsim")]
    [InlineData("grant_type=client_credentials&client_secret=cssmsim")]
    [InlineData("grant_type=client_credentials&client_id=cssmsim")]
    [InlineData("grant_type=password&client_id=cssmsim&client_secret=cssmsim&username=u")]
    public async Task A_missing_parameter_is_400_invalid_request(string query)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.PostAsync("/as/token.oauth2?" + query, null, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await TestSimulator.ReadJsonAsync(response))["error"]!.GetValue<string>().ShouldBe("invalid_request");
    }

    [Fact]
    public async Task The_authorization_code_grant_answers_501_not_simulated()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.PostAsync("/as/token.oauth2?grant_type=authorization_code&code=abc", null, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.NotImplemented);
        var body = await TestSimulator.ReadJsonAsync(response);
        body["error"]!.GetValue<string>().ShouldBe("not_simulated");
        body["error_description"]!.GetValue<string>().ShouldBe("not simulated by CssmSim");
    }

    private static FormUrlEncodedContent Form(params (string, string)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2)));
}
