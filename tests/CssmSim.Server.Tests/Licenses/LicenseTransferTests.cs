using System.Net;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;
using static CssmSim.Server.Tests.Licenses.LicensesClient;

namespace CssmSim.Server.Tests.Licenses;

/// <summary><c>POST v1/accounts/{sa}/virtual-accounts/{va}/licenses/transfer</c>: all entries or none.</summary>
public sealed class LicenseTransferTests
{
    private static async Task<long> QuantityAsync(TestSimulator sim, string displayName, string va)
    {
        var body = await sim.ListAsync($$"""{"virtualAccounts":["{{va}}"]}""");
        return body["licenses"]!.AsArray().SingleOrDefault(r => r!["license"]!.GetValue<string>() == displayName)?["quantity"]!.GetValue<long>() ?? 0;
    }

    private static async Task ShouldBeV1ErrorAsync(HttpResponseMessage response, HttpStatusCode status, string? messagePart = null)
    {
        var body = await TestSimulator.ReadJsonAsync(response);
        response.StatusCode.ShouldBe(status, body.ToJsonString());
        body.ShouldHaveExactKeys("status", "statusMessage");
        body["status"]!.GetValue<string>().ShouldBe("ERROR");
        if (messagePart is not null) body["statusMessage"]!.GetValue<string>().ShouldContain(messagePart);
    }

    [Fact]
    public async Task A_transfer_moves_quantity_and_both_virtual_accounts_show_it()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.TransferAsync("DEFAULT", (NwStackName, 30, "Lab"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await TestSimulator.ReadJsonAsync(response);
        body.ShouldHaveExactKeys("status", "statusMessage");
        body["status"]!.GetValue<string>().ShouldBe("SUCCESS");
        body["statusMessage"]!.GetValue<string>().ShouldBe("");
        (await QuantityAsync(sim, NwStackName, "DEFAULT")).ShouldBe(70);
        var lab = await sim.RowAsync(NwStackName, va: "Lab");
        lab["quantity"]!.GetValue<long>().ShouldBe(30);
        lab["available"]!.GetValue<long>().ShouldBe(30);
        lab["licenseDetails"]![0]!["licenseType"]!.GetValue<string>().ShouldBe("PERPETUAL");
    }

    [Fact]
    public async Task A_new_pool_entry_keeps_the_source_type_dates_and_enforcement()
    {
        await using var sim = await TestSimulator.StartAsync();
        var source = (await sim.RowAsync(AirDnaName))["licenseDetails"]![0]!;

        using var air = await sim.TransferAsync("DEFAULT", (AirDna, 10, "Lab"));
        using var hsec = await sim.TransferAsync("DEFAULT", (HsecDotForm, 2, "Lab"));

        air.StatusCode.ShouldBe(HttpStatusCode.OK);
        hsec.StatusCode.ShouldBe(HttpStatusCode.OK, "a license may be named by its tag, in either form");
        var detail = (await sim.RowAsync(AirDnaName, va: "Lab"))["licenseDetails"]![0]!;
        detail["licenseType"]!.GetValue<string>().ShouldBe("TERM");
        detail["startDate"]!.GetValue<string>().ShouldBe(source["startDate"]!.GetValue<string>());
        detail["endDate"]!.GetValue<string>().ShouldBe(source["endDate"]!.GetValue<string>());
        var summary = await sim.SummaryAsync($"""["{Hsec}"]""", vaId: LabVaId);
        var entry = summary["summary"]![0]!;
        entry["display_name"]!.GetValue<string>().ShouldBe(HsecName);
        entry["export_restricted"]!.GetValue<bool>().ShouldBeTrue();
        entry["entitled"]!.GetValue<long>().ShouldBe(2);
    }

    [Fact]
    public async Task A_transfer_to_an_existing_pool_entry_adds_to_it_and_can_move_back()
    {
        await using var sim = await TestSimulator.StartAsync();

        (await sim.TransferAsync("DEFAULT", (NwStackName, 40, "Lab"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await sim.TransferAsync("DEFAULT", (NwStackName, 5, "Lab"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await sim.TransferAsync("Lab", (NwStackName, 45, "DEFAULT"))).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await QuantityAsync(sim, NwStackName, "DEFAULT")).ShouldBe(100);
        (await QuantityAsync(sim, NwStackName, "Lab")).ShouldBe(0);
    }

    [Fact]
    public async Task Insufficient_quantity_is_400_and_nothing_moves()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.TransferAsync("DEFAULT", (NwStackName, 101, "Lab"));

        await ShouldBeV1ErrorAsync(response, HttpStatusCode.BadRequest, "insufficient");
        (await QuantityAsync(sim, NwStackName, "DEFAULT")).ShouldBe(100);
        (await sim.ListAsync("""{"virtualAccounts":["Lab"]}"""))["totalRecords"]!.GetValue<int>().ShouldBe(0);
    }

    [Fact]
    public async Task One_refused_entry_refuses_the_whole_transfer()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.TransferAsync("DEFAULT", (NwStackName, 10, "Lab"), (HsecName, 11, "Lab"));
        using var twice = await sim.TransferAsync("DEFAULT", (NwStackName, 60, "Lab"), (NwStack, 60, "Lab"));

        await ShouldBeV1ErrorAsync(response, HttpStatusCode.BadRequest, "licenses[1]");
        await ShouldBeV1ErrorAsync(twice, HttpStatusCode.BadRequest, "licenses[1]");
        (await QuantityAsync(sim, NwStackName, "DEFAULT")).ShouldBe(100);
        (await QuantityAsync(sim, HsecName, "DEFAULT")).ShouldBe(10);
        (await sim.ListAsync("""{"virtualAccounts":["Lab"]}"""))["totalRecords"]!.GetValue<int>().ShouldBe(0);
    }

    [Fact]
    public async Task Licenses_in_use_cannot_be_transferred()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await sim.TrustedDeviceAsync("XFER-USE");
        await device.ReportAsync(DateTimeOffset.UtcNow, (NwStack, 95));

        using var tooMany = await sim.TransferAsync("DEFAULT", (NwStackName, 6, "Lab"));
        using var justEnough = await sim.TransferAsync("DEFAULT", (NwStackName, 5, "Lab"));

        await ShouldBeV1ErrorAsync(tooMany, HttpStatusCode.BadRequest, "5 of");
        justEnough.StatusCode.ShouldBe(HttpStatusCode.OK);
        var row = await sim.RowAsync(NwStackName);
        row["quantity"]!.GetValue<long>().ShouldBe(95);
        row["available"]!.GetValue<long>().ShouldBe(0);
    }

    [Fact]
    public async Task Eleven_entries_are_400()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.TransferAsync("DEFAULT", Enumerable.Repeat((NwStackName, 1L, "Lab"), 11).ToArray());
        using var ten = await sim.TransferAsync("DEFAULT", Enumerable.Repeat((NwStackName, 1L, "Lab"), 10).ToArray());

        await ShouldBeV1ErrorAsync(response, HttpStatusCode.BadRequest, "10");
        ten.StatusCode.ShouldBe(HttpStatusCode.OK, "ten entries are allowed");
        (await QuantityAsync(sim, NwStackName, "Lab")).ShouldBe(10);
    }

    [Theory]
    [InlineData(999)]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task A_quantity_outside_1_to_998_is_400(long quantity)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.TransferAsync("DEFAULT", (NwStackName, quantity, "Lab"));

        await ShouldBeV1ErrorAsync(response, HttpStatusCode.BadRequest, "quantity");
        (await QuantityAsync(sim, NwStackName, "DEFAULT")).ShouldBe(100);
    }

    [Fact]
    public async Task The_largest_quantity_998_is_accepted_when_the_pool_holds_it()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync($$"""
            accounts:
            - domain: example.com
              virtualAccounts:
              - name: DEFAULT
                licenses:
                - {tag: "{{NwStack}}", displayName: "{{NwStackName}}", enforcement: unenforced, type: PERPETUAL, quantity: 1000}
            """);

        using var response = await sim.TransferAsync("DEFAULT", (NwStackName, 998, "Lab"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await QuantityAsync(sim, NwStackName, "DEFAULT")).ShouldBe(2);
    }

    [Fact]
    public async Task An_unknown_target_virtual_account_or_license_in_the_body_is_400()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var unknownTarget = await sim.TransferAsync("DEFAULT", (NwStackName, 1, "Nope"));
        using var unknownLicense = await sim.TransferAsync("DEFAULT", ("No Such License", 1, "Lab"));
        using var sameVa = await sim.TransferAsync("DEFAULT", (NwStackName, 1, "DEFAULT"));

        await ShouldBeV1ErrorAsync(unknownTarget, HttpStatusCode.BadRequest, "Nope");
        await ShouldBeV1ErrorAsync(unknownLicense, HttpStatusCode.BadRequest, "No Such License");
        await ShouldBeV1ErrorAsync(sameVa, HttpStatusCode.BadRequest, "targetVirtualAccount");
    }

    [Fact]
    public async Task An_unknown_account_or_virtual_account_in_the_path_is_404()
    {
        await using var sim = await TestSimulator.StartAsync();
        var body = """{"licenses":[{"license":"AP Perpetual Networkstack Advantage","licenseType":"PERPETUAL","quantity":1,"targetVirtualAccount":"Lab"}]}""";

        using var unknownVa = await sim.PostAsync(TransferPath("Nope"), body);
        using var unknownAccount = await sim.PostAsync(TransferPath(domain: "nope.example"), body);

        await ShouldBeV1ErrorAsync(unknownVa, HttpStatusCode.NotFound);
        await ShouldBeV1ErrorAsync(unknownAccount, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_license_type_that_does_not_match_the_license_is_400_and_a_matching_one_in_any_case_is_accepted()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var wrong = await sim.PostAsync(TransferPath(),
            """{"licenses":[{"license":"AP Perpetual Networkstack Advantage","licenseType":"TERM","quantity":1,"targetVirtualAccount":"Lab"}]}""");
        using var right = await sim.PostAsync(TransferPath(),
            """{"licenses":[{"license":"AP Perpetual Networkstack Advantage","licenseType":"perpetual","quantity":"3","targetVirtualAccount":"Lab"}]}""");

        await ShouldBeV1ErrorAsync(wrong, HttpStatusCode.BadRequest, "licenseType");
        right.StatusCode.ShouldBe(HttpStatusCode.OK, "licenseType matches ignoring case; quantity may be a numeric string");
        (await QuantityAsync(sim, NwStackName, "Lab")).ShouldBe(3);
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"licenses":{}}""")]
    [InlineData("""{"licenses":[]}""")]
    [InlineData("""{"licenses":["x"]}""")]
    [InlineData("""{"licenses":[{"quantity":1,"targetVirtualAccount":"Lab"}]}""")]
    [InlineData("""{"licenses":[{"license":"AP Perpetual Networkstack Advantage","quantity":1.5,"targetVirtualAccount":"Lab"}]}""")]
    [InlineData("""{"licenses":[{"license":"AP Perpetual Networkstack Advantage","quantity":1}]}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"licenses":[""")]
    public async Task Malformed_bodies_are_400_in_the_v1_shape(string body)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.PostAsync(TransferPath(), body);

        await ShouldBeV1ErrorAsync(response, HttpStatusCode.BadRequest);
        (await QuantityAsync(sim, NwStackName, "DEFAULT")).ShouldBe(100);
    }

    [Fact]
    public async Task A_transfer_is_journaled_with_its_account_and_virtual_account()
    {
        await using var sim = await TestSimulator.StartAsync();
        (await sim.TransferAsync("DEFAULT", (NwStackName, 1, "Lab"))).StatusCode.ShouldBe(HttpStatusCode.OK);

        var journal = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/journal?operation=licenses.transfer", TestContext.Current.CancellationToken));

        var entry = journal["entries"]!.AsArray().Single()!;
        entry["smartAccount"]!.GetValue<string>().ShouldBe("example.com");
        entry["virtualAccount"]!.GetValue<string>().ShouldBe("DEFAULT");
        entry["outcome"]!.GetValue<string>().ShouldBe("SUCCESS");
        JsonNode.Parse(entry["requestBody"]!.GetValue<string>())!["licenses"]!.AsArray().Count.ShouldBe(1);
    }
}
