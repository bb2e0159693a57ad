using System.Net;
using System.Net.Sockets;

namespace CssmSim.Testing.Tests;

/// <summary>Fixture traps a new user met (issue 20): short license names, license counts, a fixed port.</summary>
public sealed class FirstHourFixtureTests
{
    private const string NetworkStack = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_short_license_name_counts_against_the_full_tag_and_the_list_shows_in_use_and_available()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        var token = await cssm.Tokens.CreateAsync("DEFAULT", expiresAfterDays: 30, ct: Ct);
        var device = cssm.NewProductInstance("C9800-CL-K9", "SHORT-NAME-1");
        (await device.EstablishTrustAsync(token.Value, ct: Ct)).Status.ShouldBe("COMPLETE");

        var reported = await device.ReportUsageAsync([("DNA_NWStack", 7)], ct: Ct);
        var licenses = await cssm.Licenses.ListAsync(ct: Ct);

        reported.Status.ShouldBe("COMPLETE");
        licenses.ShouldNotContain(l => l.Tag == "DNA_NWStack", "a short name is not a license of its own");
        var stack = licenses.Single(l => l.Tag == NetworkStack);
        stack.Quantity.ShouldBe(100);
        stack.InUse.ShouldBe(7);
        stack.Available.ShouldBe(93);
    }

    [Fact]
    public async Task A_fixed_port_is_used_and_a_taken_one_fails_the_start()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        await using (var cssm = await CssmSimulator.StartAsync(o => o.Port = port))
        {
            cssm.BaseAddress.Port.ShouldBe(port);
            await Should.ThrowAsync<Exception>(() => CssmSimulator.StartAsync(o => o.Port = port));
        }
        Should.Throw<ArgumentException>(() => new CssmSimulatorOptions { Port = 70_000 }.Validate()).Message.ShouldContain("Port must be from 0");
    }
}
