namespace CssmSim.Testing.Tests;

/// <summary>Fleets trusting at once: the max-uses bottleneck of SPEC §3, and HA fleets.</summary>
public sealed class FleetTests
{
    [Fact]
    public async Task Fifty_devices_trusting_at_once_on_a_fifty_use_token_meet_the_bottleneck()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        var token = await cssm.Tokens.CreateAsync(maxUses: 50);
        var fleet = cssm.NewFleet(50, "C9800-CL-K9");

        var result = await fleet.TrustAllAsync(token.Value, concurrency: 50);

        result.Count.ShouldBe(50);
        result.Trusted.Count.ShouldBeInRange(1, 49);
        result.CountFailedWith("LS_LICENGINE_FAIL_TO_CONNECT").ShouldBeGreaterThan(0);
        result.Failed.ShouldAllBe(o => o.ErrorCode == "LS_LICENGINE_FAIL_TO_CONNECT");
        await token.ShouldHaveUsesAsync(result.Trusted.Count);
        cssm.Faults.Find(SimulatorFaults.TokenBottleneckId)!.Applied.ShouldBe(result.Failed.Count);
    }

    [Fact]
    public async Task With_the_bottleneck_off_the_same_burst_trusts_every_device()
    {
        await using var cssm = await CssmSimulator.StartAsync(o => o.TokenBottleneck = TokenBottleneck.Off);
        var token = await cssm.Tokens.CreateAsync(maxUses: 50);
        var fleet = cssm.NewFleet(50, "C9800-CL-K9", serialPrefix: "WLC");

        var result = await fleet.TrustAllAsync(token.Value, concurrency: 50);

        result.ShouldAllBeTrusted();
        fleet[0].Udi.Serial.ShouldBe("WLC0001");
        await token.ShouldHaveUsesAsync(50);
        (await cssm.ProductInstances.ListAsync()).Count.ShouldBe(50);
    }

    [Fact]
    public async Task One_at_a_time_a_limited_token_never_meets_the_bottleneck()
    {
        await using var cssm = await CssmSimulator.StartAsync(o => o.TokenBottleneck = new TokenBottleneck(ConcurrentAbove: 4, HoldMs: 0));
        var token = await cssm.Tokens.CreateAsync(maxUses: 10);

        var result = await cssm.NewFleet(10).TrustAllAsync(token.Value, concurrency: 1);

        result.ShouldAllBeTrusted();
    }

    [Fact]
    public async Task A_fleet_of_ha_pairs_trusts_both_members_of_each_pair_with_one_use_per_pair()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        var token = await cssm.Tokens.CreateAsync(maxUses: 3);
        var fleet = cssm.NewHaFleet(3, serialPrefix: "HA");

        var result = await fleet.TrustAllAsync(token.Value, concurrency: 1);

        result.ShouldAllBeTrusted();
        result.Count.ShouldBe(6);
        fleet.HaPairs.Count.ShouldBe(3);
        await token.ShouldHaveUsesAsync(3);
    }

    [Fact]
    public async Task A_failed_fleet_assertion_counts_the_failures_by_error()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        var token = await cssm.Tokens.CreateAsync(maxUses: 2);

        var result = await cssm.NewFleet(3).TrustAllAsync(token.Value, concurrency: 1);

        var failure = Should.Throw<CssmAssertionException>(() => result.ShouldAllBeTrusted());
        failure.Message.ShouldContain("expected all 3 devices to be trusted, but 2 of 3 trusted; failed: TOKEN_USES_EXHAUSTED x1");
    }
}
