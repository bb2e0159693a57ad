using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.CssmApi;

public sealed class DevicesApiTests
{
    private const string Devices = TestSimulator.ApiPrefix + "/v1/accounts/example.com/devices";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<HttpResponseMessage> PostAsync(TestSimulator sim, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Devices) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await sim.TokenAsync());
        return await sim.Http.SendAsync(request, Ct);
    }

    [Fact]
    public async Task Trusted_product_instances_are_listed_in_the_exact_shape()
    {
        await using var sim = await TestSimulator.StartAsync();
        var token = (await sim.CreateTokenAsync())["token"]!.GetValue<string>();
        var device = sim.Device("ABCD123456", pid: "C8000V");
        device.Hostname = "edge-1";
        await device.EstablishTrustAsync(token);

        using var response = await PostAsync(sim, """{"virtualAccounts":["DEFAULT"],"limit":10,"offset":0}""");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await TestSimulator.ReadJsonAsync(response);
        body.ShouldHaveExactKeys("status", "statusMessage", "totalRecords", "devices");
        body["totalRecords"]!.GetValue<int>().ShouldBe(1);
        var d = body["devices"]![0]!.AsObject();
        d.ShouldHaveExactKeys("hostName", "displayName", "sudi", "licenseUsage", "registrationDate", "lastContactDate", "productTagName",
            "productDescription", "virtualAccount", "productName", "productType", "status");
        d["displayName"]!.GetValue<string>().ShouldBe("UDI_PID:C8000V; UDI_SN:ABCD123456; ");
        d["hostName"]!.GetValue<string>().ShouldBe("edge-1");
        d["sudi"]!.AsObject().ShouldHaveExactKeys("udiPid", "udiSerialNumber", "udiVid", "uuid", "macAddress", "suvi", "hostIdentifier");
        d["sudi"]!["udiVid"].Kind().ShouldBe(JsonValueKind.Null);
        d["sudi"]!["uuid"]!.GetValue<string>().ShouldBe(device.TrustCode!.Piid);
        d["licenseUsage"].Kind().ShouldBe(JsonValueKind.Array);
        d["registrationDate"]!.GetValue<string>().ShouldEndWith("Z");
        d["virtualAccount"]!.GetValue<string>().ShouldBe("DEFAULT");
    }

    [Fact]
    public async Task License_usage_shows_what_the_devices_latest_report_says()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = sim.Device("USAGE-DEV");
        await device.EstablishTrustAsync((await sim.CreateTokenAsync())["token"]!.GetValue<string>());
        await device.ReportUsageAsync([("regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896", 6)]);

        var body = await TestSimulator.ReadJsonAsync(await PostAsync(sim, "{}"));

        var usage = body["devices"]![0]!["licenseUsage"]!.AsArray().ShouldHaveSingleItem()!;
        usage["license"]!.GetValue<string>().ShouldBe("AP Perpetual Networkstack Advantage");
        usage["quantity"]!.GetValue<long>().ShouldBe(6);
    }

    [Fact]
    public async Task No_virtual_accounts_means_all_and_paging_keeps_the_total()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.Device("D1").EstablishTrustAsync((await sim.CreateTokenAsync())["token"]!.GetValue<string>());
        await sim.Device("D2").EstablishTrustAsync((await sim.CreateTokenAsync(va: "Lab"))["token"]!.GetValue<string>());

        var page = await TestSimulator.ReadJsonAsync(await PostAsync(sim, """{"limit":1,"offset":1}"""));

        page["totalRecords"]!.GetValue<int>().ShouldBe(2);
        page["devices"]!.AsArray().Count.ShouldBe(1);
    }

    [Theory]
    [InlineData("""{"virtualAccounts":"DEFAULT"}""", 400)]
    [InlineData("""{"limit":-1}""", 400)]
    [InlineData("""{"virtualAccounts":["Nope"]}""", 404)]
    [InlineData("""not json""", 400)]
    public async Task Bad_device_queries_are_refused_in_the_v1_shape(string body, int status)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await PostAsync(sim, body);

        ((int)response.StatusCode).ShouldBe(status);
        (await TestSimulator.ReadJsonAsync(response))["status"]!.GetValue<string>().ShouldBe("ERROR");
    }
}
