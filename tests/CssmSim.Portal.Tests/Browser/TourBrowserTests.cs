using CssmSim.Portal.Tests.Support;
using CssmSim.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CssmSim.Portal.Tests.Browser;

/// <summary>Reservations, the event log, policies and the login in Chromium, with a screenshot of each.</summary>
[Collection(BrowserCollection.Name)]
public sealed class TourBrowserTests(Support.Browser browser, PortalSimulator sim) : IClassFixture<PortalSimulator>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await sim.Cssm.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_reservation_the_event_log_and_a_custom_policy()
    {
        var device = sim.Cssm.NewProductInstance("C9300-24T", "PORTAL-SLR-1");
        var page = await browser.NewPageAsync();

        await page.GotoAsync(sim.Url("portal/reservations"));
        await page.Locator("#RequestCodeText").FillAsync(device.CreateReservationRequestCode());
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Quantity of Simulated enforced license (demo)" }).FillAsync("1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Generate Authorization Code" }).ClickAsync();
        await Expect(page.Locator("#issued-code")).ToContainTextAsync("SLR code for C9300-24T:PORTAL-SLR-1");
        await Expect(page.Locator("#authorizations")).ToContainTextAsync("UDI_PID:C9300-24T; UDI_SN:PORTAL-SLR-1;");
        await Screenshots.SaveAsync(page, "09-reservations");
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#issued-code").GetByRole(AriaRole.Link, new() { Name = "Download" }).ClickAsync());
        var code = await File.ReadAllTextAsync(await download.PathAsync(), Ct);
        var installed = await device.InstallAuthorizationAsync(code, Ct);

        await page.GetByRole(AriaRole.Link, new() { Name = "Inventory" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Event Log" }).ClickAsync();
        await Expect(page.Locator("#events")).ToContainTextAsync("RESERVATION_ISSUED");
        await Screenshots.SaveAsync(page, "10-event-log");

        await page.GetByRole(AriaRole.Link, new() { Name = "Policies" }).ClickAsync();
        await page.Locator("#PolicyName").FillAsync("Browser policy");
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Enforced: Reporting frequency (days)" }).FillAsync("30");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save Virtual Account policy" }).ClickAsync();
        await Expect(page.Locator("#policy-name")).ToHaveTextAsync("Browser policy");
        await Expect(page.Locator("#policy-table")).ToContainTextAsync("Customer Policy");
        await Screenshots.SaveAsync(page, "11-policies");
        var policy = await page.RunAndWaitForDownloadAsync(() => page.Locator("#download-policy").ClickAsync());

        installed.ShouldBeTrue("the downloaded SLR code verifies on the device");
        download.SuggestedFilename.ShouldBe("slr_PORTAL-SLR-1.txt");
        policy.SuggestedFilename.ShouldBe("policy_DEFAULT.xml");
        (await sim.Cssm.Policies.GetAsync("DEFAULT", ct: Ct)).Name.ShouldBe("Browser policy");
    }

    [Fact]
    public async Task A_simulator_with_a_control_key_asks_for_it_before_showing_the_portal()
    {
        await using var keyed = await CssmSimulator.StartAsync(o => { o.Portal = true; o.ControlApiKey = "browser-key"; });
        var page = await browser.NewPageAsync();

        await page.GotoAsync(new Uri(keyed.BaseAddress, "portal/licenses").ToString());
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to CssmSim" })).ToBeVisibleAsync();
        await page.Locator("#key").FillAsync("wrong");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#login-error")).ToHaveTextAsync("That is not the control API key.");
        await Screenshots.SaveAsync(page, "12-login");
        await page.Locator("#key").FillAsync("browser-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/portal/licenses$"));
        await Expect(page.Locator("#licenses")).ToContainTextAsync("Simulated enforced license (demo)");
    }
}
