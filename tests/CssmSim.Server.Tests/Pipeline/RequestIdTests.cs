using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.Pipeline;

public sealed class RequestIdTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/_sim/health")]
    [InlineData("/services/api/smart-accounts-and-licensing/v2/accounts/search")]
    [InlineData("/nowhere")]
    public async Task Every_response_carries_a_new_request_id_as_both_headers(string path)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.GetAsync(path, Ct);

        var id = response.Headers.GetValues("X-Request-Id").Single();
        Guid.TryParse(id, out _).ShouldBeTrue();
        response.Headers.GetValues("X-Correlation-Id").Single().ShouldBe(id);
    }

    [Fact]
    public async Task A_request_id_sent_by_the_client_is_echoed_and_journaled()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/as/token.oauth2?grant_type=client_credentials&client_id=cssmsim&client_secret=cssmsim");
        request.Headers.Add("X-Request-Id", "qa-run-42");

        using var response = await sim.Http.SendAsync(request, Ct);
        using var journal = await sim.Http.GetAsync("/_sim/journal?surface=oauth", Ct);

        response.Headers.GetValues("X-Request-Id").Single().ShouldBe("qa-run-42");
        response.Headers.GetValues("X-Correlation-Id").Single().ShouldBe("qa-run-42");
        (await TestSimulator.ReadJsonAsync(journal))["entries"]![0]!["requestId"]!.GetValue<string>().ShouldBe("qa-run-42");
    }

    [Fact]
    public async Task A_request_id_with_control_characters_is_replaced_not_echoed()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/_sim/health");
        request.Headers.TryAddWithoutValidation("X-Request-Id", "a b");

        using var response = await sim.Http.SendAsync(request, Ct);

        response.Headers.GetValues("X-Request-Id").Single().ShouldNotBe("a b");
    }
}
