using System.Net;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.CssmApi;

public sealed class NotSimulatedTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("POST", TestSimulator.ApiPrefix + "/v1/accounts/example.com/dlc_convert", "v1")]
    [InlineData("POST", TestSimulator.ApiPrefix + "/v1/subscription/search", "v1")]
    [InlineData("GET", "/v1/software/apis/pnp/v2/accounts", "v1")]
    [InlineData("POST", "/v1/software/apis/licensing/v2/get-summary", "v1")]
    [InlineData("GET", "/as/authorization.oauth2", "oauth")]
    [InlineData("POST", "/idp/userinfo.openid", "oauth")]
    [InlineData("POST", "/its/service/oddce/services/DDCEService", "device")]
    [InlineData("POST", "/cslu/v1/pi", "device")]
    [InlineData("POST", "/cslu/v1/pi/tenant-7", "device")]
    public async Task Well_known_paths_outside_this_release_answer_501_before_any_bearer_check(string method, string path, string family)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.NotImplemented);
        var body = await TestSimulator.ReadJsonAsync(response);
        switch (family)
        {
            case "v1":
                body.ShouldHaveExactKeys("status", "statusMessage");
                body["statusMessage"]!.GetValue<string>().ShouldBe("not simulated by CssmSim");
                break;
            case "oauth":
                body["error"]!.GetValue<string>().ShouldBe("not_simulated");
                break;
            default:
                body.ShouldHaveExactKeys("header", "status", "error");
                body["error"]!["code"]!.GetValue<string>().ShouldBe("NOT_SIMULATED");
                break;
        }
    }

    [Fact]
    public async Task Not_simulated_requests_are_journaled_as_not_simulated()
    {
        await using var sim = await TestSimulator.StartAsync();

        await sim.Http.PostAsync("/its/service/oddce/services/DDCEService", null, Ct);
        using var journal = await sim.Http.GetAsync("/_sim/journal?operation=notSimulated", Ct);

        var entry = (await TestSimulator.ReadJsonAsync(journal))["entries"]!.AsArray().Single()!;
        entry["surface"]!.GetValue<string>().ShouldBe("smart-transport");
        entry["httpStatus"]!.GetValue<int>().ShouldBe(501);
    }
}
