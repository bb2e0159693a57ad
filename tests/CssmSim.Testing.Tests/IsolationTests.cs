using System.Net;
using System.Net.Sockets;

namespace CssmSim.Testing.Tests;

/// <summary>Many simulators in one process, and what disposing one leaves behind (issue acceptance).</summary>
public sealed class IsolationTests
{
    [Fact]
    public async Task Twenty_simulators_started_in_parallel_each_see_only_their_own_state()
    {
        var simulators = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => CssmSimulator.StartAsync()));
        try
        {
            // The same UDI everywhere: shared state would answer UDI_ALREADY_REGISTERED somewhere.
            var results = await Task.WhenAll(simulators.Select(async (cssm, i) =>
            {
                var token = await cssm.Tokens.CreateAsync(description: $"sim {i}");
                if (i == 0) await cssm.Faults.AddAsync(Fault.On(Operation.Hello).Error(CssmError.LicEngineFailToConnect));
                cssm.Clock.Advance(TimeSpan.FromDays(i));
                return (Token: token, Trust: await cssm.NewProductInstance("C9800-CL-K9", "SHARED-SERIAL").EstablishTrustAsync(token.Value));
            }));

            simulators.Select(s => s.BaseAddress.Port).Distinct().Count().ShouldBe(20);
            for (var i = 0; i < simulators.Length; i++)
            {
                var cssm = simulators[i];
                results[i].Trust.ShouldBeTrusted(signedBy: cssm);
                (await cssm.Tokens.ListAsync()).ShouldHaveSingleItem().Description.ShouldBe($"sim {i}");
                (await cssm.ProductInstances.ListAsync()).ShouldHaveSingleItem().TrustTokenId.ShouldBe(results[i].Token.Id);
                cssm.Journal.ShouldContain(Operation.TrustEstablishment, 1);
                cssm.Faults.List().Count.ShouldBe(i == 0 ? 2 : 1);
                (cssm.Clock.Now - DateTimeOffset.UtcNow).TotalDays.ShouldBe(i, tolerance: 0.01);
            }
        }
        finally
        {
            await Task.WhenAll(simulators.Select(s => s.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task Disposing_a_simulator_frees_its_port_for_a_new_listener()
    {
        var cssm = await CssmSimulator.StartAsync();
        var address = cssm.BaseAddress;
        using var client = cssm.CreateClient();
        (await client.GetAsync("/_sim/health")).EnsureSuccessStatusCode();

        await cssm.DisposeAsync();
        var listener = new TcpListener(IPAddress.Loopback, address.Port);
        listener.Start();
        listener.Stop();

        await Should.ThrowAsync<HttpRequestException>(async () =>
        {
            using var fresh = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = address };
            await fresh.GetAsync("/_sim/health");
        });
        Should.Throw<ObjectDisposedException>(() => cssm.CreateClient());
    }

    [Fact]
    public async Task Disposing_twice_is_harmless()
    {
        var cssm = await CssmSimulator.StartAsync();

        await cssm.DisposeAsync();

        await Should.NotThrowAsync(async () => await cssm.DisposeAsync());
    }

    [Fact]
    public async Task Two_simulators_with_the_same_random_seed_issue_the_same_token_strings()
    {
        await using var a = await CssmSimulator.StartAsync(o => o.RandomSeed = 42);
        await using var b = await CssmSimulator.StartAsync(o => o.RandomSeed = 42);
        await using var c = await CssmSimulator.StartAsync(o => o.RandomSeed = 43);

        var ta = await a.Tokens.CreateAsync();
        var tb = await b.Tokens.CreateAsync();
        var tc = await c.Tokens.CreateAsync();

        tb.Id.ShouldBe(ta.Id);
        tc.Id.ShouldNotBe(ta.Id);
    }
}
