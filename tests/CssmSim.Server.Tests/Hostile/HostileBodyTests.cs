namespace CssmSim.Server.Tests.Hostile;

/// <summary>
/// Every route that takes a body is sent every kind of broken body: each is refused with a 4xx in
/// its family's shape (or the 501 of a not-simulated path), the store is unchanged, and the
/// simulator stays healthy. The route list is the application's own, so a new route is covered
/// (or the coverage test below fails until it is classified).
/// </summary>
public sealed class HostileBodyTests(HostileSimulator sim) : IClassFixture<HostileSimulator>
{
    /// <summary>The trusted device the hostile simulator seeds, as a control API product instance path.</summary>
    private const string FieldDevice = "/_sim/accounts/example.com/virtual-accounts/DEFAULT/product-instances/PID%3AC9800-CL-K9%2CSN%3AFIELD0001";

    /// <summary>Body-taking routes and the concrete path each is exercised on.</summary>
    public static readonly IReadOnlyDictionary<string, string> BodyRoutes = new Dictionary<string, string>
    {
        ["POST /_sim/accounts/{domain}/virtual-accounts/{va}/return-codes"] = "/_sim/accounts/example.com/virtual-accounts/DEFAULT/return-codes",
        ["POST /_sim/accounts/{domain}/virtual-accounts/{va}/tokens"] = "/_sim/accounts/example.com/virtual-accounts/DEFAULT/tokens",
        ["POST /_sim/accounts/{domain}/virtual-accounts/{va}/trust-codes"] = "/_sim/accounts/example.com/virtual-accounts/DEFAULT/trust-codes",
        ["PUT /_sim/accounts/{domain}/virtual-accounts/{va}/product-instances/{udi}/reservation"] = FieldDevice + "/reservation",
        ["POST /_sim/accounts/{domain}/virtual-accounts/{va}/product-instances/{udi}/reservation/confirmation"] = FieldDevice + "/reservation/confirmation",
        ["POST /_sim/accounts/{domain}/virtual-accounts/{va}/product-instances/{udi}/transfer"] = FieldDevice + "/transfer",
        ["PUT /_sim/accounts/{domain}/policy"] = "/_sim/accounts/example.com/policy",
        ["PUT /_sim/accounts/{domain}/virtual-accounts/{va}/policy"] = "/_sim/accounts/example.com/virtual-accounts/DEFAULT/policy",
        ["POST /_sim/clock/"] = "/_sim/clock",
        ["POST /_sim/faults/"] = "/_sim/faults",
        ["PATCH /_sim/faults/{id}"] = "/_sim/faults/token-max-uses-bottleneck",
        ["POST /_sim/poll-transitions/"] = "/_sim/poll-transitions",
        ["POST /_sim/timing/"] = "/_sim/timing",
        ["POST /_sim/seed"] = "/_sim/seed",
        ["POST /_sim/snapshot"] = "/_sim/snapshot",
        ["POST /_sim/usage-files/"] = "/_sim/usage-files?fileName=hostile.tar.gz&smartAccount=example.com&virtualAccount=DEFAULT",
        ["POST /as/token.oauth2"] = "/as/token.oauth2",
        ["POST /oauth2/default/v1/token"] = "/oauth2/default/v1/token",
        ["POST /as/authorization.oauth2"] = "/as/authorization.oauth2",
        ["POST /licservice/license"] = "/licservice/license",
        ["POST /cslu/v1/pi"] = "/cslu/v1/pi",
        ["PUT /cslu/v1/pi"] = "/cslu/v1/pi",
        ["PATCH /cslu/v1/pi"] = "/cslu/v1/pi",
        ["POST /cslu/v1/pi/{tenant}"] = "/cslu/v1/pi/tenant1",
        ["PUT /cslu/v1/pi/{tenant}"] = "/cslu/v1/pi/tenant1",
        ["PATCH /cslu/v1/pi/{tenant}"] = "/cslu/v1/pi/tenant1",
        ["POST /its/service/{service}/services/{name}"] = "/its/service/oddce/services/DDCEService",
        ["PUT /its/service/{service}/services/{name}"] = "/its/service/oddce/services/DDCEService",
        ["PATCH /its/service/{service}/services/{name}"] = "/its/service/oddce/services/DDCEService",
        ["POST /v1/software/apis/{**rest}"] = "/v1/software/apis/smartlicensing/v1/unspecified",
        ["PUT /v1/software/apis/{**rest}"] = "/v1/software/apis/smartlicensing/v1/unspecified",
        ["PATCH /v1/software/apis/{**rest}"] = "/v1/software/apis/smartlicensing/v1/unspecified",
        ["POST /v1/software/apis/licensing/v1/account/{domain}/convert-bulk-dlc"] = "/v1/software/apis/licensing/v1/account/example.com/convert-bulk-dlc",
        ["POST /v1/software/apis/licensing/v2/get-summary"] = "/v1/software/apis/licensing/v2/get-summary",
        ["POST /v1/software/apis/licensing/v1/account/{domain}/virtual-account/{va}/licenses/reserve"] = "/v1/software/apis/licensing/v1/account/example.com/virtual-account/DEFAULT/licenses/reserve",
        ["POST /v1/software/apis/licensing/v2/account/{domain}/virtual-account/{va}/licenses/reserve"] = "/v1/software/apis/licensing/v2/account/example.com/virtual-account/DEFAULT/licenses/reserve",
        ["POST /v1/software/apis/licensing/v1/search-slr-details"] = "/v1/software/apis/licensing/v1/search-slr-details",
        ["POST /v1/software/apis/licensing/v3/accounts/{domain}/devices/remove"] = "/v1/software/apis/licensing/v3/accounts/example.com/devices/remove?virtualAccountName=DEFAULT",
        ["POST " + HostileSimulator.Api + "/v1/accounts/{domain}/devices"] = HostileSimulator.Api + "/v1/accounts/example.com/devices",
        ["POST " + HostileSimulator.Api + "/v1/accounts/{domain}/dlc_convert"] = HostileSimulator.Api + "/v1/accounts/example.com/dlc_convert",
        ["POST " + HostileSimulator.Api + "/v1/accounts/{domain}/licenses"] = HostileSimulator.Api + "/v1/accounts/example.com/licenses",
        ["POST " + HostileSimulator.Api + "/v1/accounts/{domain}/virtual-accounts/{va}/licenses/transfer"] = HostileSimulator.Api + "/v1/accounts/example.com/virtual-accounts/DEFAULT/licenses/transfer",
        ["POST " + HostileSimulator.Api + "/v1/accounts/{domain}/virtual-accounts/{va}/reserve-licenses"] = HostileSimulator.Api + "/v1/accounts/example.com/virtual-accounts/DEFAULT/reserve-licenses",
        ["POST " + HostileSimulator.Api + "/v1/accounts/{domain}/virtual-accounts/{va}/tokens/"] = HostileSimulator.Api + "/v1/accounts/example.com/virtual-accounts/DEFAULT/tokens",
        ["POST " + HostileSimulator.Api + "/v1/subscription/search"] = HostileSimulator.Api + "/v1/subscription/search",
        ["POST " + HostileSimulator.Api + "/v2/accounts/poll"] = HostileSimulator.Api + "/v2/accounts/poll",
        ["POST " + HostileSimulator.Api + "/v2/accounts/{domain}/virtual-accounts/{va}/reserve-licenses"] = HostileSimulator.Api + "/v2/accounts/example.com/virtual-accounts/DEFAULT/reserve-licenses",
        ["POST " + HostileSimulator.Api + "/v2/devices/authrequest"] = HostileSimulator.Api + "/v2/devices/authrequest",
        ["POST " + HostileSimulator.Api + "/v2/devices/reportusage"] = HostileSimulator.Api + "/v2/devices/reportusage",
        ["POST " + HostileSimulator.Api + "/v2/licenses/summary"] = HostileSimulator.Api + "/v2/licenses/summary",
        ["POST " + HostileSimulator.Api + "/v3/licenses/summary"] = HostileSimulator.Api + "/v3/licenses/summary",
    };

    /// <summary>POST routes that read no body, and why a body cannot hurt them.</summary>
    public static readonly IReadOnlyDictionary<string, string> BodylessPosts = new Dictionary<string, string>
    {
        ["POST /_sim/reset"] = "takes its arguments from the query; a body is never read",
        ["POST /idp/userinfo.openid"] = "reads only the bearer token; a body is never read",
    };

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var route in BodyRoutes.Keys)
            foreach (var payload in HostilePayloads.All)
                data.Add(route, payload.Name);
        return data;
    }

    [Fact]
    public void Every_route_that_takes_a_body_has_hostile_cases()
    {
        var routes = RouteTable.Of(sim.Services).Where(r => r.Method is "POST" or "PUT" or "PATCH").Select(r => r.ToString());

        routes.Where(r => !BodyRoutes.ContainsKey(r) && !BodylessPosts.ContainsKey(r))
            .ShouldBeEmpty("add the new route to HostileBodyTests.BodyRoutes (or BodylessPosts, with the reason)");
        BodyRoutes.Keys.Except(routes).ShouldBeEmpty("a listed route no longer exists");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_hostile_body_is_refused_in_the_family_shape_and_changes_nothing(string route, string payloadName)
    {
        var method = new HttpMethod(route[..route.IndexOf(' ')]);
        var path = BodyRoutes[route];
        var payload = HostilePayloads.Named(payloadName);

        var (status, body, _) = await sim.SendHostileAsync(sim.Request(method, path, payload.Content()), $"{route} <- {payloadName}");

        if (ErrorShapes.IsNotSimulated(path)) return;
        if (path.StartsWith("/_sim/usage-files", StringComparison.Ordinal) && status == 202)
        {
            // Bytes that are no archive are read as a RUM file (artefacts.md): the upload is recorded, as CSSM's
            // Usage Data Files table does, and ends in Errors with nothing ingested.
            System.Text.Json.Nodes.JsonNode.Parse(body)!["status"]!.GetValue<string>().ShouldBe("Errors", body);
            return;
        }
        status.ShouldBeInRange(400, 499, $"{route} <- {payloadName}: {status} {body}");
        if (payloadName == "oversized" && !path.StartsWith("/_sim/usage-files", StringComparison.Ordinal) && !path.StartsWith("/_sim/snapshot", StringComparison.Ordinal))
            status.ShouldBe(413, $"{route} <- {payloadName}");
        if (payloadName.StartsWith("xml-", StringComparison.Ordinal))
        {
            body.ShouldNotContain("root:", Case.Sensitive, "an external entity must never be expanded");
            body.ShouldNotContain("lollollol", Case.Sensitive, "an entity must never be expanded");
        }
    }
}
