using CssmSim.Portal.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CssmSim.Portal.Tests.Browser;

/// <summary>Swagger UI at <c>/_sim/docs</c> in Chromium (issue 20): every document in the selector, Authorize with client credentials, "Try it out".</summary>
[Collection(BrowserCollection.Name)]
public sealed class SwaggerUiBrowserTests(Support.Browser browser, PortalSimulator sim) : IClassFixture<PortalSimulator>, IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await sim.Cssm.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task The_selector_offers_every_document()
    {
        var page = await browser.NewPageAsync(1280, 900);

        await page.GotoAsync(sim.Url("_sim/docs/index.html"));

        var select = page.Locator(".topbar select");
        await Expect(select.Locator("option")).ToHaveCountAsync(5, new() { Timeout = 30_000 });
        var options = await select.Locator("option").AllInnerTextsAsync();
        options.ShouldBe(["CssmSim control API", "CSSM OAuth2 (simulated)", "CSSM REST API (simulated)", "Cisco Software APIs (simulated)", "Smart transport (simulated)"]);
    }

    [Fact]
    public async Task Authorize_with_the_demo_client_then_try_it_out_calls_the_CSSM_API()
    {
        var page = await browser.NewPageAsync(1280, 900);
        await page.GotoAsync(sim.Url("_sim/docs/index.html"));
        await page.Locator(".topbar select").SelectOptionAsync(new SelectOptionValue { Label = "CSSM REST API (simulated)" });
        var op = page.Locator("#operations-Accounts-AccountsSearchV2");
        await Expect(op).ToBeVisibleAsync(new() { Timeout = 30_000 });

        await page.Locator(".scheme-container button.authorize").ClickAsync();
        var oauth = page.Locator(".modal-ux .auth-container:has(input[id^='client_id'])");
        await oauth.Locator("input[id^='client_id']").FillAsync("cssmsim");
        await oauth.Locator("input[id^='client_secret']").FillAsync("cssmsim");
        await oauth.Locator("button.authorize").ClickAsync();
        // Swagger UI fetched a token from the document's token URL (client id and secret as HTTP Basic).
        await Expect(page.Locator(".modal-ux h6").Filter(new() { HasText = "Authorized" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await page.Locator(".modal-ux button.btn-done").First.ClickAsync();

        await op.Locator(".opblock-summary").First.ClickAsync();
        await op.Locator("button.try-out__btn").ClickAsync();
        await op.Locator("button.execute").ClickAsync();
        var live = op.Locator(".live-responses-table");
        await Expect(live.Locator("tbody .response-col_status").First).ToContainTextAsync("200", new() { Timeout = 30_000 });
        await Expect(live).ToContainTextAsync("COMPLETE");
        await Screenshots.SaveAsync(page, "17-swagger-ui-cssm-api-try-it-out");
    }

    [Fact]
    public async Task Try_it_out_sends_a_smart_transport_message_without_credentials()
    {
        var page = await browser.NewPageAsync(1280, 900);
        await page.GotoAsync(sim.Url("_sim/docs/index.html"));
        await page.Locator(".topbar select").SelectOptionAsync(new SelectOptionValue { Label = "Smart transport (simulated)" });

        var op = page.Locator(".opblock").Filter(new() { HasText = "/licservice/license" });
        await op.Locator(".opblock-summary").First.ClickAsync();
        await op.Locator("button.try-out__btn").ClickAsync();
        await op.Locator("button.execute").ClickAsync();

        var live = op.Locator(".live-responses-table");
        await Expect(live.Locator("tbody .response-col_status").First).ToContainTextAsync("200", new() { Timeout = 30_000 });
        await Expect(live).ToContainTextAsync("server_time");
        await Screenshots.SaveAsync(page, "18-swagger-ui-smart-transport-hello");
    }
}
