using CssmSim.Portal.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CssmSim.Portal.Tests.Browser;

/// <summary>Browser tests run one at a time: each drives Chromium, and two cores run one comfortably.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection
{
    public const string Name = "Browser";
}

/// <summary>Inventory → General in Chromium: CSSM's "Create Registration Token" dialog end to end.</summary>
[Collection(BrowserCollection.Name)]
public sealed class TokenBrowserTests(Support.Browser browser, PortalSimulator sim) : IClassFixture<PortalSimulator>, IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await sim.Cssm.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_token_created_in_the_dialog_is_listed_downloads_and_establishes_trust_for_a_product_instance()
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync(sim.Portal);
        await Expect(page.Locator("#tokens")).ToContainTextAsync("No tokens yet");
        await Screenshots.SaveAsync(page, "01-inventory-general");

        await page.GetByRole(AriaRole.Link, new() { Name = "New Token..." }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog)).ToContainTextAsync("Create Registration Token");
        await page.Locator("#Input_Description").FillAsync("portal browser test");
        await page.Locator("#Input_ExpiresAfterDays").FillAsync("400");
        await page.Locator("#Input_MaxUses").FillAsync("0");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create Token" }).ClickAsync();
        // Each mistake is shown beside its field, and the dialog keeps what was typed.
        await Expect(page.Locator("[data-valmsg-for='Input.ExpiresAfterDays']")).ToHaveTextAsync("Expire After must be between 1 and 365");
        await Expect(page.Locator("[data-valmsg-for='Input.MaxUses']")).ToContainTextAsync("Max. Number of Uses must be at least 1");
        await Expect(page.Locator("#Input_Description")).ToHaveValueAsync("portal browser test");
        await Screenshots.SaveAsync(page, "02-create-token-dialog-errors");

        await page.Locator("#Input_ExpiresAfterDays").FillAsync("30");
        await page.Locator("#Input_MaxUses").FillAsync("2");
        await page.Locator("#Input_ExportControlled").UncheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create Token" }).ClickAsync();
        await Expect(page.Locator("#token-created")).ToBeVisibleAsync();
        var token = await page.Locator("#new-token").InputValueAsync();
        var row = page.Locator("#tokens tbody tr").First;
        await Expect(row.Locator(".uses")).ToHaveTextAsync("0 of 2");
        await Expect(row).ToContainTextAsync("Not Allowed");
        await Expect(row).ToContainTextAsync("portal browser test");
        await Screenshots.SaveAsync(page, "03-token-created");

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#token-created").GetByRole(AriaRole.Link, new() { Name = "Download .txt" }).ClickAsync());
        var downloaded = await File.ReadAllTextAsync(await download.PathAsync(), TestContext.Current.CancellationToken);

        // The acceptance: a token created in the portal establishes trust for a simulated product instance.
        var device = sim.Cssm.NewProductInstance("C9800-CL-K9", "PORTAL-TOKEN-1");
        var trust = await device.EstablishTrustAsync(token, ct: TestContext.Current.CancellationToken);
        await page.GotoAsync(sim.Portal);
        await Expect(page.Locator("#tokens tbody tr").First.Locator(".uses")).ToHaveTextAsync("1 of 2");
        await page.GetByRole(AriaRole.Link, new() { Name = "Product Instances" }).ClickAsync();
        await Expect(page.Locator("#product-instances")).ToContainTextAsync("UDI_PID:C9800-CL-K9; UDI_SN:PORTAL-TOKEN-1;");
        await Expect(page.Locator("#product-instances")).ToContainTextAsync("Installed");
        await Screenshots.SaveAsync(page, "04-product-instances");

        token.ShouldNotBeNullOrWhiteSpace();
        download.SuggestedFilename.ShouldEndWith(".txt");
        downloaded.ShouldBe(token);
        trust.Trusted.ShouldBeTrue(trust.ErrorMessage);
        trust.TrustCodes.Single().VirtualAccountName.ShouldBe("DEFAULT");
    }

    [Fact]
    public async Task Licenses_show_over_use_in_red_and_the_clock_advances_from_the_header()
    {
        var token = await sim.Cssm.Tokens.CreateAsync("DEFAULT", expiresAfterDays: 30, ct: TestContext.Current.CancellationToken);
        var device = sim.Cssm.NewProductInstance("C9800-CL-K9", "PORTAL-LIC-1");
        (await device.EstablishTrustAsync(token.Value, ct: TestContext.Current.CancellationToken)).Trusted.ShouldBeTrue();
        const string enforced = "regid.2020-01.com.cisco.CSSMSIM_ENFORCED_DEMO,1.0_00000000-0000-4000-8000-000000000001";
        (await device.ReportUsageAsync([(enforced, 7L)], ct: TestContext.Current.CancellationToken)).Acknowledged.ShouldBeTrue();

        var page = await browser.NewPageAsync();
        await page.GotoAsync(sim.Url("portal/licenses"));
        var row = page.Locator($"#licenses tr[data-tag='{enforced}']");
        await Expect(row.Locator(".available")).ToHaveTextAsync("-2");
        (await row.Locator(".available").EvaluateAsync<string>("e => getComputedStyle(e).color")).ShouldBe("rgb(194, 57, 52)");
        await Screenshots.SaveAsync(page, "05-licenses");

        var before = await page.Locator("#clock-now").GetAttributeAsync("datetime");
        await page.Locator("select[name=advance]").SelectOptionAsync("P30D");
        await page.GetByRole(AriaRole.Button, new() { Name = "Advance" }).ClickAsync();
        await Expect(page.Locator(".notice")).ToContainTextAsync("The clock moved +30d");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/portal/licenses"));
        var after = await page.Locator("#clock-now").GetAttributeAsync("datetime");

        (DateTimeOffset.Parse(after!, System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.Parse(before!, System.Globalization.CultureInfo.InvariantCulture))
            .ShouldBeGreaterThan(TimeSpan.FromDays(29.9));
    }
}
