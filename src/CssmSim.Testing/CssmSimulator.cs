using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using CssmSim.Server.Hosting;
using CssmSim.Server.Pipeline;
using CssmSim.Testing.Devices;
using Microsoft.Extensions.Logging;

namespace CssmSim.Testing;

/// <summary>
/// A Cisco Smart Software Manager simulator running in the test process: a real Kestrel server on
/// a random loopback port (so code under test, in-process or not, reaches it over HTTP) with its own
/// store, clock, keys and journal. Set it up and inspect it through the typed members (in-process,
/// no HTTP); dispose it to free the port and forget all state.
/// <code>
/// await using var cssm = await CssmSimulator.StartAsync();
/// var token = await cssm.Tokens.CreateAsync("DEFAULT", maxUses: 5);
/// var result = await cssm.NewProductInstance("C9800-CL-K9", "93BBAH93MGS").EstablishTrustAsync(token.Value);
/// result.ShouldBeTrusted();
/// </code>
/// </summary>
public sealed class CssmSimulator : IAsyncDisposable
{
    private readonly SimulatorServer _server;
    private readonly SocketsHttpHandler _handler;
    private readonly SocketsHttpHandler? _httpsHandler;
    private readonly HttpClient _deviceClient;
    private readonly X509Certificate2? _ca;
    private readonly string? _controlKey;
    private int _fleets;
    private int _disposed;

    private CssmSimulator(SimulatorServer server, string? controlKey)
    {
        _server = server;
        _controlKey = controlKey;
        var addresses = server.Addresses;
        BaseAddress = addresses.First(a => a.Scheme == Uri.UriSchemeHttp);
        HttpsAddress = addresses.FirstOrDefault(a => a.Scheme == Uri.UriSchemeHttps);

        var engine = new EngineAccess(server.Services);
        SigningCertificatePem = engine.Signer.SigningCertificatePem;
        CaCertificatePem = engine.Signer.CaCertificatePem;
        // The environment's HTTP proxy must never see loopback traffic to the simulator.
        _handler = new SocketsHttpHandler { UseProxy = false };
        if (HttpsAddress is not null)
        {
            var ca = _ca = X509Certificate2.CreateFromPem(CaCertificatePem);
            _httpsHandler = new SocketsHttpHandler
            {
                UseProxy = false,
                SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, cert, _, errors) => TrustedByCa(cert, errors, ca) },
            };
        }
        _deviceClient = NewClient(_handler, BaseAddress);

        Tokens = new SimulatorTokens(engine);
        Accounts = new SimulatorAccounts(engine);
        ProductInstances = new SimulatorProductInstances(engine);
        Licenses = new SimulatorLicenses(engine);
        Policies = new SimulatorPolicies(engine);
        Faults = new SimulatorFaults(engine);
        Clock = new SimulatorTime(engine.Clock);
        PollTransitions = new SimulatorPollTransitions(engine);
        Journal = new SimulatorJournal(engine.Journal, engine.Clock.Wall);
        Events = new SimulatorEvents(engine);
        Snapshot = new SimulatorSnapshots(engine);
        Engine = engine;
    }

    /// <summary>
    /// Starts a simulator on <c>http://127.0.0.1:{random port}</c> (and HTTPS on another port with
    /// <see cref="CssmSimulatorOptions.Https"/>), ready for requests when the task completes.
    /// </summary>
    /// <param name="configure">Changes the defaults: in-memory store, default seed, embedded keys, system clock.</param>
    /// <param name="ct">Cancels the start.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static async Task<CssmSimulator> StartAsync(Action<CssmSimulatorOptions>? configure = null, CancellationToken ct = default)
    {
        var options = new CssmSimulatorOptions();
        configure?.Invoke(options);
        options.Validate();
        var server = await SimulatorApp.CreateAsync(ToServerOptions(options), builder =>
        {
            if (options.Logger is { } provider) builder.Logging.AddProvider(provider);
        }, ct);
        try
        {
            await server.StartAsync(ct);
            return new CssmSimulator(server, options.ControlApiKey);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The HTTP address, e.g. <c>http://127.0.0.1:41234/</c>: point the code under test here.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The HTTPS address when <see cref="CssmSimulatorOptions.Https"/> is on, else null.</summary>
    public Uri? HttpsAddress { get; }

    /// <summary>The certificate (PEM) that verifies trust codes, policies and ACKs, as <c>GET /_sim/certs/signing.pem</c> serves it.</summary>
    public string SigningCertificatePem { get; }

    /// <summary>The CA certificate (PEM) behind the signing and TLS certificates: what a device imports into its trustpoint.</summary>
    public string CaCertificatePem { get; }

    /// <summary>Registration tokens.</summary>
    public SimulatorTokens Tokens { get; }

    /// <summary>Smart and Virtual Accounts, and seed merges.</summary>
    public SimulatorAccounts Accounts { get; }

    /// <summary>Product instances (the inventory).</summary>
    public SimulatorProductInstances ProductInstances { get; }

    /// <summary>Licenses per Virtual Account.</summary>
    public SimulatorLicenses Licenses { get; }

    /// <summary>Policies in force and custom policies.</summary>
    public SimulatorPolicies Policies { get; }

    /// <summary>Fault rules.</summary>
    public SimulatorFaults Faults { get; }

    /// <summary>The simulator's clock.</summary>
    public SimulatorTime Clock { get; }

    /// <summary>How asynchronous jobs progress.</summary>
    public SimulatorPollTransitions PollTransitions { get; }

    /// <summary>The requests received.</summary>
    public SimulatorJournal Journal { get; }

    /// <summary>The event log.</summary>
    public SimulatorEvents Events { get; }

    /// <summary>Whole-state export and import.</summary>
    public SimulatorSnapshots Snapshot { get; }

    internal EngineAccess Engine { get; }

    /// <summary>
    /// A new client for <see cref="BaseAddress"/> (with the control key, when one is set). Clients share
    /// one connection pool; dispose them or not, the simulator closes the pool when disposed.
    /// </summary>
    public HttpClient CreateClient()
    {
        ThrowIfDisposed();
        return NewClient(_handler, BaseAddress);
    }

    /// <summary>A new client for <see cref="HttpsAddress"/> that trusts the simulator's CA (and nothing else).</summary>
    /// <exception cref="InvalidOperationException">HTTPS is off.</exception>
    public HttpClient CreateHttpsClient()
    {
        ThrowIfDisposed();
        if (_httpsHandler is null || HttpsAddress is null) throw new InvalidOperationException("HTTPS is off: start the simulator with options.Https = true");
        return NewClient(_httpsHandler, HttpsAddress);
    }

    /// <summary>
    /// Everything back to the start-up seed, as <c>POST /_sim/reset</c>: store, user fault rules,
    /// built-in rules and their counters, poll transitions, clock, journal and events.
    /// </summary>
    public async Task ResetAsync(CancellationToken ct = default)
    {
        ThrowIfDisposed();
        await Engine.State.ResetAsync(null, ct);
        await Engine.Journal.ClearAllAsync(ct);
    }

    /// <summary>A simulated device talking smart transport to this simulator.</summary>
    /// <param name="pid">Its product id, e.g. <c>C9800-CL-K9</c>.</param>
    /// <param name="serial">Its serial number.</param>
    /// <param name="hostname">Its hostname (default: the serial in lower case).</param>
    public SimulatedProductInstance NewProductInstance(string pid, string serial, string? hostname = null)
    {
        ThrowIfDisposed();
        return WaitingOnVirtualClock(new SimulatedProductInstance(_deviceClient, pid, serial, hostname));
    }

    // A device's waits (poll_interval between polls, OK_TRY_AGAIN back-offs) pass on the simulator's
    // virtual clock: a realistic-timing ACK comes due without a test ever sleeping. Its clock is the
    // simulator's too, as a device's is synchronised with CSSM (NTP): artefacts are checked against it.
    private SimulatedProductInstance WaitingOnVirtualClock(SimulatedProductInstance device)
    {
        device.Clock = Clock.Provider;
        device.WaitAsync = (delay, _) =>
        {
            Clock.Advance(delay);
            return Task.CompletedTask;
        };
        return device;
    }

    private SimulatedFleet WaitingOnVirtualClock(SimulatedFleet fleet)
    {
        foreach (var device in fleet) WaitingOnVirtualClock(device);
        return fleet;
    }

    /// <summary>Two devices in one HA set, talking to this simulator.</summary>
    public SimulatedHaPair NewHaPair(string pid, string activeSerial, string standbySerial) =>
        new(NewProductInstance(pid, activeSerial), NewProductInstance(pid, standbySerial));

    /// <summary>
    /// <paramref name="count"/> devices with serials <c>{serialPrefix}0001</c>, ... (default prefix
    /// <c>FLEET{n}-</c>, new for each fleet of this simulator so fleets never share a UDI).
    /// </summary>
    public SimulatedFleet NewFleet(int count, string pid = "C9800-CL-K9", string? serialPrefix = null)
    {
        ThrowIfDisposed();
        return WaitingOnVirtualClock(SimulatedFleet.Create(_deviceClient, count, pid, serialPrefix ?? NextFleetPrefix()));
    }

    /// <summary><paramref name="pairs"/> HA pairs (serials <c>{serialPrefix}0001A</c> and <c>...S</c>), each trusting through its active member.</summary>
    public SimulatedFleet NewHaFleet(int pairs, string pid = "C9800-CL-K9", string? serialPrefix = null)
    {
        ThrowIfDisposed();
        return WaitingOnVirtualClock(SimulatedFleet.CreateHaPairs(_deviceClient, pairs, pid, serialPrefix ?? NextFleetPrefix()));
    }

    /// <summary>Stops the server (its port is free when this completes) and drops all state.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _deviceClient.Dispose();
        _handler.Dispose();
        _httpsHandler?.Dispose();
        _ca?.Dispose();
        await _server.DisposeAsync();
    }

    /// <inheritdoc/>
    public override string ToString() => $"CssmSimulator at {BaseAddress}";

    private string NextFleetPrefix() => $"FLEET{Interlocked.Increment(ref _fleets)}-";

    private HttpClient NewClient(HttpMessageHandler handler, Uri address)
    {
        var client = new HttpClient(handler, disposeHandler: false) { BaseAddress = address };
        if (_controlKey is not null) client.DefaultRequestHeaders.Add(ControlKeyGate.Header, _controlKey);
        return client;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);

    private static bool TrustedByCa(X509Certificate? presented, SslPolicyErrors errors, X509Certificate2 ca)
    {
        if (presented is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(presented);
        return chain.Build(leaf);
    }

    private static SimulatorOptions ToServerOptions(CssmSimulatorOptions o) => new()
    {
        // Port 0 unless asked for: parallel simulators never compete for a port.
        Urls = o.Https ? [$"http://127.0.0.1:{o.Port}", "https://127.0.0.1:0"] : [$"http://127.0.0.1:{o.Port}"],
        Https = false,
        Store = o.Store.Location,
        Seed = o.Seed.Document,
        SeedText = o.Seed.Text,
        RandomSeed = o.RandomSeed,
        Clock = o.Clock.Create(),
        Certificates = o.Signing.Bundle(),
        SigningAlgorithm = o.Signing.Algorithm,
        TokenBottleneck = new Engine.Faults.BottleneckSettings(o.TokenBottleneck.Enabled, o.TokenBottleneck.ConcurrentAbove, o.TokenBottleneck.HoldMs),
        PollIntervalSeconds = o.PollIntervalSeconds,
        TimingProfile = o.Timing,
        JournalCapacity = o.JournalCapacity,
        ControlApiKey = o.ControlApiKey,
        Portal = o.Portal,
        ConsoleLogging = false,
        MinimumLogLevel = o.Logger is null ? LogLevel.None : o.MinimumLogLevel,
    };
}
