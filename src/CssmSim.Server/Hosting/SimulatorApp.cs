using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CssmSim.Engine.Access;
using CssmSim.Engine.Faults;
using CssmSim.Engine.Events;
using CssmSim.Engine.Jobs;
using CssmSim.Engine.Policies;
using CssmSim.Engine.Tokens;
using CssmSim.Engine.Trust;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Signing;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Snapshots;
using CssmSim.Engine.Storage.Sqlite;
using CssmSim.Engine.Time;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.Hosting;

/// <summary>
/// Builds the simulator's web application. Every face (the <c>cssmsim serve</c> server, the test
/// fixture, the scenario runner) calls this one function, so what a fixture user tests is what
/// the Docker user runs.
/// </summary>
public static class SimulatorApp
{
    public const int DefaultHttpsPort = 8443;
    private const string HostingDiagnostics = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>
    /// Opens the store, applies migrations and the start-up seed, loads the keys, and builds the
    /// application (not yet listening: call <see cref="SimulatorServer.StartAsync"/>).
    /// </summary>
    public static async Task<SimulatorServer> CreateAsync(SimulatorOptions options, Action<WebApplicationBuilder>? configure = null, CancellationToken ct = default)
    {
        var clock = options.Clock ?? new SimulatorClock();
        var store = SimulatorStores.Open(options.Store, options.SqliteSynchronous);
        try
        {
            var runtime = new SimulatorRuntime();
            var bundle = options.Certificates ?? LoadCertificates(options.CertificatesDirectory);
            var signer = ArtefactSigner.Create(bundle, options.SigningAlgorithm);
            var seeds = new SeedService(store, clock, options.Seed, options.SeedText, options.RandomSeed);
            var faults = new FaultEngine(store, options.TokenBottleneck, () => seeds.Ids.RandomSeed, clock.Wall);
            var transitions = new PollTransitionService(store, options.PollIntervalSeconds, options.TimingProfile);
            var jobs = new JobService(store, clock, transitions, () => seeds.Ids);
            var events = new EventLog(store, clock);
            var policies = new PolicyService(store, signer, clock, events);
            var tokenService = new TokenService(store, clock, () => seeds.Ids, events);
            var trust = new TrustService(store, clock, () => seeds.Ids, signer, policies, tokenService);
            var state = new SimulatorState(seeds, faults, transitions, clock, store, tokenService, trust, policies);
            await state.InitializeAsync(ct);
            var shared = new SharedState(store, faults, clock);
            await shared.InitializeAsync(ct);
            if (options.ResetOnStart) await state.ResetAsync(null, ct);
            var tokens = new AccessTokenService(store.Accounts, await AccessTokenService.LoadKeyAsync(store.State, ct), clock.Wall,
                TimeSpan.FromSeconds(options.OAuthTokenLifetimeSeconds), store.State);
            var urls = ListenUrls(options.Urls, options.Https);
            var controlKey = ResolveControlKey(options, urls);
            runtime.MarkReady();

            // No config reload: the builder would otherwise watch the working directory recursively
            // (one inotify watch per folder) before its sources are cleared, slowing every start.
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
            {
                ApplicationName = "CssmSim",
                Args = ["--hostBuilder:reloadConfigOnChange=false"],
            });
            // Settings come from SimulatorOptions only, never from ambient ASPNETCORE_* variables.
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddInMemoryCollection();
            builder.Logging.ClearProviders();
            if (options.ConsoleLogging) builder.Logging.AddSimpleConsole(c => { c.SingleLine = true; c.TimestampFormat = "HH:mm:ss "; });
            builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
            builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
            // Whenever this category logs at all, ASP.NET Core starts an Activity and a log scope for
            // every request; at Warning and above it writes nothing per request. Off, unless a
            // configured level names it or a category above it.
            if (!options.LogLevels.Keys.Any(c => HostingDiagnostics.StartsWith(c, StringComparison.OrdinalIgnoreCase)))
                builder.Logging.AddFilter(HostingDiagnostics, LogLevel.None);
            foreach (var (category, level) in options.LogLevels) builder.Logging.AddFilter(category, level);

            builder.WebHost.ConfigureKestrel(k =>
            {
                k.AddServerHeader = false;
                // Routes enforce their own, smaller limits; this is the ceiling (snapshot imports).
                k.Limits.MaxRequestBodySize = SnapshotService.MaxBytes;
            });
            if (urls.Any(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
            {
                // Only when something listens on HTTPS: the PKCS#12 round trip (which Windows TLS needs,
                // since a PEM import gives an ephemeral key) costs a key derivation each way.
                using var pemTls = X509Certificate2.CreateFromPem(bundle.TlsCertificatePem, bundle.TlsKeyPem);
                var tls = X509CertificateLoader.LoadPkcs12(pemTls.Export(X509ContentType.Pkcs12), null);
                builder.WebHost.UseKestrelHttpsConfiguration();
                builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(h => h.ServerCertificate = tls));
            }
            builder.WebHost.UseUrls([.. urls]);

            var core = new EngineCore(clock, store, signer, seeds, faults, transitions, jobs, events, policies, tokenService, trust, state, shared, tokens, runtime);
            builder.Services.AddCssmEngine(core, options).AddCssmSurfaces(options, controlKey.Value);
            configure?.Invoke(builder);

            var app = builder.Build();
            app.UseCssmPipeline().MapCssmSurfaces(options);

            return new SimulatorServer(app, controlKey, () => store.DisposeAsync());
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary><paramref name="directory"/> when it holds the eight files, else the embedded dev copies.</summary>
    public static CertificateBundle LoadCertificates(string directory) =>
        File.Exists(Path.Combine(directory, "signing.key")) ? CertificateBundle.LoadFromDirectory(directory) : CertificateBundle.LoadEmbedded();

    /// <summary>The configured URLs, plus HTTPS on 8443 of each host when <paramref name="https"/> is set.</summary>
    public static IReadOnlyList<string> ListenUrls(IReadOnlyList<string> urls, bool https)
    {
        var result = new List<string>(urls);
        if (!https) return result;
        foreach (var url in urls)
        {
            var host = HostOf(url);
            if (result.Any(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase) && HostOf(u) == host)) continue;
            result.Add($"https://{host}:{DefaultHttpsPort}");
        }
        return result;
    }

    /// <summary>True when some URL listens on an address other than the loopback.</summary>
    public static bool ListensBeyondLoopback(IEnumerable<string> urls) => urls.Any(u =>
    {
        var host = HostOf(u).Trim('[', ']');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return false;
        return !(IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    });

    private static string HostOf(string url)
    {
        var rest = url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var end = rest.StartsWith('[') ? rest.IndexOf(']') + 1 : rest.IndexOfAny([':', '/']);
        return end <= 0 ? rest : rest[..end];
    }

    private static ControlKeyInfo ResolveControlKey(SimulatorOptions o, IReadOnlyList<string> urls)
    {
        if (o.ControlApiKey is not null) return new ControlKeyInfo(o.ControlApiKey, false, null);
        if (!ListensBeyondLoopback(urls)) return new ControlKeyInfo(null, false, null);
        if (File.Exists(o.ControlKeyFile))
        {
            var existing = File.ReadAllText(o.ControlKeyFile).Trim();
            if (existing.Length > 0) return new ControlKeyInfo(existing, false, o.ControlKeyFile);
        }
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(o.ControlKeyFile))!);
        File.WriteAllText(o.ControlKeyFile, key + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(o.ControlKeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return new ControlKeyInfo(key, true, o.ControlKeyFile);
    }
}
