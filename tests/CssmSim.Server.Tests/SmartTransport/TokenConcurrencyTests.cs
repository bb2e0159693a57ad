using CssmSim.Engine.Storage;
using CssmSim.Server.Tests.Support;
using CssmSim.Testing.Devices;

namespace CssmSim.Server.Tests.SmartTransport;

/// <summary>The token max-uses cap under concurrency, and the built-in bottleneck rule (issue acceptance).</summary>
public sealed class TokenConcurrencyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cssmsim-burst-").FullName;

    public static TheoryData<string> Stores => ["memory", "file", "postgres"];

    private async Task<StoreLocation> StoreAsync(string kind) => kind switch
    {
        "memory" => StoreLocation.Memory,
        "postgres" => StoreLocation.Postgres(await CssmSim.Tests.Shared.PostgresTestServer.NewSchemaAsync()),
        _ => StoreLocation.SqliteFile(Path.Combine(_dir, "burst.db")),
    };

    private static async Task<TrustResult[]> BurstAsync(TestSimulator sim, string token, int count, string prefix)
    {
        // Separate connections, released together, so the requests really overlap.
        using var start = new SemaphoreSlim(0);
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            var device = sim.Device($"{prefix}{i:D4}");
            await start.WaitAsync();
            return await device.EstablishTrustAsync(token);
        }).ToList();
        start.Release(count);
        return await Task.WhenAll(tasks);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Two_hundred_concurrent_requests_on_a_50_use_token_trust_exactly_50(string store)
    {
        var location = await StoreAsync(store);
        await using var sim = await TestSimulator.StartAsync(o => { o.Store = location; o.TokenBottleneck = new(Enabled: false); });
        var token = await sim.CreateTokenAsync(maxUses: 50);

        var results = await BurstAsync(sim, token["token"]!.GetValue<string>(), 200, "BURST");
        var listed = await TrustEstablishmentTests.ListTokenAsync(sim, token["tokenId"]!.GetValue<string>());

        results.Count(r => r.Trusted).ShouldBe(50);
        results.Count(r => r.ErrorCode == "TOKEN_USES_EXHAUSTED").ShouldBe(150);
        listed["usesCount"]!.GetValue<int>().ShouldBe(50);
        listed["status"]!.GetValue<string>().ShouldBe("EXPIRED", "a token whose uses reached the maximum shows as expired");
    }

    [Fact]
    public async Task With_the_bottleneck_on_a_burst_fails_some_requests_with_licengine_and_those_consume_no_use()
    {
        await using var sim = await TestSimulator.StartAsync();
        var token = await sim.CreateTokenAsync(maxUses: 50);

        var results = await BurstAsync(sim, token["token"]!.GetValue<string>(), 200, "NECK");
        var listed = await TrustEstablishmentTests.ListTokenAsync(sim, token["tokenId"]!.GetValue<string>());
        var rule = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/faults/token-max-uses-bottleneck", TestContext.Current.CancellationToken));

        var trusted = results.Count(r => r.Trusted);
        var bottlenecked = results.Where(r => r.ErrorCode == "LS_LICENGINE_FAIL_TO_CONNECT").ToList();
        bottlenecked.ShouldNotBeEmpty();
        bottlenecked.ShouldAllBe(r => r.ErrorMessage == "Server error occurred: LS_LICENGINE_FAIL_TO_CONNECT");
        trusted.ShouldBeInRange(1, 50);
        listed["usesCount"]!.GetValue<int>().ShouldBe(trusted, "only requests that issued trust codes used the token");
        results.Count(r => r.ErrorCode == "TOKEN_USES_EXHAUSTED").ShouldBe(200 - trusted - bottlenecked.Count);
        rule["applied"]!.GetValue<long>().ShouldBe(bottlenecked.Count);
    }

    [Fact]
    public async Task Requests_further_apart_than_the_hold_window_never_hit_the_bottleneck()
    {
        var wall = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var sim = await TestSimulator.StartAsync(o => o.Clock = new Engine.Time.SimulatorClock(wall));
        var token = (await sim.CreateTokenAsync(maxUses: 50))["token"]!.GetValue<string>();

        var results = new List<TrustResult>();
        for (var i = 0; i < 12; i++)
        {
            results.Add(await sim.Device($"SPACED{i:D2}").EstablishTrustAsync(token));
            wall.Advance(TimeSpan.FromMilliseconds(201));
        }

        results.ShouldAllBe(r => r.Trusted);
    }

    [Fact]
    public async Task Back_to_back_requests_inside_the_hold_window_are_counted_and_hit_it()
    {
        var wall = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var sim = await TestSimulator.StartAsync(o => o.Clock = new Engine.Time.SimulatorClock(wall));
        var token = (await sim.CreateTokenAsync(maxUses: 50))["token"]!.GetValue<string>();

        var results = new List<TrustResult>();
        for (var i = 0; i < 6; i++) results.Add(await sim.Device($"TIGHT{i:D2}").EstablishTrustAsync(token));

        results.Take(4).ShouldAllBe(r => r.Trusted);
        results[4].ErrorCode.ShouldBe("LS_LICENGINE_FAIL_TO_CONNECT", "four replies are still inside their 200 ms hold");
    }

    [Fact]
    public async Task An_unlimited_token_is_never_bottlenecked()
    {
        await using var sim = await TestSimulator.StartAsync();
        var token = (await sim.CreateTokenAsync())["token"]!.GetValue<string>();

        var results = await BurstAsync(sim, token, 60, "FREE");

        results.ShouldAllBe(r => r.Trusted);
    }

    [Fact]
    public async Task The_bottleneck_limit_is_changed_with_a_patch()
    {
        var wall = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var sim = await TestSimulator.StartAsync(o => o.Clock = new Engine.Time.SimulatorClock(wall));
        await sim.PatchFaultAsync("token-max-uses-bottleneck", """{"when":{"concurrentAbove":1}}""");
        var token = (await sim.CreateTokenAsync(maxUses: 50))["token"]!.GetValue<string>();

        var first = await sim.Device("P1").EstablishTrustAsync(token);
        var second = await sim.Device("P2").EstablishTrustAsync(token);

        first.Trusted.ShouldBeTrue();
        second.ErrorCode.ShouldBe("LS_LICENGINE_FAIL_TO_CONNECT");
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
