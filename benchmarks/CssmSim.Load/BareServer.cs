using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CssmSim.Load;

/// <summary>
/// The comparison server: a bare ASP.NET Core minimal API with one endpoint answering the same
/// JSON shape as <c>GET /_sim/health</c>, and nothing else (no middleware, no logging).
/// </summary>
public static class BareServer
{
    public sealed record Health(string Status, string Version, string Store, long Uptime_s);

    public static async Task RunAsync(string urls)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(urls);
        var app = builder.Build();
        var started = DateTimeOffset.UtcNow;
        app.MapGet("/_sim/health", () => Results.Json(new Health("ok", "0.1.0", "memory", (long)(DateTimeOffset.UtcNow - started).TotalSeconds)));
        await app.StartAsync();
        Console.WriteLine($"bare ASP.NET Core listening on {urls}");
        await app.WaitForShutdownAsync();
    }
}
