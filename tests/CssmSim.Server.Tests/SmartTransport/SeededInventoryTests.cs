using System.Net;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.SmartTransport;

public sealed class SeededInventoryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Seed = """
        randomSeed: 42
        apiClients: [{clientId: cssmsim, clientSecret: cssmsim}]
        accounts:
        - domain: acme.test
          virtualAccounts:
          - name: DEFAULT
            tokens:
            - {description: fixed, token: "lab-token-123", maxUses: 2, exportControlled: false}
            - {description: derived, expiresAfterDays: 10}
            productInstances:
            - {udi_pid: C9800-CL-K9, udi_serial_number: SEEDED1, hostname: wlc-seed, trusted: true}
            - {udi_pid: C9800-CL-K9, udi_serial_number: SEEDED2}
        """;

    private static Task<TestSimulator> StartAsync() =>
        TestSimulator.StartAsync(o => { o.Seed = Engine.Seeding.SeedReader.Parse(Seed); o.SeedText = Seed; });

    private static async Task<JsonArray> TokensAsync(TestSimulator sim) =>
        (await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/accounts/acme.test/virtual-accounts/DEFAULT/tokens", Ct)))["tokens"]!.AsArray();

    private static async Task<JsonArray> InstancesAsync(TestSimulator sim) =>
        (await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/accounts/acme.test/virtual-accounts/DEFAULT/product-instances", Ct)))["productInstances"]!.AsArray();

    [Fact]
    public async Task Seeded_tokens_exist_and_a_fixed_token_string_establishes_trust()
    {
        await using var sim = await StartAsync();

        var tokens = await TokensAsync(sim);
        var result = await sim.Device("NEW1").EstablishTrustAsync("lab-token-123");

        tokens.Count.ShouldBe(2);
        tokens.Select(t => t!["description"]!.GetValue<string>()).ShouldBe(["derived", "fixed"], ignoreOrder: true);
        var fixedToken = tokens.Single(t => t!["description"]!.GetValue<string>() == "fixed")!;
        fixedToken["token"]!.GetValue<string>().ShouldBe("lab-token-123");
        fixedToken["exportControlled"]!.GetValue<string>().ShouldBe("Not Allowed");
        result.Trusted.ShouldBeTrue(result.Reply.ToJsonString());
        result.TrustCodes[0].SmartAccountDomain.ShouldBe("acme.test");
    }

    [Fact]
    public async Task A_seeded_trusted_product_instance_has_trust_and_the_other_does_not()
    {
        await using var sim = await StartAsync();

        var instances = await InstancesAsync(sim);
        var again = await sim.Device("SEEDED1").EstablishTrustAsync("lab-token-123");

        instances.Count.ShouldBe(2);
        var trusted = instances.Single(p => p!["udi_serial_number"]!.GetValue<string>() == "SEEDED1")!;
        trusted["trustCodeId"].ShouldNotBeNull();
        trusted["hostname"]!.GetValue<string>().ShouldBe("wlc-seed");
        instances.Single(p => p!["udi_serial_number"]!.GetValue<string>() == "SEEDED2")!["trustCodeId"].ShouldBeNull();
        again.ErrorCode.ShouldBe("UDI_ALREADY_REGISTERED");
    }

    [Fact]
    public async Task Reset_recreates_seeded_tokens_with_the_same_ids_and_forgets_new_trust()
    {
        await using var sim = await StartAsync();
        var before = (await TokensAsync(sim)).Select(t => t!["tokenId"]!.GetValue<string>()).Order().ToList();
        await sim.Device("NEW2").EstablishTrustAsync("lab-token-123");

        await sim.Http.PostAsync("/_sim/reset", null, Ct);
        var after = (await TokensAsync(sim)).Select(t => t!["tokenId"]!.GetValue<string>()).Order().ToList();
        var instances = await InstancesAsync(sim);

        after.ShouldBe(before);
        instances.Select(p => p!["udi_serial_number"]!.GetValue<string>()).ShouldBe(["SEEDED1", "SEEDED2"], ignoreOrder: true);
        (await TokensAsync(sim)).Single(t => t!["description"]!.GetValue<string>() == "fixed")!["usesCount"]!.GetValue<int>().ShouldBe(0);
    }

    [Fact]
    public async Task Resetting_one_udi_removes_its_product_instance_and_trust()
    {
        await using var sim = await StartAsync();

        using var reset = await sim.Http.PostAsync("/_sim/reset?udi=C9800-CL-K9:SEEDED1", null, Ct);
        using var unknown = await sim.Http.PostAsync("/_sim/reset?udi=PID:X,SN:Y", null, Ct);
        var retrust = await sim.Device("SEEDED1").EstablishTrustAsync("lab-token-123");

        reset.StatusCode.ShouldBe(HttpStatusCode.OK);
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        retrust.Trusted.ShouldBeTrue();
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_derived_token_on_another_simulator()
    {
        await using var a = await StartAsync();
        await using var b = await StartAsync();

        var tokenA = (await TokensAsync(a)).Single(t => t!["description"]!.GetValue<string>() == "derived")!["token"]!.GetValue<string>();
        var tokenB = (await TokensAsync(b)).Single(t => t!["description"]!.GetValue<string>() == "derived")!["token"]!.GetValue<string>();

        // The token string embeds the expiry, which follows the load time; the id and secret follow the seed.
        var idA = (await TokensAsync(a)).Single(t => t!["description"]!.GetValue<string>() == "derived")!["tokenId"]!.GetValue<string>();
        var idB = (await TokensAsync(b)).Single(t => t!["description"]!.GetValue<string>() == "derived")!["tokenId"]!.GetValue<string>();
        idA.ShouldBe(idB);
        tokenA.ShouldNotBeNullOrEmpty();
        tokenB.ShouldNotBeNullOrEmpty();
    }
}
