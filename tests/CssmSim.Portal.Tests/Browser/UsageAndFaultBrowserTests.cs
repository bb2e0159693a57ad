using CssmSim.Portal.Tests.Support;
using CssmSim.Testing.Devices;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CssmSim.Portal.Tests.Browser;

/// <summary>Reports → Usage Data Files, Faults and Journal in Chromium.</summary>
[Collection(BrowserCollection.Name)]
public sealed class UsageAndFaultBrowserTests(Support.Browser browser, PortalSimulator sim) : IClassFixture<PortalSimulator>, IAsyncLifetime
{
    private const string NwStack = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await sim.Cssm.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task An_uploaded_usage_file_is_processed_and_its_ack_downloads_and_installs_on_the_device()
    {
        var token = await sim.Cssm.Tokens.CreateAsync("DEFAULT", expiresAfterDays: 30, ct: Ct);
        var devices = new[] { sim.Cssm.NewProductInstance("C9800-CL-K9", "PORTAL-UD-1"), sim.Cssm.NewProductInstance("C9800-CL-K9", "PORTAL-UD-2") };
        foreach (var d in devices) (await d.EstablishTrustAsync(token.Value, ct: Ct)).Trusted.ShouldBeTrue();
        var archive = devices.SaveCsluUsage([(NwStack, 2L)], new CsluAccount("example.com", "DEFAULT"));
        var page = await browser.NewPageAsync();

        await page.GotoAsync(sim.Url("portal/usage-files"));
        await page.Locator("#file").SetInputFilesAsync(new FilePayload { Name = archive.FileName, MimeType = "application/gzip", Buffer = archive.Content });
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload Data" }).ClickAsync();
        var row = page.Locator("#usage-files tbody tr").First;
        await Expect(page.Locator(".notice")).ToContainTextAsync($"Uploaded {archive.FileName}: No Errors");
        await Expect(row.Locator(".status")).ToContainTextAsync("No Errors");
        await Expect(row.Locator("td.num").First).ToHaveTextAsync("2");
        await Screenshots.SaveAsync(page, "06-usage-data-files");

        var download = await page.RunAndWaitForDownloadAsync(() => row.GetByRole(AriaRole.Link, new() { Name = "Download" }).ClickAsync());
        var ack = await File.ReadAllBytesAsync(await download.PathAsync(), Ct);
        var received = await devices[0].ImportAckAsync(archive, ack, Ct);

        download.SuggestedFilename.ShouldBe("ACK_" + archive.FileName);
        received.ReportStatuses.Values.ShouldAllBe(s => s == "ACKED");
        received.HasPolicy.ShouldBeTrue();
    }

    [Fact]
    public async Task A_fault_preset_added_in_the_portal_fails_the_next_trust_request_and_shows_in_the_counts_and_the_journal()
    {
        var token = await sim.Cssm.Tokens.CreateAsync("DEFAULT", expiresAfterDays: 30, ct: Ct);
        var page = await browser.NewPageAsync();

        await page.GotoAsync(sim.Url("portal/faults"));
        await page.Locator("button[data-preset='trust-fail']").ClickAsync();
        await Expect(page.Locator(".notice")).ToContainTextAsync("Added the fault rule 'LS_LICENGINE_FAIL_TO_CONNECT on trust'");
        var trust = await sim.Cssm.NewProductInstance("C9800-CL-K9", "PORTAL-FAULT-1").EstablishTrustAsync(token.Value, ct: Ct);
        await page.ReloadAsync();
        var rule = page.Locator("#fault-rules tbody tr", new() { HasText = "LS_LICENGINE_FAIL_TO_CONNECT on trust" });
        await Expect(rule.Locator(".candidates")).ToHaveTextAsync("1");
        await Expect(rule.Locator(".applied")).ToHaveTextAsync("1");
        await Screenshots.SaveAsync(page, "07-faults");

        await page.GetByRole(AriaRole.Link, new() { Name = "Journal" }).ClickAsync();
        await page.Locator("input[name=udi]").FillAsync("PORTAL-FAULT-1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        var entry = page.Locator("#journal tbody tr").First;
        await Expect(entry.Locator(".operation")).ToHaveTextAsync("TRUST_ESTABLISHMENT");
        await Expect(entry.Locator(".outcome")).ToContainTextAsync("FAILED");
        await Expect(entry.Locator(".outcome")).ToContainTextAsync("LS_LICENGINE_FAIL_TO_CONNECT");
        await Screenshots.SaveAsync(page, "08-journal");

        await page.GetByRole(AriaRole.Link, new() { Name = "Faults" }).ClickAsync();
        await page.Locator("#fault-rules tbody tr", new() { HasText = "LS_LICENGINE_FAIL_TO_CONNECT on trust" }).GetByRole(AriaRole.Button, new() { Name = "Disable" }).ClickAsync();
        var retried = await sim.Cssm.NewProductInstance("C9800-CL-K9", "PORTAL-FAULT-1").EstablishTrustAsync(token.Value, ct: Ct);

        trust.Trusted.ShouldBeFalse();
        trust.ErrorCode.ShouldBe("LS_LICENGINE_FAIL_TO_CONNECT");
        retried.Trusted.ShouldBeTrue("a disabled rule no longer fires");
    }
}
