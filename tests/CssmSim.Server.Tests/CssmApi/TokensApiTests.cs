using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.CssmApi;

public sealed class TokensApiTests
{
    private const string Tokens = TestSimulator.ApiPrefix + "/v1/accounts/example.com/virtual-accounts/DEFAULT/tokens";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<HttpResponseMessage> SendAsync(TestSimulator sim, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await sim.TokenAsync());
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return await sim.Http.SendAsync(request, Ct);
    }

    [Fact]
    public async Task Creating_a_token_answers_200_with_token_info_in_the_exact_shape()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await SendAsync(sim, HttpMethod.Post, Tokens, """{"description":"lab","expiresAfterDays":30.0,"exportControlled":"Not Allowed","maxUsesAllowed":5,"unknownKey":1}""");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await TestSimulator.ReadJsonAsync(response);
        body.ShouldHaveExactKeys("status", "statusMessage", "tokenInfo");
        body["status"]!.GetValue<string>().ShouldBe("SUCCESS");
        var info = body["tokenInfo"]!.AsObject();
        info.ShouldHaveExactKeys("token", "tokenId", "description", "expiresAfterDays", "expirationDate", "exportControlled", "maxUsesAllowed");
        info["expiresAfterDays"]!.GetValue<int>().ShouldBe(30);
        info["exportControlled"]!.GetValue<string>().ShouldBe("Not Allowed");
        info["maxUsesAllowed"]!.GetValue<int>().ShouldBe(5);
        info["expirationDate"]!.GetValue<string>().ShouldMatch(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$");
        var token = info["token"]!.GetValue<string>();
        token.ShouldNotContain("\n");
        token.ShouldNotContain("=");
        token.ShouldEndWith("%0A");
    }

    [Fact]
    public async Task Listing_puts_valid_tokens_first_newest_first_with_exact_types()
    {
        await using var sim = await TestSimulator.StartAsync();
        var older = await sim.CreateTokenAsync();
        var revoked = await sim.CreateTokenAsync();
        await sim.Http.DeleteAsync("/_sim/accounts/example.com/virtual-accounts/DEFAULT/tokens/" + revoked["tokenId"], Ct);
        await sim.Http.PostAsync("/_sim/clock", new StringContent("""{"advance":"PT1S"}""", Encoding.UTF8, "application/json"), Ct);
        var newer = await sim.CreateTokenAsync(maxUses: 3);

        using var response = await SendAsync(sim, HttpMethod.Get, Tokens);

        var body = await TestSimulator.ReadJsonAsync(response);
        body.ShouldHaveExactKeys("status", "statusMessage", "tokens");
        var tokens = body["tokens"]!.AsArray().Select(t => t!.AsObject()).ToList();
        tokens.Select(t => t["tokenId"]!.GetValue<string>()).ShouldBe([newer["tokenId"]!.GetValue<string>(), older["tokenId"]!.GetValue<string>(), revoked["tokenId"]!.GetValue<string>()]);
        tokens[0].ShouldHaveExactKeys("token", "tokenId", "expirationDate", "description", "createdBy", "creationDate", "exportControlled", "maxUsesAllowed", "usesCount", "status");
        tokens[0]["maxUsesAllowed"].Kind().ShouldBe(JsonValueKind.Number);
        tokens[1]["maxUsesAllowed"].Kind().ShouldBe(JsonValueKind.Null);
        tokens[0]["usesCount"].Kind().ShouldBe(JsonValueKind.Number);
        tokens.Select(t => t["status"]!.GetValue<string>()).ShouldBe(["VALID", "VALID", "REVOKED"]);
    }

    [Fact]
    public async Task A_va_without_tokens_lists_an_empty_array()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await SendAsync(sim, HttpMethod.Get, TestSimulator.ApiPrefix + "/v1/accounts/example.com/virtual-accounts/Lab/tokens");

        (await TestSimulator.ReadJsonAsync(response))["tokens"]!.AsArray().ShouldBeEmpty();
    }

    [Theory]
    [InlineData("""{"expiresAfterDays":0}""")]
    [InlineData("""{"expiresAfterDays":366}""")]
    [InlineData("""{"expiresAfterDays":"thirty"}""")]
    [InlineData("""{"expiresAfterDays":30.5}""")]
    [InlineData("""{"exportControlled":"Maybe"}""")]
    [InlineData("""{"maxUsesAllowed":0}""")]
    [InlineData("""{"maxUsesAllowed":"5"}""")]
    public async Task Invalid_token_requests_are_400_in_the_v1_shape(string body)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await SendAsync(sim, HttpMethod.Post, Tokens, body);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var json = await TestSimulator.ReadJsonAsync(response);
        json.ShouldHaveExactKeys("status", "statusMessage");
        json["status"]!.GetValue<string>().ShouldBe("ERROR");
    }

    [Fact]
    public async Task Revoking_takes_the_token_in_any_pasted_form_and_unknown_tokens_are_404()
    {
        await using var sim = await TestSimulator.StartAsync();
        var token = await sim.CreateTokenAsync();
        var pasted = Uri.UnescapeDataString(token["token"]!.GetValue<string>());

        using var revoke = await SendAsync(sim, HttpMethod.Delete, Tokens + "/" + Uri.EscapeDataString(pasted));
        using var unknown = await SendAsync(sim, HttpMethod.Delete, Tokens + "/" + Guid.NewGuid());
        var listed = await TestSimulator.ReadJsonAsync(await SendAsync(sim, HttpMethod.Get, Tokens));

        revoke.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await TestSimulator.ReadJsonAsync(revoke)).ToJsonString().ShouldBe("""{"status":"SUCCESS","statusMessage":""}""");
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        listed["tokens"]![0]!["status"]!.GetValue<string>().ShouldBe("REVOKED");
    }

    [Fact]
    public async Task An_unknown_virtual_account_is_404_in_the_v1_shape()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await SendAsync(sim, HttpMethod.Get, TestSimulator.ApiPrefix + "/v1/accounts/example.com/virtual-accounts/Nope/tokens");

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await TestSimulator.ReadJsonAsync(response))["status"]!.GetValue<string>().ShouldBe("ERROR");
    }

    [Fact]
    public async Task A_token_made_with_the_v1_api_establishes_trust()
    {
        await using var sim = await TestSimulator.StartAsync();
        var created = await TestSimulator.ReadJsonAsync(await SendAsync(sim, HttpMethod.Post, Tokens, """{"description":"api","expiresAfterDays":7}"""));

        var result = await sim.Device("V1-TOKEN").EstablishTrustAsync(created["tokenInfo"]!["token"]!.GetValue<string>());

        result.Trusted.ShouldBeTrue();
    }

    [Fact]
    public async Task The_token_txt_download_is_the_token_string_alone()
    {
        await using var sim = await TestSimulator.StartAsync();
        var token = await sim.CreateTokenAsync();

        using var response = await sim.Http.GetAsync($"/_sim/accounts/example.com/virtual-accounts/DEFAULT/tokens/{token["tokenId"]}.txt", Ct);

        (await response.Content.ReadAsStringAsync(Ct)).ShouldBe(token["token"]!.GetValue<string>());
        response.Content.Headers.ContentDisposition!.DispositionType.ShouldBe("attachment");
    }
}
