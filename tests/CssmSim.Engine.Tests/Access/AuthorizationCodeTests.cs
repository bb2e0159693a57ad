using CssmSim.Engine.Access;
using CssmSim.Engine.Tests.Support;
using CssmSim.Engine.Time;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Access;

/// <summary>The authorization-code grant's codes (software-apis.md §OAuth): bound, expiring, single use across processes.</summary>
public sealed class AuthorizationCodeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(3599);
    private const string Redirect = "http://127.0.0.1:5000/callback";

    private const string Seed = """
        apiClients: [{clientId: cssmsim, clientSecret: cssmsim}, {clientId: other, clientSecret: other-secret}]
        users: [{username: alice, password: alice-pass, email: alice@example.com, accounts: [acme.test]}]
        accounts: [{domain: acme.test, virtualAccounts: [DEFAULT]}, {domain: beta.test, virtualAccounts: [DEFAULT]}]
        """;

    private static async Task<AccessTokenService> ServiceAsync(CssmSim.Engine.Storage.ISimulatorStore store, TimeProvider wall) =>
        new(store.Accounts, await AccessTokenService.LoadKeyAsync(store.State, Ct), wall, Lifetime, store.State);

    [Fact]
    public async Task A_code_gives_a_token_for_its_user_once_even_across_two_processes_sharing_the_file()
    {
        var wall = new ManualTimeProvider();
        await using var sim = await SeededStore.StartAsync(StoreKind.SqliteFile, Seed, wall);
        var first = await ServiceAsync(sim.Store, wall);
        await using var other = sim.Test.Open();
        var second = await ServiceAsync(other, wall);
        var (outcome, code) = await first.AuthorizeAsync("cssmsim", Redirect, "alice", "alice-pass", Ct);

        var results = await Task.WhenAll(
            first.GrantAuthorizationCodeAsync("cssmsim", "cssmsim", code!, Redirect, Ct),
            second.GrantAuthorizationCodeAsync("cssmsim", "cssmsim", code!, Redirect, Ct));

        outcome.ShouldBe(AuthorizeOutcome.Issued);
        results.Count(r => r.Outcome == GrantOutcome.Issued).ShouldBe(1);
        results.Count(r => r.Outcome == GrantOutcome.InvalidGrant).ShouldBe(1);
        var token = results.Single(r => r.Outcome == GrantOutcome.Issued).AccessToken!;
        var (caller, _) = await first.AuthenticateAsync(token, Ct);
        caller!.Username.ShouldBe("alice");
        caller.Scope.Allows("acme.test").ShouldBeTrue();
        caller.Scope.Allows("beta.test").ShouldBeFalse();
    }

    [Fact]
    public async Task A_code_expires_after_ten_minutes_of_wall_time()
    {
        var wall = new ManualTimeProvider();
        await using var sim = await SeededStore.StartAsync(StoreKind.Memory, Seed, wall);
        var tokens = await ServiceAsync(sim.Store, wall);
        var (_, code) = await tokens.AuthorizeAsync("cssmsim", Redirect, "alice", "alice-pass", Ct);

        wall.Advance(AccessTokenService.CodeLifetime);
        var grant = await tokens.GrantAuthorizationCodeAsync("cssmsim", "cssmsim", code!, Redirect, Ct);

        grant.Outcome.ShouldBe(GrantOutcome.InvalidGrant);
    }

    [Theory]
    [InlineData("alice", "wrong", AuthorizeOutcome.InvalidCredentials)]
    [InlineData("nobody", "alice-pass", AuthorizeOutcome.InvalidCredentials)]
    public async Task Signing_in_with_wrong_credentials_gives_no_code(string user, string password, AuthorizeOutcome expected)
    {
        var wall = new ManualTimeProvider();
        await using var sim = await SeededStore.StartAsync(StoreKind.Memory, Seed, wall);
        var tokens = await ServiceAsync(sim.Store, wall);

        var (outcome, code) = await tokens.AuthorizeAsync("cssmsim", Redirect, user, password, Ct);

        outcome.ShouldBe(expected);
        code.ShouldBeNull();
    }

    [Fact]
    public async Task A_forged_or_foreign_code_is_an_invalid_grant()
    {
        var wall = new ManualTimeProvider();
        await using var sim = await SeededStore.StartAsync(StoreKind.Memory, Seed, wall);
        var tokens = await ServiceAsync(sim.Store, wall);
        var (_, code) = await tokens.AuthorizeAsync("cssmsim", Redirect, "alice", "alice-pass", Ct);

        (await tokens.GrantAuthorizationCodeAsync("other", "other-secret", code!, Redirect, Ct)).Outcome.ShouldBe(GrantOutcome.InvalidGrant);
        (await tokens.GrantAuthorizationCodeAsync("cssmsim", "cssmsim", code! + "x", Redirect, Ct)).Outcome.ShouldBe(GrantOutcome.InvalidGrant);
        (await tokens.GrantAuthorizationCodeAsync("cssmsim", "cssmsim", "cssmsim-code.e30.AAAA", Redirect, Ct)).Outcome.ShouldBe(GrantOutcome.InvalidGrant);
        (await tokens.GrantAuthorizationCodeAsync("cssmsim", "cssmsim", code!, null, Ct)).Outcome.ShouldBe(GrantOutcome.InvalidGrant);
        (await tokens.GrantAuthorizationCodeAsync("cssmsim", "wrong", code!, Redirect, Ct)).Outcome.ShouldBe(GrantOutcome.InvalidClient);
    }
}
