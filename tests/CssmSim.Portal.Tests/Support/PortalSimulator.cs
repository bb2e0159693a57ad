using CssmSim.Testing;

namespace CssmSim.Portal.Tests.Support;

/// <summary>A simulator with the portal on, shared by the tests of one class (each test starts from the start-up seed).</summary>
public sealed class PortalSimulator : IAsyncLifetime
{
    public CssmSimulator Cssm { get; private set; } = null!;

    /// <summary>The portal's address, e.g. <c>http://127.0.0.1:41234/portal</c>.</summary>
    public string Portal => new Uri(Cssm.BaseAddress, "portal").ToString();

    public string Url(string pathAndQuery) => new Uri(Cssm.BaseAddress, pathAndQuery.TrimStart('/')).ToString();

    public async ValueTask InitializeAsync() => Cssm = await CssmSimulator.StartAsync(o =>
    {
        o.Portal = true;
        o.RandomSeed = 7;
    });

    public async ValueTask DisposeAsync()
    {
        if (Cssm is not null) await Cssm.DisposeAsync();
    }
}
