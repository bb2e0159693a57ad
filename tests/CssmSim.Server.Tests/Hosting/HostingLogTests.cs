using System.Collections.Concurrent;
using CssmSim.Engine.Storage;
using CssmSim.Server.Hosting;
using CssmSim.Testing;
using Microsoft.Extensions.Logging;

namespace CssmSim.Server.Tests.Hosting;

/// <summary>
/// ASP.NET Core's hosting category is off by default (while it logs at all, every request gets an
/// Activity and a log scope); a level configured for it, or for a category above it, brings it back.
/// </summary>
public sealed class HostingLogTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("Microsoft.AspNetCore.Hosting")]
    [InlineData("Microsoft.AspNetCore")]
    public async Task A_level_configured_for_asp_net_core_hosting_brings_its_request_lines_back(string category)
    {
        var lines = new ConcurrentQueue<string>();
        var options = new SimulatorOptions
        {
            Urls = ["http://127.0.0.1:0"], Store = StoreLocation.Memory, MinimumLogLevel = LogLevel.Information,
            LogLevels = new Dictionary<string, LogLevel> { [category] = LogLevel.Information },
        };
        await using var server = await SimulatorApp.CreateAsync(options, b => b.Logging.AddProvider(new LineLoggerProvider(lines.Enqueue)), Ct);
        await server.StartAsync(Ct);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        using var response = await http.GetAsync("/_sim/health", Ct);

        response.EnsureSuccessStatusCode();
        // Written before the endpoint runs, so it is there when the answer is.
        lines.ShouldContain(l => l.Contains("Diagnostics: Request starting") && l.Contains("/_sim/health"));
    }
}
