using CssmSim.Tests.Shared;

[assembly: AssemblyFixture(typeof(CssmSim.Server.Tests.Support.PostgresServerFixture))]

namespace CssmSim.Server.Tests.Support;

/// <summary>Stops the throwaway PostgreSQL cluster when the run ends (it starts on the first test that needs it).</summary>
public sealed class PostgresServerFixture : IAsyncDisposable
{
    public ValueTask DisposeAsync()
    {
        PostgresTestServer.Stop();
        return ValueTask.CompletedTask;
    }
}
