using System.Net;
using System.Net.Sockets;

namespace CssmSim.Load.Tests;

/// <summary>
/// The CI version of the soak (docs/performance.md §Soak): a real <c>cssmsim serve</c> process on
/// a SQLite file, 60 seconds of mixed load at a modest steady rate, no errors and flat memory.
/// The rate and bounds leave room for a 2-core CI machine running other test projects at once.
/// </summary>
public sealed class SoakTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _dir = Directory.CreateTempSubdirectory("cssmsim-soak-").FullName;

    [Fact]
    public async Task Sixty_seconds_of_mixed_load_give_no_errors_and_flat_memory()
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        await using var server = await ServerProcess.StartSimulatorAsync(url, "sqlite:" + Path.Combine(_dir, "soak.db"), _dir, ct: Ct);
        var options = new SoakOptions(TimeSpan.FromSeconds(60), Rate: 20, Clients: 8, SampleEvery: TimeSpan.FromSeconds(5), WarmUp: 0.25, RssGrowthBoundMb: 80);

        var report = await Soak.RunAsync(server.BaseAddress, server.RssBytes, options, ct: Ct);

        TestContext.Current.TestOutputHelper?.WriteLine(report.ToString());
        report.Failures.ShouldBeEmpty(report.ToString());
        report.Run.Operations.ShouldBeGreaterThan(1000);
        server.HasExited.ShouldBeFalse();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
