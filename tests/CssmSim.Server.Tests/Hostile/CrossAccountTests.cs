using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.Hostile;

/// <summary>
/// Hostile family "cross-account": an API client allowed only <c>alpha.test</c>, naming its own
/// account in the X-CSW headers, reaches for <c>beta.test</c>'s product instances, SLACs and poll
/// ids through the device APIs and reservations. Each is a 403 in the family's shape with the
/// store byte-for-byte unchanged (issue 14 item 1).
/// </summary>
public sealed class CrossAccountTests
{
    private const string Api = TestSimulator.ApiPrefix;
    private const string Enforced = "regid.2020-01.com.cisco.CSSMSIM_ENFORCED_DEMO,1.0_00000000-0000-4000-8000-000000000001";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Seed = $$"""
        apiClients:
        - {clientId: alpha-only, clientSecret: alpha-secret, accounts: [alpha.test]}
        - {clientId: other-all, clientSecret: other-secret}
        accounts:
        - domain: alpha.test
          accountId: "700001"
          virtualAccounts:
          - name: A
            id: "800001"
            licenses: [{tag: "{{Enforced}}", displayName: Enforced, enforcement: enforced, type: PERPETUAL, quantity: 5}]
        - domain: beta.test
          accountId: "700002"
          virtualAccounts:
          - name: B
            id: "800002"
            licenses: [{tag: "{{Enforced}}", displayName: Enforced, enforcement: enforced, type: PERPETUAL, quantity: 5}]
            productInstances: [{udi_pid: C9800-CL-K9, udi_serial_number: BETA0001, trusted: true}]
        """;

    private static async Task<TestSimulator> StartAsync()
    {
        var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync(Seed);
        return sim;
    }

    private static async Task<(int Status, string Body, string? Media)> PostAsync(TestSimulator sim, string path, JsonObject body, string token,
        string saId = "700001", string vaId = "800001")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("X-CSW-SMART-ACCOUNT-ID", saId);
        request.Headers.Add("X-CSW-VIRTUAL-ACCOUNT-ID", vaId);
        request.Headers.Add("X-CSW-REQUESTING-SYSTEM", """{"udi_pid":"CSLU","udi_serial_number":"1"}""");
        using var response = await sim.Http.SendAsync(request, Ct);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(Ct), response.Content.Headers.ContentType?.MediaType);
    }

    private static async Task<byte[]> SnapshotAsync(TestSimulator sim) => await sim.Http.GetByteArrayAsync("/_sim/snapshot", Ct);

    private static JsonObject ReportUsage(TestSimulator sim, string serial, bool askTrust = true)
    {
        var (payload, signature, _) = sim.Device(serial).BuildReports([(Enforced, 1)])[0];
        var data = new JsonObject
        {
            ["timestamp"] = 1700000000000,
            ["nonce"] = "n-1",
            ["reports"] = new JsonArray(new JsonObject
            {
                ["sudi"] = new JsonObject { ["udi_pid"] = "C9800-CL-K9", ["udi_serial_number"] = serial },
                ["usage"] = new JsonArray(new JsonObject { ["payload"] = payload, ["signature"] = signature }),
            }),
        };
        if (askTrust) data["trust_requests"] = new JsonArray(new JsonObject { ["sudi"] = new JsonObject { ["udi_pid"] = "C9800-CL-K9", ["udi_serial_number"] = serial } });
        return new JsonObject { ["data"] = data };
    }

    private static JsonObject AuthRequest(string serial, string? removeCode = null) => new()
    {
        ["data"] = new JsonObject
        {
            ["timestamp"] = 1700000000000,
            ["nonce"] = "n-2",
            ["remove_code"] = removeCode,
            ["licenses"] = new JsonArray(new JsonObject
            {
                ["sudi"] = new JsonObject { ["udi_pid"] = "C9800-CL-K9", ["udi_serial_number"] = serial },
                ["keys"] = removeCode is null ? new JsonArray(new JsonObject { ["entitlement"] = Enforced, ["count"] = 1 }) : new JsonArray(),
            }),
        },
    };

    private static JsonObject Poll(string pollId, string action) => new()
    {
        ["data"] = new JsonObject { ["poll_id"] = pollId, ["action"] = action, ["nonce"] = "n-3" },
    };

    private static void ShouldBeRefused((int Status, string Body, string? Media) reply, string path, byte[] before, byte[] after, string context)
    {
        reply.Status.ShouldBe(403, $"{context}: {reply.Body}");
        ErrorShapes.ShouldBeFamilyError(path, reply.Status, reply.Body, reply.Media, context);
        reply.Body.ShouldContain("beta.test", customMessage: context);
        HostileSimulator.ShouldBeSameState(before, after, "a refused cross-account request changed the store: " + context);
    }

    [Fact]
    public async Task Reportusage_for_another_accounts_device_is_403_and_leaves_its_trust_code_and_reports_alone()
    {
        await using var sim = await StartAsync();
        var alpha = await sim.TokenAsync("alpha-only", "alpha-secret");
        var before = await SnapshotAsync(sim);

        var reply = await PostAsync(sim, Api + "/v2/devices/reportusage", ReportUsage(sim, "BETA0001"), alpha);

        ShouldBeRefused(reply, Api + "/v2/devices/reportusage", before, await SnapshotAsync(sim), "reportusage");
    }

    [Fact]
    public async Task Authrequest_for_another_accounts_device_is_403_and_takes_nothing_from_its_pool()
    {
        await using var sim = await StartAsync();
        var alpha = await sim.TokenAsync("alpha-only", "alpha-secret");
        var before = await SnapshotAsync(sim);

        var reply = await PostAsync(sim, Api + "/v2/devices/authrequest", AuthRequest("BETA0001"), alpha);

        ShouldBeRefused(reply, Api + "/v2/devices/authrequest", before, await SnapshotAsync(sim), "authrequest");
    }

    [Fact]
    public async Task A_remove_code_for_another_accounts_slac_is_403_and_the_slac_stays()
    {
        await using var sim = await StartAsync();
        var owner = await sim.TokenAsync();
        var issued = await PostAsync(sim, Api + "/v2/devices/authrequest", AuthRequest("BETA0001"), owner, "700002", "800002");
        issued.Status.ShouldBe(202, issued.Body);
        var alpha = await sim.TokenAsync("alpha-only", "alpha-secret");
        var before = await SnapshotAsync(sim);

        var reply = await PostAsync(sim, Api + "/v2/devices/authrequest",
            AuthRequest("BETA0001", "CAbcde-Fghijk-Lmnopq-Rstuvw-Xyz012-345678-9ABCDE-FGHIJK-LMN"), alpha);

        ShouldBeRefused(reply, Api + "/v2/devices/authrequest", before, await SnapshotAsync(sim), "authrequest remove_code");
        Encoding.UTF8.GetString(before).ShouldContain("\"state\": \"CONFIRMED\"", customMessage: "beta's SLAC was issued and is still held");
    }

    [Fact]
    public async Task A_poll_id_answers_only_the_client_that_submitted_it()
    {
        await using var sim = await StartAsync();
        var owner = await sim.TokenAsync();
        var submitted = await PostAsync(sim, Api + "/v2/devices/reportusage", ReportUsage(sim, "BETA0001"), owner, "700002", "800002");
        submitted.Status.ShouldBe(202, submitted.Body);
        var pollId = JsonNode.Parse(submitted.Body)!["poll_id"]!.GetValue<long>().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var alpha = await sim.TokenAsync("alpha-only", "alpha-secret");
        var otherAll = await sim.TokenAsync("other-all", "other-secret");
        var before = await SnapshotAsync(sim);

        var byAlpha = await PostAsync(sim, Api + "/v2/accounts/poll", Poll(pollId, "acknowledgements"), alpha);
        var byOther = await PostAsync(sim, Api + "/v2/accounts/poll", Poll(pollId, "acknowledgements"), otherAll);
        var afterRefusals = await SnapshotAsync(sim);
        var byOwner = await PostAsync(sim, Api + "/v2/accounts/poll", Poll(pollId, "acknowledgements"), owner);

        byAlpha.Status.ShouldBe(403, byAlpha.Body);
        ErrorShapes.ShouldBeFamilyError(Api + "/v2/accounts/poll", byAlpha.Status, byAlpha.Body, byAlpha.Media, "poll by a client scoped elsewhere");
        byAlpha.Body.ShouldNotContain("smart_license");
        byOther.Status.ShouldBe(403, byOther.Body + " (a client allowed every account still did not submit it)");
        byOther.Body.ShouldNotContain("smart_license");
        HostileSimulator.ShouldBeSameState(before, afterRefusals, "a refused poll counted or changed the job");
        byOwner.Status.ShouldBe(200);
        JsonNode.Parse(byOwner.Body)!["status"]!.GetValue<string>().ShouldBe("COMPLETE", byOwner.Body);
    }

    [Fact]
    public async Task Reserving_another_accounts_device_is_403_and_the_device_stays_in_its_account()
    {
        await using var sim = await StartAsync();
        var alpha = await sim.TokenAsync("alpha-only", "alpha-secret");
        var body = new JsonObject
        {
            ["reservationRequests"] = new JsonArray(new JsonObject
            {
                ["reservationCode"] = sim.Device("BETA0001").CreateReservationRequestCode(),
                ["reservationType"] = "SPECIFIC",
                ["licenses"] = new JsonArray(new JsonObject { ["entitlementTag"] = Enforced, ["quantity"] = 1 }),
            }),
        };
        var path = Api + "/v1/accounts/alpha.test/virtual-accounts/A/reserve-licenses";
        var before = await SnapshotAsync(sim);

        var reply = await PostAsync(sim, path, body, alpha);

        ShouldBeRefused(reply, path, before, await SnapshotAsync(sim), "reserve-licenses");
    }

    [Fact]
    public async Task A_client_scoped_to_its_account_still_reports_authorizes_and_polls_its_own_devices()
    {
        await using var sim = await StartAsync();
        var alpha = await sim.TokenAsync("alpha-only", "alpha-secret");

        var reported = await PostAsync(sim, Api + "/v2/devices/reportusage", ReportUsage(sim, "ALPHA0001"), alpha);
        var authorized = await PostAsync(sim, Api + "/v2/devices/authrequest", AuthRequest("ALPHA0001"), alpha);
        var polled = await PostAsync(sim, Api + "/v2/accounts/poll",
            Poll(JsonNode.Parse(reported.Body)!["poll_id"]!.GetValue<long>().ToString(System.Globalization.CultureInfo.InvariantCulture), "acknowledgements"), alpha);

        reported.Status.ShouldBe(202, reported.Body);
        authorized.Status.ShouldBe(202, authorized.Body);
        polled.Status.ShouldBe(200);
        JsonNode.Parse(polled.Body)!["status"]!.GetValue<string>().ShouldBe("COMPLETE", polled.Body);
    }
}
