using System.Net;
using System.Text.RegularExpressions;
using CssmSim.Engine.Storage;
using CssmSim.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace CssmSim.Portal.Tests.Support;

/// <summary>
/// A simulator (built by <see cref="SimulatorApp"/>, real Kestrel on a random loopback port) and a
/// cookie-keeping HTTP client that does not follow redirects: the portal's handlers tested the cheap
/// way, without a browser.
/// </summary>
public sealed partial class PortalHttp : IAsyncDisposable
{
    private PortalHttp(SimulatorServer server, CookieContainer cookies)
    {
        Server = server;
        Cookies = cookies;
        Http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, CookieContainer = cookies, UseCookies = true })
        {
            BaseAddress = server.BaseAddress,
        };
    }

    public SimulatorServer Server { get; }
    public HttpClient Http { get; }
    public CookieContainer Cookies { get; }

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<PortalHttp> StartAsync(Action<SimulatorOptions>? configure = null)
    {
        var options = new SimulatorOptions { Urls = ["http://127.0.0.1:0"], Store = StoreLocation.Memory, RandomSeed = 11, Portal = true };
        configure?.Invoke(options);
        var server = await SimulatorApp.CreateAsync(options, ct: Ct);
        await server.StartAsync(Ct);
        return new PortalHttp(server, new CookieContainer());
    }

    public T Service<T>() where T : notnull => Server.Services.GetRequiredService<T>();

    /// <summary>GETs a page and insists on 200 HTML.</summary>
    public async Task<string> PageAsync(string path)
    {
        using var r = await Http.GetAsync(path, Ct);
        var html = await r.Content.ReadAsStringAsync(Ct);
        r.StatusCode.ShouldBe(HttpStatusCode.OK, $"GET {path}: {html[..Math.Min(400, html.Length)]}");
        r.Content.Headers.ContentType?.MediaType.ShouldBe("text/html");
        return html;
    }

    /// <summary>The anti-forgery token of the first form on a page.</summary>
    public static string AntiforgeryToken(string html) =>
        TokenField().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new ShouldAssertException("the page has no anti-forgery token");

    /// <summary>Posts a form the way the browser would: with the token and cookie of <paramref name="fromPage"/> (default: the form's own path).</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string action, IEnumerable<KeyValuePair<string, string>> fields, string? fromPage = null)
    {
        var page = await PageAsync(fromPage ?? action.Split('?')[0]);
        var all = fields.Append(new("__RequestVerificationToken", AntiforgeryToken(page)));
        return await Http.PostAsync(action, new FormUrlEncodedContent(all), Ct);
    }

    public static async Task<string> BodyAsync(HttpResponseMessage r) => await r.Content.ReadAsStringAsync(Ct);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();
}

/// <summary>A wall clock the test moves by hand (the failed-login limiter reads wall time).</summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;
    public override DateTimeOffset GetUtcNow() => _now;
    public void Advance(TimeSpan by) => _now += by;
}
