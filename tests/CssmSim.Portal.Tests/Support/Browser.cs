using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(CssmSim.Portal.Tests.Support.Browser))]

namespace CssmSim.Portal.Tests.Support;

/// <summary>
/// One headless system Chromium for the whole test run, driven by Playwright. Browsers are never
/// downloaded: <c>./run-sim.sh test</c> installs Debian's <c>chromium</c> (<c>/usr/bin/chromium</c>).
/// Without it the browser tests skip, except in CI (<c>CI=true</c>), where they fail.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>Why there is no browser, when there is none.</summary>
    public string? Unavailable { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            Unavailable = $"{ExecutablePath} is missing: install Debian's chromium package (./run-sim.sh test does)";
            return;
        }
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A fresh browser context (own cookies) and page, sized like a laptop screen; skips the test when there is no browser.</summary>
    public async Task<IPage> NewPageAsync(int width = 1440, int height = 900)
    {
        if (_browser is null)
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException("No browser for the portal tests in CI: " + Unavailable);
            Assert.Skip(Unavailable ?? "no browser");
        }
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            AcceptDownloads = true,
        });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        // Remove and revoke ask "are you sure?"; a person says yes.
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }
}

/// <summary>Screenshots of the portal's pages, kept as test artefacts in <c>artifacts/screenshots/</c> of the repository.</summary>
public static class Screenshots
{
    private static readonly Lazy<string> Folder = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CssmSim.sln"))) dir = dir.Parent;
        var root = dir?.FullName ?? Path.GetTempPath();
        var folder = Path.Combine(root, "artifacts", "screenshots");
        System.IO.Directory.CreateDirectory(folder);
        return folder;
    });

    /// <summary>The folder screenshots go to.</summary>
    public static string Directory => Folder.Value;

    /// <summary>Saves a full-page screenshot as <c>{name}.png</c>; returns its path.</summary>
    public static async Task<string> SaveAsync(IPage page, string name)
    {
        var path = Path.Combine(Folder.Value, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }
}
