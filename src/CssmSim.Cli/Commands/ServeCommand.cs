using System.CommandLine;
using CssmSim.Server.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CssmSim.Cli.Commands;

/// <summary>
/// <c>cssmsim serve</c>: the standalone simulator. Settings layer as ASP.NET Core does:
/// <c>appsettings.json</c> in the working directory, then <c>CSSMSIM__</c> environment variables,
/// then flags.
/// </summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "Listen addresses, ';'-separated (default http://127.0.0.1:8080). Env: CSSMSIM__Urls" };
        var store = new Option<string>("--store") { Description = "sqlite:PATH, memory or postgres:CONN (an Npgsql connection string or postgres://user:pass@host:port/db; replicas may share one database) (default sqlite:data/cssmsim.db). Env: CSSMSIM__Store" };
        var seed = new Option<string>("--seed") { Description = "Seed document (JSON or YAML) loaded at start and restored by reset. Env: CSSMSIM__Seed" };
        var randomSeed = new Option<long?>("--random-seed") { Description = "Overrides the seed's randomSeed (ids, tokens, random faults). Env: CSSMSIM__RandomSeed" };
        var https = new Option<bool>("--https") { Description = "Also serve HTTPS on port 8443 of each host, with the TLS certificate from certs/. Env: CSSMSIM__Https" };
        var reset = new Option<bool>("--reset") { Description = "Start from the seed alone: drop what an existing store holds (a new store always starts from the seed). Env: CSSMSIM__Reset" };
        var timing = new Option<string>("--timing")
        {
            Description = "fast (default: a usage report's ACK on the first poll) or realistic (the ACK due poll_interval, 300 s, of simulator time later, as real devices see it); a reset returns to it. Env: CSSMSIM__Polling__Timing",
        };
        var logLevel = new Option<string>("--log-level") { Description = "Trace, Debug, Information (default: a line per request), Warning, Error, Critical or None. Env: CSSMSIM__Logging__LogLevel__Default" };
        var cmd = new Command("serve", "Run the simulator until stopped (Ctrl+C).") { urls, store, seed, randomSeed, https, reset, timing, logLevel };
        cmd.SetAction(async (parse, ct) =>
        {
            var flags = new Dictionary<string, string?>();
            if (parse.GetValue(urls) is { } u) flags["Urls"] = u;
            if (parse.GetValue(store) is { } s) flags["Store"] = s;
            if (parse.GetValue(seed) is { } sd) flags["Seed"] = sd;
            if (parse.GetValue(randomSeed) is { } rs) flags["RandomSeed"] = rs.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (parse.GetValue(https)) flags["Https"] = "true";
            if (parse.GetValue(reset)) flags["Reset"] = "true";
            if (parse.GetValue(timing) is { } tp) flags["Polling:Timing"] = tp;
            if (parse.GetValue(logLevel) is { } ll) flags["Logging:LogLevel:Default"] = ll;
            return await RunAsync(BuildConfiguration(flags), ct);
        });
        return cmd;
    }

    // ASPNETCORE_URLS is read too (as any ASP.NET Core server does), below CSSMSIM__Urls and --urls.
    public static IConfiguration BuildConfiguration(IDictionary<string, string?> flags) => new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
        .AddInMemoryCollection(Environment.GetEnvironmentVariable("ASPNETCORE_URLS") is { Length: > 0 } aspnetUrls
            ? new Dictionary<string, string?> { ["Urls"] = aspnetUrls } : [])
        .AddEnvironmentVariables("CSSMSIM__")
        .AddInMemoryCollection(flags)
        .Build();

    private static async Task<int> RunAsync(IConfiguration config, CancellationToken ct)
    {
        SimulatorOptions options;
        try
        {
            options = SimulatorOptions.FromConfiguration(config);
        }
        catch (SimulatorConfigurationException e)
        {
            await Console.Error.WriteLineAsync("cssmsim: " + e.Message);
            return 2;
        }

        // Progress before the banner, so a slow first start (migrations, a large store, a big seed) never looks hung.
        var listen = SimulatorApp.ListenUrls(options.Urls, options.Https);
        if (ListenProbe.FindTaken(listen) is { } taken)
        {
            await Console.Error.WriteLineAsync($"cssmsim: cannot listen on {taken.Url}: {taken.Reason} (another cssmsim or program has it; choose another with --urls). Nothing was written.");
            return 1;
        }
        Console.WriteLine($"cssmsim: opening store {options.Store} and applying {(config["Seed"] is { Length: > 0 } f ? "seed " + f : "the default seed")}...");
        SimulatorServer server;
        try
        {
            server = await SimulatorApp.CreateAsync(options, ct: ct);
        }
        catch (Exception e) when (e is InvalidOperationException or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync("cssmsim: cannot start: " + e.Message);
            return 1;
        }
        await using (server)
        {
            Console.WriteLine($"cssmsim: starting to listen on {string.Join(", ", listen)}...");
            try
            {
                await server.StartAsync(ct);
            }
            catch (IOException e)
            {
                await Console.Error.WriteLineAsync("cssmsim: cannot listen: " + e.Message);
                return 1;
            }
            foreach (var line in await StartBanner.LinesAsync(server, options, config["Seed"] is { Length: > 0 } sf ? sf : null, ct))
                Console.WriteLine(line);
            foreach (var broken in server.Services.GetRequiredService<CssmSim.Engine.Faults.FaultEngine>().Unloadable)
                await Console.Error.WriteLineAsync($"cssmsim: warning: fault rule '{broken.Id}' in the store cannot be loaded and stays disabled: {broken.Problem}");
            if (options.Portal)
                Console.WriteLine($"  portal {server.BaseAddress}portal" + (server.ControlKey.Value is null ? "" : " (sign in with the control API key)"));
            if (server.ControlKey.Generated)
                Console.WriteLine($"  control API key (generated; saved to {server.ControlKey.File}): {server.ControlKey.Value}");
            else if (server.ControlKey.File is not null)
                Console.WriteLine($"  control API key: loaded from {server.ControlKey.File}");
            if (options.MinimumLogLevel <= Microsoft.Extensions.Logging.LogLevel.Information)
                Console.WriteLine("  a log line per request follows (--log-level Warning quiets it)");
            await server.WaitForShutdownAsync(ct);
        }
        return 0;
    }
}
