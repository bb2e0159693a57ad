using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace CssmSim.Server.Hosting;

/// <summary>A built simulator: the web application plus what its faces need to report.</summary>
public sealed class SimulatorServer : IAsyncDisposable
{
    private readonly Func<ValueTask> _disposeState;
    private bool _started;

    internal SimulatorServer(WebApplication app, ControlKeyInfo controlKey, Func<ValueTask> disposeState)
    {
        App = app;
        ControlKey = controlKey;
        _disposeState = disposeState;
    }

    public WebApplication App { get; }
    public IServiceProvider Services => App.Services;
    public ControlKeyInfo ControlKey { get; }

    /// <summary>The addresses Kestrel listens on (ports resolved), once started.</summary>
    public IReadOnlyList<Uri> Addresses =>
        App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
            .Select(a => new Uri(a.Replace("://[::]", "://localhost").Replace("://0.0.0.0", "://localhost"))).ToList() ?? [];

    /// <summary>The first HTTP address (else the first HTTPS one).</summary>
    public Uri BaseAddress => Addresses.OrderBy(a => a.Scheme == "http" ? 0 : 1).First();

    public async Task StartAsync(CancellationToken ct = default)
    {
        await App.StartAsync(ct);
        _started = true;
    }

    public Task WaitForShutdownAsync(CancellationToken ct = default) => App.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync()
    {
        if (_started) await App.StopAsync();
        await App.DisposeAsync();
        await _disposeState();
    }
}

/// <summary>The control key in force: configured, loaded from its file, or generated at this start.</summary>
public sealed record ControlKeyInfo(string? Value, bool Generated, string? File);
