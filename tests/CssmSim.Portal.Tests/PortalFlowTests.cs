using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CssmSim.Engine.Faults;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Tokens;
using CssmSim.Portal.Tests.Support;
using CssmSim.Testing.Devices;

namespace CssmSim.Portal.Tests;

/// <summary>Reservations, removal, usage uploads and policies through the portal's forms, over plain HTTP.</summary>
public sealed partial class PortalFlowTests
{
    private const string Enforced = "regid.2020-01.com.cisco.CSSMSIM_ENFORCED_DEMO,1.0_00000000-0000-4000-8000-000000000001";
    private const string NwStack = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<long> AvailableAsync(PortalHttp sim, string tag)
    {
        var store = sim.Service<ISimulatorStore>();
        var va = (await store.Accounts.FindVirtualAccountAsync("123456", "DEFAULT", Ct))!;
        var balances = await sim.Service<Engine.Licensing.LicenseService>().BalancesAsync(va, Ct);
        return balances.Single(b => b.Tag == tag).Available;
    }

    [Fact]
    public async Task A_reservation_made_in_the_portal_installs_and_its_instance_is_removed_only_with_a_return_code()
    {
        await using var sim = await PortalHttp.StartAsync();
        var device = new SimulatedProductInstance(sim.Http, "C9300-24T", "RES-PORTAL-1");

        using var reserved = await sim.PostFormAsync("/portal/reservations?handler=reserve", new Dictionary<string, string>
        {
            ["RequestCodeText"] = device.CreateReservationRequestCode(), ["ReservationType"] = "SPECIFIC", ["Tags[0]"] = Enforced, ["Counts[0]"] = "2",
        });
        var html = await PortalHttp.BodyAsync(reserved);
        var code = WebUtility.HtmlDecode(IssuedCode().Match(html).Groups[1].Value);
        var installed = await device.InstallAuthorizationAsync(code, Ct);
        var held = await AvailableAsync(sim, Enforced);
        var listed = await sim.PageAsync("/portal/product-instances");
        var remove = $"/portal/product-instances?handler=remove&udi={Uri.EscapeDataString(device.Udi.ToString())}";
        var withoutCode = await PortalHttp.BodyAsync(await sim.PostFormAsync(remove, [], "/portal/product-instances"));
        var malformed = await PortalHttp.BodyAsync(await sim.PostFormAsync(remove, new Dictionary<string, string> { ["returnCode"] = "not-a-code" }, "/portal/product-instances"));
        using var removed = await sim.PostFormAsync(remove, new Dictionary<string, string> { ["returnCode"] = device.ReturnCode() }, "/portal/product-instances");
        var gone = await sim.Service<ISimulatorStore>().Inventory.FindProductInstanceAsync(device.Udi.ToString(), Ct);

        html.ShouldContain("SLR code for C9300-24T:RES-PORTAL-1");
        code.ShouldStartWith("<specificPLR><authorizationCode>");
        installed.ShouldBeTrue("the device verifies the code's signature and UDI");
        held.ShouldBe(3);
        listed.ShouldContain("UDI_PID:C9300-24T; UDI_SN:RES-PORTAL-1;");
        listed.ShouldContain("Reservation Return Code");
        withoutCode.ShouldContain("holds a license reservation");
        malformed.ShouldContain("not well-formed");
        removed.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        gone.ShouldBeNull();
        (await AvailableAsync(sim, Enforced)).ShouldBe(5);
    }

    [Fact]
    public async Task A_request_code_that_does_not_parse_is_reported_next_to_its_field()
    {
        await using var sim = await PortalHttp.StartAsync();

        var html = await PortalHttp.BodyAsync(await sim.PostFormAsync("/portal/reservations?handler=reserve", new Dictionary<string, string>
        {
            ["RequestCodeText"] = "hello", ["ReservationType"] = "SPECIFIC", ["Tags[0]"] = Enforced, ["Counts[0]"] = "1",
        }));

        Regex.IsMatch(html, "data-valmsg-for=\"RequestCodeText\"[^>]*>A request code starts with").ShouldBeTrue();
    }

    [Fact]
    public async Task A_slac_generated_in_the_portal_installs_and_its_return_code_entered_in_the_portal_releases_it()
    {
        await using var sim = await PortalHttp.StartAsync();
        var va = (await sim.Service<ISimulatorStore>().Accounts.FindVirtualAccountAsync("123456", "DEFAULT", Ct))!;
        var account = (await sim.Service<ISimulatorStore>().Accounts.FindSmartAccountAsync("example.com", Ct))!;
        var token = await sim.Service<TokenService>().CreateAsync(account, va, new TokenRequest("slac", 30, null, true, "test"), Ct);
        var device = new SimulatedProductInstance(sim.Http, "C9300-24T", "SLAC-PORTAL-1");
        (await device.EstablishTrustAsync(token.Token.Token, ct: Ct)).Trusted.ShouldBeTrue();

        var html = await PortalHttp.BodyAsync(await sim.PostFormAsync("/portal/reservations?handler=slac", new Dictionary<string, string>
        {
            ["SlacUdi"] = device.Udi.ToString(), ["SlacTag"] = Enforced, ["SlacCount"] = "1",
        }));
        var slac = WebUtility.HtmlDecode(IssuedCode().Match(html).Groups[1].Value);
        var installed = await device.InstallAuthorizationAsync(slac, Ct);
        var held = await AvailableAsync(sim, Enforced);
        var returned = await PortalHttp.BodyAsync(await sim.PostFormAsync("/portal/reservations?handler=return",
            new Dictionary<string, string> { ["ReturnCodeText"] = device.ReturnCode() }));
        var unenforced = await PortalHttp.BodyAsync(await sim.PostFormAsync("/portal/reservations?handler=slac", new Dictionary<string, string>
        {
            ["SlacUdi"] = device.Udi.ToString(), ["SlacTag"] = NwStack, ["SlacCount"] = "1",
        }));

        html.ShouldContain("SLAC code for PID:C9300-24T,SN:SLAC-PORTAL-1");
        installed.ShouldBeTrue();
        held.ShouldBe(4);
        returned.ShouldContain("SLAC returned for PID:C9300-24T,SN:SLAC-PORTAL-1");
        (await AvailableAsync(sim, Enforced)).ShouldBe(5);
        unenforced.ShouldContain("LICENSE_NOT_ENFORCED");
    }

    [Fact]
    public async Task An_upload_refused_by_an_upload_fault_ends_in_errors_and_an_ack_fault_fails_the_download()
    {
        await using var sim = await PortalHttp.StartAsync();
        var faults = sim.Service<FaultEngine>();
        var device = new SimulatedProductInstance(sim.Http, "C9800-CL-K9", "UPLOAD-PORTAL-1");
        var saved = device.SaveUsage([(NwStack, 3L)]);

        using var good = await UploadAsync(sim, saved.FileName, saved.Content);
        await faults.AddAsync(JsonNode.Parse("""{"id":"up","match":{"surface":"usage-files","operation":"upload"},"effect":{"error":"LS_LICENGINE_FAIL_TO_CONNECT"}}""")!, Ct);
        using var faulted = await UploadAsync(sim, "second.txt", device.SaveUsage([(NwStack, 4L)]).Content);
        var listing = await sim.PageAsync("/portal/usage-files");
        var goodId = UploadIds().Matches(listing).Select(m => m.Groups[1].Value).Last();
        using var ack = await sim.Http.GetAsync($"/portal/usage-files?handler=ack&id={goodId}", Ct);
        var ackText = await ack.Content.ReadAsStringAsync(Ct);
        await faults.AddAsync(JsonNode.Parse("""{"id":"ack","match":{"surface":"usage-files","operation":"ack"},"effect":{"error":"SERVER_DOWN"}}""")!, Ct);
        using var failedAck = await sim.Http.GetAsync($"/portal/usage-files?handler=ack&id={goodId}", Ct);
        var failedHtml = await failedAck.Content.ReadAsStringAsync(Ct);

        good.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        WebUtility.UrlDecode(good.Headers.Location!.ToString()).ShouldContain("all_rum.txt: No Errors");
        WebUtility.UrlDecode(faulted.Headers.Location!.ToString()).ShouldContain("second.txt: Errors");
        listing.ShouldContain("Server error occurred: LS_LICENGINE_FAIL_TO_CONNECT");
        ack.StatusCode.ShouldBe(HttpStatusCode.OK);
        ack.Content.Headers.ContentDisposition!.FileName!.Trim('"').ShouldBe("ACK_all_rum.txt");
        (await device.ImportAckAsync(ackText, Ct)).ReportStatuses.Values.ShouldAllBe(s => s == "ACKED");
        failedAck.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        failedHtml.ShouldContain("Server error occurred: SERVER_DOWN");
        faults.Find("ack")!.Applied.ShouldBe(1);
    }

    [Fact]
    public async Task An_upload_without_a_file_or_with_a_broken_archive_says_so_next_to_the_file_field()
    {
        await using var sim = await PortalHttp.StartAsync();

        using var none = await UploadAsync(sim, null, null);
        var noneHtml = await PortalHttp.BodyAsync(none);
        using var broken = await UploadAsync(sim, "UD_SA_1.tar.gz", [0x1f, 0x8b, 8, 0, 1, 2, 3]);
        var brokenHtml = await PortalHttp.BodyAsync(broken);

        noneHtml.ShouldContain("Choose a usage data file");
        brokenHtml.ShouldContain("The upload was refused (ARCHIVE_REJECTED)");
    }

    [Fact]
    public async Task A_virtual_account_policy_saved_in_the_portal_is_in_force_and_downloads_signed()
    {
        await using var sim = await PortalHttp.StartAsync();

        using var saved = await sim.PostFormAsync("/portal/policies?handler=save&level=va", new Dictionary<string, string>
        {
            ["PolicyName"] = "Lab policy", ["AckRequired"] = "", ["Days[enforced.reporting_frequency_days]"] = "45",
        }, "/portal/policies");
        var page = await sim.PageAsync("/portal/policies");
        using var invalid = await sim.PostFormAsync("/portal/policies?handler=save&level=sa", new Dictionary<string, string>
        {
            ["Days[export.first_report_days]"] = "9999", ["Days[enforced.first_report_days]"] = "soon",
        }, "/portal/policies?level=sa");
        var invalidHtml = await PortalHttp.BodyAsync(invalid);
        var xml = await sim.Http.GetStringAsync("/portal/policies?handler=download", Ct);

        saved.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        page.ShouldContain("<span id=\"policy-name\">Lab policy</span>");
        page.ShouldContain("Customer Policy");
        invalidHtml.ShouldContain("First report (days) must be a whole number");
        xml.ShouldStartWith("<smartLicensePolicy><data>");
        var data = Regex.Match(xml, "<data>([^<]+)</data>").Groups[1].Value;
        System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(data)).ShouldContain("\"policy_name\":\"Lab policy\"");
    }

    [Fact]
    public async Task The_event_log_and_journal_show_what_devices_did()
    {
        await using var sim = await PortalHttp.StartAsync();
        var store = sim.Service<ISimulatorStore>();
        var va = (await store.Accounts.FindVirtualAccountAsync("123456", "DEFAULT", Ct))!;
        var account = (await store.Accounts.FindSmartAccountAsync("example.com", Ct))!;
        var token = await sim.Service<TokenService>().CreateAsync(account, va, new TokenRequest("ev", 30, null, true, "test"), Ct);
        await new SimulatedProductInstance(sim.Http, "C9800-CL-K9", "EVENTS-1").EstablishTrustAsync(token.Token.Token, ct: Ct);
        await new SimulatedProductInstance(sim.Http, "C9800-CL-K9", "OTHER-2").EstablishTrustAsync(token.Token.Token, ct: Ct);

        var events = await sim.PageAsync("/portal/events?type=TRUST_ISSUED");
        var journal = await sim.PageAsync("/portal/journal?udi=EVENTS-1");
        var byOperation = await sim.PageAsync("/portal/journal?operation=TRUST_ESTABLISHMENT");

        events.ShouldContain("PID:C9800-CL-K9,SN:EVENTS-1");
        events.ShouldNotContain("TOKEN_CREATED</span>");
        journal.ShouldContain("PID:C9800-CL-K9,SN:EVENTS-1");
        journal.ShouldNotContain("OTHER-2");
        Regex.Matches(byOperation, "data-journal-id=").Count.ShouldBe(2);
    }

    [Fact]
    public async Task A_large_virtual_account_lists_its_product_instances_a_hundred_at_a_time()
    {
        await using var sim = await PortalHttp.StartAsync();
        var store = sim.Service<ISimulatorStore>();
        var va = (await store.Accounts.FindVirtualAccountAsync("123456", "DEFAULT", Ct))!;
        for (var i = 0; i < 210; i++)
        {
            var serial = $"BULK{i:D4}";
            await store.Inventory.UpsertProductInstanceAsync(new StoredProductInstance($"PID:C9800-CL-K9,SN:{serial}", "C9800-CL-K9", serial,
                Guid.NewGuid().ToString(), va.Id, serial.ToLowerInvariant(), null, null, null, null, null, null, null, null, DateTimeOffset.UtcNow, null), Ct);
        }

        var first = await sim.PageAsync("/portal/product-instances");
        var third = await sim.PageAsync("/portal/product-instances?p=3");
        var reservations = await sim.PageAsync("/portal/reservations");

        Regex.Matches(first, "<tr data-udi=").Count.ShouldBe(100);
        first.ShouldContain("210 product instances; page 1 of 3");
        Regex.Matches(third, "<tr data-udi=").Count.ShouldBe(10);
        Regex.IsMatch(reservations, "<input[^>]*id=\"SlacUdi\"").ShouldBeTrue("too many instances for a list: the UDI is typed in");
    }

    private static async Task<HttpResponseMessage> UploadAsync(PortalHttp sim, string? fileName, byte[]? content)
    {
        var page = await sim.PageAsync("/portal/usage-files");
        var form = new MultipartFormDataContent
        {
            { new StringContent(PortalHttp.AntiforgeryToken(page)), "__RequestVerificationToken" },
            { new StringContent("DEFAULT"), "UploadVirtualAccount" },
        };
        if (fileName is not null) form.Add(new ByteArrayContent(content ?? []), "file", fileName);
        return await sim.Http.PostAsync("/portal/usage-files?handler=upload", form, Ct);
    }

    [GeneratedRegex("<textarea class=\"code\" readonly rows=\"5\" id=\"issued-code-text\"[^>]*>([^<]*)</textarea>")]
    private static partial Regex IssuedCode();

    [GeneratedRegex("data-upload-id=\"([^\"]+)\"")]
    private static partial Regex UploadIds();
}
