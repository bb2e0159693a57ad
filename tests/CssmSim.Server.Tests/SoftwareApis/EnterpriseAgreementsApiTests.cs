using System.Net;
using System.Text.Json;
using CssmSim.Server.Tests.Support;
using static CssmSim.Server.Tests.SoftwareApis.SoftwareApiClient;

namespace CssmSim.Server.Tests.SoftwareApis;

/// <summary>software-apis.md §Enterprise Agreements: the faithful "no subscriptions" 400 on all three paths (issue 15 item 3).</summary>
public sealed class EnterpriseAgreementsApiTests
{
    public static readonly TheoryData<string> Paths = new()
    {
        Prefix + "/ea/v1/subscription/account/{0}/consumption",
        Prefix + "/ea/v1/subscription/account/{0}/subscription/Sub1234/consumption",
        "/services/api/enterprise-agreements/v1/subscription/account/{0}/subscription/Sub1234/consumption",
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Consumption_of_an_account_without_subscriptions_is_400_with_code_message_and_severity(string path)
    {
        await using var sim = await StartAsync();

        var (status, body) = await GetAsync(sim, string.Format(System.Globalization.CultureInfo.InvariantCulture, path, "example.com"));

        status.ShouldBe(HttpStatusCode.BadRequest);
        body.ShouldHaveExactKeys("code", "message", "severity");
        body["code"].Kind().ShouldBe(JsonValueKind.Number);
        body["code"]!.GetValue<int>().ShouldBe(400);
        body["message"]!.GetValue<string>().ShouldContain("example.com");
        body["severity"]!.GetValue<string>().ShouldBe("ERROR");
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Consumption_of_a_forbidden_account_is_403_and_of_an_unknown_one_404(string path)
    {
        await using var sim = await StartAsync();
        var limited = await LimitedTokenAsync(sim);

        var (forbidden, forbiddenBody) = await GetAsync(sim, string.Format(System.Globalization.CultureInfo.InvariantCulture, path, "other.test"), limited);
        var (unknown, _) = await GetAsync(sim, string.Format(System.Globalization.CultureInfo.InvariantCulture, path, "nowhere.test"), limited);

        forbidden.ShouldBe(HttpStatusCode.Forbidden);
        forbiddenBody.ShouldHaveExactKeys("code", "message", "severity");
        unknown.ShouldBe(HttpStatusCode.NotFound);
    }
}
