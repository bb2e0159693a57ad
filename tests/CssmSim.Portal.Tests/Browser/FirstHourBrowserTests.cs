using CssmSim.Portal.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CssmSim.Portal.Tests.Browser;

/// <summary>What a new user met in Chromium at 1280×900 (issue 20): the root URL, the token dialog, the SLAC picker, the journal.</summary>
[Collection(BrowserCollection.Name)]
public sealed class FirstHourBrowserTests(Support.Browser browser, PortalSimulator sim) : IClassFixture<PortalSimulator>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await sim.Cssm.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task The_root_url_takes_a_browser_to_the_portal()
    {
        var page = await browser.NewPageAsync(1280, 900);

        await page.GotoAsync(sim.Url("/"));

        page.Url.ShouldBe(sim.Portal);
        await Expect(page.Locator("#tokens")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_token_dialog_shows_every_mistake_at_once()
    {
        var page = await browser.NewPageAsync(1280, 900);
        await page.GotoAsync(sim.Portal);
        await page.GetByRole(AriaRole.Link, new() { Name = "New Token..." }).ClickAsync();

        // maxlength stops typing at 512; a pasted or scripted value can still be longer.
        await page.Locator("#Input_Description").EvaluateAsync("el => el.value = 'x'.repeat(600)");
        await page.Locator("#Input_ExpiresAfterDays").FillAsync("soon");
        await page.Locator("#Input_MaxUses").FillAsync("0");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create Token" }).ClickAsync();

        await Expect(page.Locator("[data-valmsg-for='Input.Description']")).ToContainTextAsync("Description must be at most 512 characters");
        await Expect(page.Locator("[data-valmsg-for='Input.ExpiresAfterDays']")).ToHaveTextAsync("Expire After must be a whole number");
        await Expect(page.Locator("[data-valmsg-for='Input.MaxUses']")).ToContainTextAsync("Max. Number of Uses must be at least 1");
        await Screenshots.SaveAsync(page, "13-token-dialog-every-error");
    }

    [Fact]
    public async Task The_slac_product_instance_picker_fits_its_card_at_1280_wide()
    {
        var token = await sim.Cssm.Tokens.CreateAsync("DEFAULT", expiresAfterDays: 30, ct: Ct);
        var trust = await sim.Cssm.NewProductInstance("C9800-CL-K9-EXTENDED-PID", "A-VERY-LONG-SERIAL-NUMBER-FOR-THE-PICKER-01").EstablishTrustAsync(token.Value, ct: Ct);
        var page = await browser.NewPageAsync(1280, 900);

        await page.GotoAsync(sim.Url("portal/reservations"));
        var select = page.Locator("#slac-form select[name=SlacUdi]");
        await Expect(select).ToContainTextAsync("A-VERY-LONG-SERIAL-NUMBER-FOR-THE-PICKER-01");
        var card = page.Locator("section.panel", new() { Has = page.Locator("#slac-form") });
        var selectBox = (await select.BoundingBoxAsync()).ShouldNotBeNull();
        var cardBox = (await card.BoundingBoxAsync()).ShouldNotBeNull();
        await Screenshots.SaveAsync(page, "14-slac-picker-1280");

        trust.Status.ShouldBe("COMPLETE");
        (selectBox.X + selectBox.Width).ShouldBeLessThanOrEqualTo(cardBox.X + cardBox.Width);
    }

    [Fact]
    public async Task Journal_bodies_take_the_full_width_and_are_shown_decoded()
    {
        var token = await sim.Cssm.Tokens.CreateAsync("DEFAULT", expiresAfterDays: 30, ct: Ct);
        await sim.Cssm.NewProductInstance("C9800-CL-K9", "JOURNAL-BODIES-1").EstablishTrustAsync(token.Value, ct: Ct);
        var page = await browser.NewPageAsync(1280, 900);

        await page.GotoAsync(sim.Url("portal/journal?udi=JOURNAL-BODIES-1"));
        var bodies = page.Locator("#journal tr.journal-bodies").First;
        await bodies.Locator("summary").First.ClickAsync();
        var request = bodies.Locator("pre.body").First;
        await Expect(request).ToBeVisibleAsync();
        var box = (await request.BoundingBoxAsync()).ShouldNotBeNull();
        var text = await request.InnerTextAsync();
        await Screenshots.SaveAsync(page, "15-journal-bodies-1280");

        box.Width.ShouldBeGreaterThan(450, "each body gets half the table's width, not the Request column's ~220 px");
        text.ShouldContain("\n  \"", customMessage: "JSON is indented");
        text.ShouldContain("JOURNAL-BODIES-1");
    }
}
