using CssmSim.Server.Pipeline;
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
    public async Task A_generated_request_id_is_journaled_and_kept_on_an_error_answer()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var token = await sim.Http.PostAsync("/as/token.oauth2?grant_type=client_credentials&client_id=cssmsim&client_secret=cssmsim", null, Ct);
        using var refused = await sim.Http.PostAsync("/_sim/reset?smartAccount=x&udi=y", null, Ct);
        using var journal = await sim.Http.GetAsync("/_sim/journal?surface=oauth", Ct);

        var id = token.Headers.GetValues("X-Request-Id").Single();
        (await TestSimulator.ReadJsonAsync(journal))["entries"]![0]!["requestId"]!.GetValue<string>().ShouldBe(id);
        // The error answer is written after the response was cleared: the same id is put back.
        refused.StatusCode.ShouldBe(System.Net.HttpStatusCode.BadRequest);
        var refusedId = refused.Headers.GetValues("X-Request-Id").Single();
        Guid.TryParse(refusedId, out _).ShouldBeTrue();
        refused.Headers.GetValues("X-Correlation-Id").Single().ShouldBe(refusedId);
    }

    [Fact]
    public void New_ids_are_distinct_version_4_uuids()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => RequestIds.NewId()).ToList();

        ids.Distinct().Count().ShouldBe(ids.Count);
        foreach (var id in ids.Take(100))
        {
            var guid = Guid.Parse(id);
            guid.Version.ShouldBe(4);
            (guid.Variant & 0b1100).ShouldBe(0b1000);
            id.ShouldBe(guid.ToString());
        }
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
