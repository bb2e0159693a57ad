using CssmSim.Tests.Shared;

[assembly: AssemblyFixture(typeof(CssmSim.Testing.Tests.PostgresServerFixture))]

namespace CssmSim.Testing.Tests;

/// <summary>Stops the throwaway PostgreSQL cluster when the run ends (it starts on the first test that needs it).</summary>
public sealed class PostgresServerFixture : IAsyncDisposable
{
    public ValueTask DisposeAsync()
    {
        PostgresTestServer.Stop();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The fixture on PostgreSQL (<c>o.Store = StoreKind.Postgres(conn)</c>): simulators on one database are one CSSM.</summary>
public sealed class PostgresStoreTests
{
    [Fact]
    public async Task Two_simulators_on_one_postgres_database_share_tokens_and_their_uses()
    {
        var database = await PostgresTestServer.NewDatabaseAsync();
        await using var first = await CssmSimulator.StartAsync(o => o.Store = StoreKind.Postgres(database));
        await using var second = await CssmSimulator.StartAsync(o => o.Store = StoreKind.Postgres(database));
        var token = await first.Tokens.CreateAsync(description: "shared", maxUses: 1);

        var trustedOnSecond = await second.NewProductInstance("C9300-24T", "PGSHARED1").EstablishTrustAsync(token.Value);
        var refusedOnFirst = await first.NewProductInstance("C9300-24T", "PGSHARED2").EstablishTrustAsync(token.Value);

        (await second.Tokens.FindAsync(token.Id)).ShouldNotBeNull().Description.ShouldBe("shared");
        trustedOnSecond.Trusted.ShouldBeTrue();
        refusedOnFirst.ErrorCode.ShouldBe("TOKEN_USES_EXHAUSTED", "the one use was taken on the other simulator");
    }
}
