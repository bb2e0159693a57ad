using System.Net;
using System.Net.Http.Headers;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.SoftwareApis;

/// <summary>software-apis.md §OAuth authorization-code grant and userinfo, as the Dash client drives it.</summary>
public sealed class AuthorizationCodeGrantTests
{
    private const string Redirect = "http://127.0.0.1:5000/callback";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HttpClient NoRedirects(TestSimulator sim) =>
        new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = sim.Http.BaseAddress };

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient http, string user = "alice", string password = "alice-pass", string state = "", string redirect = Redirect) =>
        await http.PostAsync("/as/authorization.oauth2", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["response_type"] = "code", ["client_id"] = "cssmsim", ["redirect_uri"] = redirect, ["scope"] = "openid profile email", ["state"] = state,
            ["username"] = user, ["password"] = password,
        }), Ct);

    private static string CodeOf(HttpResponseMessage redirect) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(redirect.Headers.Location!.Query)["code"].ToString();

    private static Task<HttpResponseMessage> ExchangeAsync(HttpClient http, string code, string redirect = Redirect, string clientId = "cssmsim", string secret = "cssmsim") =>
        http.PostAsync("/as/token.oauth2", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["code"] = code, ["client_id"] = clientId, ["client_secret"] = secret, ["redirect_uri"] = redirect, ["grant_type"] = "authorization_code",
        }), Ct);

    [Fact]
    public async Task The_authorize_endpoint_shows_a_sign_in_form_that_keeps_the_request()
    {
        await using var sim = await SoftwareApiClient.StartAsync();

        using var response = await sim.Http.GetAsync($"/as/authorization.oauth2?response_type=code&client_id=cssmsim&redirect_uri={Uri.EscapeDataString(Redirect)}&scope=openid%20profile%20email&state=", Ct);
        var html = await response.Content.ReadAsStringAsync(Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        html.ShouldContain("<form method=\"post\" action=\"/as/authorization.oauth2\">");
        html.ShouldContain($"name=\"redirect_uri\" value=\"{Redirect}\"");
        html.ShouldContain("name=\"state\" value=\"\"");
    }

    [Theory]
    [InlineData("response_type=token&client_id=cssmsim&redirect_uri=http%3A%2F%2Fx%2Fcb", "unsupported_response_type")]
    [InlineData("response_type=code&client_id=nobody&redirect_uri=http%3A%2F%2Fx%2Fcb", "invalid_client")]
    [InlineData("response_type=code&client_id=cssmsim&redirect_uri=javascript%3Aalert(1)", "invalid_request")]
    [InlineData("response_type=code&client_id=cssmsim", "invalid_request")]
    public async Task A_bad_authorization_request_is_400_and_never_redirected(string query, string error)
    {
        await using var sim = await SoftwareApiClient.StartAsync();
        using var http = NoRedirects(sim);

        using var response = await http.GetAsync("/as/authorization.oauth2?" + query, Ct);
        var body = await TestSimulator.ReadJsonAsync(response);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        body.ShouldHaveExactKeys("error", "error_description");
        body["error"]!.GetValue<string>().ShouldBe(error);
    }

    [Fact]
    public async Task Signing_in_redirects_with_a_code_and_the_empty_state_that_the_token_endpoint_exchanges_once()
    {
        await using var sim = await SoftwareApiClient.StartAsync();
        using var http = NoRedirects(sim);

        using var redirect = await SignInAsync(http);
        var code = CodeOf(redirect);
        using var first = await ExchangeAsync(http, code);
        using var second = await ExchangeAsync(http, code);

        redirect.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        redirect.Headers.Location!.GetLeftPart(UriPartial.Path).ShouldBe(Redirect);
        redirect.Headers.Location!.Query.ShouldEndWith("&state=");
        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        var token = await TestSimulator.ReadJsonAsync(first);
        token.ShouldHaveExactKeys("access_token", "token_type", "expires_in");
        token["expires_in"]!.GetValue<int>().ShouldBe(3599);
        second.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await TestSimulator.ReadJsonAsync(second))["error"]!.GetValue<string>().ShouldBe("invalid_grant");
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000/other", "cssmsim", "cssmsim", HttpStatusCode.BadRequest, "invalid_grant")]
    [InlineData(Redirect, "limited", "limited-secret", HttpStatusCode.BadRequest, "invalid_grant")]
    [InlineData(Redirect, "cssmsim", "wrong", HttpStatusCode.Unauthorized, "invalid_client")]
    public async Task A_code_is_bound_to_its_client_and_redirect_uri(string redirect, string clientId, string secret, HttpStatusCode expected, string error)
    {
        await using var sim = await SoftwareApiClient.StartAsync();
        using var http = NoRedirects(sim);
        using var signIn = await SignInAsync(http);

        using var response = await ExchangeAsync(http, CodeOf(signIn), redirect, clientId, secret);

        response.StatusCode.ShouldBe(expected);
        (await TestSimulator.ReadJsonAsync(response))["error"]!.GetValue<string>().ShouldBe(error);
    }

    [Fact]
    public async Task A_wrong_password_shows_the_form_again_without_a_code()
    {
        await using var sim = await SoftwareApiClient.StartAsync();
        using var http = NoRedirects(sim);

        using var response = await SignInAsync(http, password: "nope");

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.Headers.Location.ShouldBeNull();
        (await response.Content.ReadAsStringAsync(Ct)).ShouldContain("Wrong username or password.");
    }

    [Fact]
    public async Task Userinfo_names_the_signed_in_user_and_their_email()
    {
        await using var sim = await SoftwareApiClient.StartAsync();
        using var http = NoRedirects(sim);
        using var signIn = await SignInAsync(http);
        using var exchange = await ExchangeAsync(http, CodeOf(signIn));
        var accessToken = (await TestSimulator.ReadJsonAsync(exchange))["access_token"]!.GetValue<string>();

        using var request = new HttpRequestMessage(HttpMethod.Post, "/idp/userinfo.openid");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await http.SendAsync(request, Ct);
        var body = await TestSimulator.ReadJsonAsync(response);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        body.ShouldHaveExactKeys("sub", "email");
        body["sub"]!.GetValue<string>().ShouldBe("alice");
        body["email"]!.GetValue<string>().ShouldBe("alice@example.com");
    }

    [Fact]
    public async Task Userinfo_refuses_a_client_token_with_403_and_no_token_with_401()
    {
        await using var sim = await SoftwareApiClient.StartAsync();

        using var request = new HttpRequestMessage(HttpMethod.Post, "/idp/userinfo.openid");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await sim.TokenAsync());
        using var clientToken = await sim.Http.SendAsync(request, Ct);
        using var none = await sim.Http.PostAsync("/idp/userinfo.openid", null, Ct);

        clientToken.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await TestSimulator.ReadJsonAsync(clientToken))["error"]!.GetValue<string>().ShouldBe("insufficient_scope");
        none.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await TestSimulator.ReadJsonAsync(none))["error"]!.GetValue<string>().ShouldBe("invalid_token");
    }

    [Fact]
    public async Task The_id_cisco_com_token_url_exchanges_a_code_too()
    {
        await using var sim = await SoftwareApiClient.StartAsync();
        using var http = NoRedirects(sim);
        using var signIn = await SignInAsync(http);

        using var response = await http.PostAsync("/oauth2/default/v1/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["code"] = CodeOf(signIn), ["client_id"] = "cssmsim", ["client_secret"] = "cssmsim", ["redirect_uri"] = Redirect, ["grant_type"] = "authorization_code",
        }), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await TestSimulator.ReadJsonAsync(response))["token_type"]!.GetValue<string>().ShouldBe("Bearer");
    }
}
