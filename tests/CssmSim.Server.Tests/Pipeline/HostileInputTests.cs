using System.Net;
using System.Text;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.Pipeline;

/// <summary>Bad bodies get 400/413/415 in the family's shape, never a 500, and change nothing.</summary>
public sealed class HostileInputTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string, int> BadOAuthBodies => new()
    {
        { "/as/token.oauth2", "application/json", "{\"grant_type\":\"client_credentials\"}", 415 },
        { "/oauth2/default/v1/token", "text/xml", "<grant/>", 415 },
        { "/as/token.oauth2", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=" + new string('a', 70_000), 413 },
        { "/as/token.oauth2", "application/x-www-form-urlencoded", "\u00ff\u00fe", 400 },
    };

    [Theory]
    [MemberData(nameof(BadOAuthBodies))]
    public async Task Bad_token_requests_get_the_oauth_error_shape(string path, string contentType, string body, int status)
    {
        await using var sim = await TestSimulator.StartAsync();
        var bytes = contentType == "application/x-www-form-urlencoded" && status == 400 ? [0xff, 0xfe, 0x3d] : Encoding.UTF8.GetBytes(body);
        var content = new ByteArrayContent(bytes);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await sim.Http.PostAsync(path, content, Ct);

        ((int)response.StatusCode).ShouldBe(status);
        var json = await TestSimulator.ReadJsonAsync(response);
        json.ShouldHaveExactKeys("error", "error_description");
        json["error"]!.GetValue<string>().ShouldBe("invalid_request");
    }

    public static TheoryData<string, string, int> BadSeedBodies => new()
    {
        { "application/json", "{\"accounts\": [", 400 },
        { "application/json", "[1,2,3]", 400 },
        { "application/json", "null", 400 },
        { "application/yaml", "accounts: [ {domain: a", 400 },
        { "application/yaml", "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]", 400 },
        { "application/json", new string('[', 5000) + new string(']', 5000), 400 },
        { "application/xml", "<seed/>", 415 },
        { "application/json", "{\"accounts\":[{\"domain\":\"x.test\",\"virtualAccounts\":[{\"name\":\"A\",\"licenses\":[{\"tag\":\"t\",\"quantity\":\"ten\"}]}]}]}", 400 },
    };

    [Theory]
    [MemberData(nameof(BadSeedBodies))]
    public async Task Bad_seed_documents_get_problem_json_and_leave_the_state_unchanged(string contentType, string body, int status)
    {
        await using var sim = await TestSimulator.StartAsync();
        var before = await (await sim.Http.GetAsync("/_sim/snapshot", Ct)).Content.ReadAsByteArrayAsync(Ct);

        using var response = await sim.Http.PostAsync("/_sim/seed", new StringContent(body, Encoding.UTF8, contentType), Ct);

        ((int)response.StatusCode).ShouldBe(status);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = await TestSimulator.ReadJsonAsync(response);
        problem["status"]!.GetValue<int>().ShouldBe(status);
        problem["title"].ShouldNotBeNull();
        var after = await (await sim.Http.GetAsync("/_sim/snapshot", Ct)).Content.ReadAsByteArrayAsync(Ct);
        after.ShouldBe(before);
    }

    [Theory]
    [InlineData("/_sim/faults", "{\"effect\":{\"status\":503},\"effect\":{\"status\":500}}")]
    [InlineData("/_sim/clock", "{\"advance\":\"P1D\",\"advance\":\"P2D\"}")]
    [InlineData("/_sim/seed", "{\"randomSeed\":1,\"randomSeed\":2}")]
    public async Task A_repeated_json_key_is_400_not_a_crash(string path, string body)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task An_oversized_seed_is_413_problem_json()
    {
        await using var sim = await TestSimulator.StartAsync();
        var huge = new ByteArrayContent(new byte[17 * 1024 * 1024]);
        huge.Headers.TryAddWithoutValidation("Content-Type", "application/json");

        using var response = await sim.Http.PostAsync("/_sim/seed", huge, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task Invalid_utf8_in_a_seed_is_400()
    {
        await using var sim = await TestSimulator.StartAsync();
        var content = new ByteArrayContent([0x7b, 0xff, 0xfe, 0x7d]);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json");

        using var response = await sim.Http.PostAsync("/_sim/seed", content, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("application/json", "{not json", 400)]
    [InlineData("text/plain", "{}", 415)]
    [InlineData("application/json", "{\"schemaVersion\": {V}, \"store\": {\"licenses\": [{\"va_id\": \"nope\", \"tag\": \"t\"}]}}", 400)]
    [InlineData("application/json", "{\"schemaVersion\": {V}, \"store\": {\"users; DROP TABLE licenses\": []}}", 400)]
    [InlineData("application/json", "{\"schemaVersion\": 999, \"store\": {}}", 409)]
    public async Task Bad_snapshot_imports_are_refused_whole(string contentType, string body, int status)
    {
        await using var sim = await TestSimulator.StartAsync();
        var before = await (await sim.Http.GetAsync("/_sim/snapshot", Ct)).Content.ReadAsByteArrayAsync(Ct);

        body = body.Replace("{V}", Engine.Storage.Sqlite.Migrations.Latest.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await sim.Http.PostAsync("/_sim/snapshot", new StringContent(body, Encoding.UTF8, contentType), Ct);

        ((int)response.StatusCode).ShouldBe(status);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var after = await (await sim.Http.GetAsync("/_sim/snapshot", Ct)).Content.ReadAsByteArrayAsync(Ct);
        after.ShouldBe(before);
    }

    [Theory]
    [InlineData("/services/api/smart-accounts-and-licensing/v2/accounts/search")]
    [InlineData("/services/api/smart-accounts-and-licensing/v1/accounts/search")]
    [InlineData("/services/api/smart-accounts-and-licensing/v2/accounts")]
    [InlineData("/services/api/smart-accounts-and-licensing/v1/accounts/example.com/customer/virtual-accounts")]
    public async Task Get_routes_ignore_a_garbage_body_rather_than_fail(string path)
    {
        await using var sim = await TestSimulator.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, path) { Content = new ByteArrayContent([0xff, 0x00, 0x13]) };
        request.Headers.Authorization = new("Bearer", await sim.TokenAsync());

        using var response = await sim.Http.SendAsync(request, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("/services/api/smart-accounts-and-licensing/v2/accounts/search", "FAILED")]
    [InlineData("/services/api/smart-accounts-and-licensing/v3/licenses/summary", "FAILED")]
    [InlineData("/services/api/smart-accounts-and-licensing/v1/accounts/search", "ERROR")]
    [InlineData("/_sim/health", null)]
    public async Task A_wrong_method_is_405_in_the_family_shape(string path, string? status)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.DeleteAsync(path, Ct);

        ((int)response.StatusCode).ShouldBeOneOf(404, 405);
        var body = await TestSimulator.ReadJsonAsync(response);
        if (status is null) body["status"]!.GetValue<int>().ShouldBe((int)response.StatusCode);
        else body["status"]!.GetValue<string>().ShouldBe(status);
    }
}
