using Microsoft.Extensions.Logging;

[assembly: AssemblyFixture(typeof(CssmSim.Testing.Tests.AssemblySimulator))]

namespace CssmSim.Testing.Tests;

/// <summary>The simulator every test class of this assembly may share.</summary>
public sealed class AssemblySimulator : CssmSimulatorFixture;

/// <summary>A fixture that logs into the output of the test using it, with a fixed random seed.</summary>
public sealed class LoggingSimulator() : CssmSimulatorFixture(logToTestOutput: true, LogLevel.Debug)
{
    protected override void Configure(CssmSimulatorOptions options) => options.RandomSeed = 99;
}

/// <summary>Tests sharing one simulator through a class fixture; each starts from a reset.</summary>
public sealed class ClassFixtureTests(LoggingSimulator fixture) : IClassFixture<LoggingSimulator>, IAsyncLifetime
{
    public ValueTask InitializeAsync() => new(fixture.ResetAsync());

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_test_sees_only_the_token_it_created()
    {
        var cssm = fixture.Simulator;

        await cssm.Tokens.CreateAsync(description: "first test");

        (await cssm.Tokens.ListAsync()).ShouldHaveSingleItem().Description.ShouldBe("first test");
    }

    [Fact]
    public async Task Another_test_sees_only_its_own_token_too()
    {
        var cssm = fixture.Simulator;

        await cssm.Tokens.CreateAsync(description: "second test");

        (await cssm.Tokens.ListAsync()).ShouldHaveSingleItem().Description.ShouldBe("second test");
    }

    [Fact]
    public async Task The_fixture_applies_its_options_and_trusts_devices()
    {
        var cssm = fixture.Simulator;
        await using var sameSeed = await CssmSimulator.StartAsync(o => o.RandomSeed = 99);
        var token = await cssm.Tokens.CreateAsync();

        var result = await cssm.NewProductInstance("C9800-CL-K9", "FIXTURE01").EstablishTrustAsync(token.Value);

        result.ShouldBeTrusted(signedBy: cssm);
        cssm.Journal.ShouldContain(Operation.TrustEstablishment, 1);
        (await sameSeed.Tokens.CreateAsync()).Id.ShouldBe(token.Id, "a reset restarts the id generators from the fixture's random seed");
    }
}

[CollectionDefinition(nameof(SharedSimulatorCollection))]
public sealed class SharedSimulatorCollection : ICollectionFixture<CssmSimulatorFixture>;

/// <summary>A collection fixture: the same simulator for every class in the collection.</summary>
[Collection(nameof(SharedSimulatorCollection))]
public sealed class CollectionFixtureTests(CssmSimulatorFixture fixture) : IAsyncLifetime
{
    public ValueTask InitializeAsync() => new(fixture.ResetAsync());

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task The_collection_simulator_answers_over_http()
    {
        using var http = fixture.Simulator.CreateClient();

        using var response = await http.GetAsync("/_sim/health");

        response.IsSuccessStatusCode.ShouldBeTrue();
        http.BaseAddress.ShouldBe(fixture.Simulator.BaseAddress);
    }
}

/// <summary>An assembly fixture, injected into a test class by its constructor.</summary>
public sealed class AssemblyFixtureTests(AssemblySimulator fixture)
{
    [Fact]
    public async Task The_assembly_simulator_is_running_with_the_default_seed()
    {
        var accounts = await fixture.Simulator.Accounts.ListAsync();

        accounts.ShouldHaveSingleItem().Domain.ShouldBe("example.com");
    }

    [Fact]
    public async Task Before_initialisation_the_fixture_says_it_has_no_simulator()
    {
        var fresh = new CssmSimulatorFixture();

        Should.Throw<InvalidOperationException>(() => fresh.Simulator).Message.ShouldContain("InitializeAsync");
        await fresh.DisposeAsync();
    }
}
