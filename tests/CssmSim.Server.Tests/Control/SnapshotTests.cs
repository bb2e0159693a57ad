using System.Net;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.Control;

public sealed class SnapshotTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_exports_of_the_same_state_are_byte_identical()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync("accounts: [{domain: acme.test, virtualAccounts: [DEFAULT, Lab]}]");
        await sim.TokenAsync();

        var first = await sim.Http.GetByteArrayAsync("/_sim/snapshot", Ct);
        var second = await sim.Http.GetByteArrayAsync("/_sim/snapshot", Ct);

        second.ShouldBe(first);
    }

    [Fact]
    public async Task Importing_an_export_restores_that_state()
    {
        await using var sim = await TestSimulator.StartAsync();
        var saved = await sim.Http.GetByteArrayAsync("/_sim/snapshot", Ct);
        await sim.MergeSeedAsync("accounts: [{domain: acme.test, virtualAccounts: [DEFAULT]}]");

        using var import = await sim.Http.PostAsync("/_sim/snapshot", new ByteArrayContent(saved) { Headers = { ContentType = new("application/json") } }, Ct);
        var restored = await sim.Http.GetByteArrayAsync("/_sim/snapshot", Ct);

        import.StatusCode.ShouldBe(HttpStatusCode.OK);
        restored.ShouldBe(saved);
    }

    [Fact]
    public async Task An_export_carries_the_clock_and_not_the_journal()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.TokenAsync();

        var snapshot = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/snapshot", Ct));

        snapshot.ShouldHaveExactKeys("schemaVersion", "clock", "store");
        snapshot["clock"]!["mode"]!.GetValue<string>().ShouldBe("system");
        snapshot["store"]!.AsObject().ContainsKey("smart_accounts").ShouldBeTrue();
        snapshot.ToJsonString().ShouldNotContain("access_token");
    }
}
