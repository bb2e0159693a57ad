using System.Text;
using System.Text.Json;
using CssmSim.Engine.Access;
using CssmSim.Engine.Tests.Support;
using CssmSim.Engine.Time;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Access;

public sealed class AccessTokenServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(3599);

    private const string Seed = """
        randomSeed: 1
        apiClients:
        - {clientId: cssmsim, clientSecret: cssmsim}
        - {clientId: limited, clientSecret: limited-secret, accounts: [acme.test, beta.test]}
        users:
        - {username: alice, password: alice-pass, accounts: [beta.test, gamma.test]}
        - {username: bob, password: bob-pass}
        accounts:
        - {domain: acme.test, virtualAccounts: [DEFAULT]}
        - {domain: beta.test, virtualAccounts: [DEFAULT]}
        - {domain: gamma.test, virtualAccounts: [DEFAULT]}
        """;

    private sealed class Harness(SeededStore sim, AccessTokenService tokens, ManualTimeProvider wall) : IAsyncDisposable
    {
        public SeededStore Sim { get; } = sim;
        public AccessTokenService Tokens { get; } = tokens;
        public ManualTimeProvider Wall { get; } = wall;

        public ValueTask DisposeAsync() => Sim.DisposeAsync();
    }

    private static async Task<Harness> StartAsync(StoreKind kind = StoreKind.Memory, string seed = Seed)
    {
        var wall = new ManualTimeProvider();
        var sim = await SeededStore.StartAsync(kind, seed, wall);
        var key = await AccessTokenService.LoadKeyAsync(sim.Store.State, Ct);
        return new Harness(sim, new AccessTokenService(sim.Store.Accounts, key, wall, Lifetime), wall);
    }

    private static async Task<string> IssueAsync(Harness h, string clientId = "cssmsim", string secret = "cssmsim")
    {
        var grant = await h.Tokens.GrantClientCredentialsAsync(clientId, secret, Ct);
        grant.Outcome.ShouldBe(GrantOutcome.Issued);
        return grant.AccessToken.ShouldNotBeNull();
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Client_credentials_issue_a_token_that_authenticates_the_client_for_all_accounts(StoreKind kind)
    {
        await using var h = await StartAsync(kind);

        var grant = await h.Tokens.GrantClientCredentialsAsync("cssmsim", "cssmsim", Ct);
        var (caller, rejection) = await h.Tokens.AuthenticateAsync(grant.AccessToken!, Ct);

        grant.Outcome.ShouldBe(GrantOutcome.Issued);
        grant.ExpiresIn.ShouldBe(3599);
        grant.AccessToken.ShouldStartWith("cssmsim.");
        rejection.ShouldBe(TokenRejection.None);
        caller.ShouldNotBeNull();
        caller.ClientId.ShouldBe("cssmsim");
        caller.Username.ShouldBeNull();
        caller.Scope.IsAll.ShouldBeTrue();
    }

    [Fact]
    public async Task Two_grants_give_two_different_tokens()
    {
        await using var h = await StartAsync();

        (await IssueAsync(h)).ShouldNotBe(await IssueAsync(h));
    }

    [Theory]
    [InlineData("cssmsim", "wrong")]
    [InlineData("cssmsim", "")]
    [InlineData("cssmsim", "CSSMSIM")]
    [InlineData("nobody", "cssmsim")]
    public async Task A_wrong_client_secret_or_unknown_client_is_InvalidClient(string clientId, string secret)
    {
        await using var h = await StartAsync();

        var grant = await h.Tokens.GrantClientCredentialsAsync(clientId, secret, Ct);

        grant.ShouldBe(new TokenGrant(GrantOutcome.InvalidClient));
    }

    [Fact]
    public async Task The_password_grant_authenticates_the_user_with_the_user_scope_under_an_unlimited_client()
    {
        await using var h = await StartAsync();

        var grant = await h.Tokens.GrantPasswordAsync("cssmsim", "cssmsim", "alice", "alice-pass", Ct);
        var (caller, rejection) = await h.Tokens.AuthenticateAsync(grant.AccessToken!, Ct);

        grant.Outcome.ShouldBe(GrantOutcome.Issued);
        rejection.ShouldBe(TokenRejection.None);
        caller!.Username.ShouldBe("alice");
        caller.ClientId.ShouldBe("cssmsim");
        caller.Scope.Domains.ShouldBe(["beta.test", "gamma.test"], ignoreOrder: true);
    }

    [Theory]
    [InlineData("alice", "wrong")]
    [InlineData("alice", "bob-pass")]
    [InlineData("nobody", "alice-pass")]
    public async Task A_wrong_password_or_unknown_user_is_InvalidGrant(string username, string password)
    {
        await using var h = await StartAsync();

        var grant = await h.Tokens.GrantPasswordAsync("cssmsim", "cssmsim", username, password, Ct);

        grant.ShouldBe(new TokenGrant(GrantOutcome.InvalidGrant));
    }

    [Fact]
    public async Task The_password_grant_with_a_wrong_client_secret_is_InvalidClient_even_with_a_good_password()
    {
        await using var h = await StartAsync();

        var grant = await h.Tokens.GrantPasswordAsync("cssmsim", "wrong", "alice", "alice-pass", Ct);

        grant.Outcome.ShouldBe(GrantOutcome.InvalidClient);
    }

    [Fact]
    public async Task A_client_limited_to_some_accounts_gets_exactly_that_scope()
    {
        await using var h = await StartAsync();

        var (caller, _) = await h.Tokens.AuthenticateAsync(await IssueAsync(h, "limited", "limited-secret"), Ct);

        caller!.Scope.IsAll.ShouldBeFalse();
        caller.Scope.Domains.ShouldBe(["acme.test", "beta.test"], ignoreOrder: true);
        caller.Scope.Allows("ACME.test").ShouldBeTrue();
        caller.Scope.Allows("gamma.test").ShouldBeFalse();
    }

    [Fact]
    public async Task A_user_scope_is_intersected_with_the_client_scope()
    {
        await using var h = await StartAsync();

        var grant = await h.Tokens.GrantPasswordAsync("limited", "limited-secret", "alice", "alice-pass", Ct);
        var (caller, _) = await h.Tokens.AuthenticateAsync(grant.AccessToken!, Ct);

        caller!.Username.ShouldBe("alice");
        caller.Scope.Domains.ShouldBe(["beta.test"]);
    }

    [Fact]
    public async Task An_unlimited_user_through_a_limited_client_gets_the_client_scope()
    {
        await using var h = await StartAsync();

        var grant = await h.Tokens.GrantPasswordAsync("limited", "limited-secret", "bob", "bob-pass", Ct);
        var (caller, _) = await h.Tokens.AuthenticateAsync(grant.AccessToken!, Ct);

        caller!.Scope.Domains.ShouldBe(["acme.test", "beta.test"], ignoreOrder: true);
    }

    [Fact]
    public async Task A_scope_change_after_issue_applies_to_the_existing_token()
    {
        await using var h = await StartAsync();
        var token = await IssueAsync(h, "limited", "limited-secret");

        await h.Sim.MergeAsync("apiClients: [{clientId: limited, clientSecret: limited-secret, accounts: [gamma.test]}]");
        var (caller, _) = await h.Tokens.AuthenticateAsync(token, Ct);

        caller!.Scope.Domains.ShouldBe(["gamma.test"]);
    }

    [Fact]
    public async Task A_token_with_a_changed_payload_is_BadSignature()
    {
        await using var h = await StartAsync();
        var token = await IssueAsync(h, "limited", "limited-secret");
        var body = token["cssmsim.".Length..token.IndexOf('.', "cssmsim.".Length)];
        var mac = token[(token.LastIndexOf('.') + 1)..];
        var payload = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(FromBase64Url(body))!;
        var forged = new Dictionary<string, object?>
        {
            ["Client"] = "cssmsim",
            ["User"] = null,
            ["Exp"] = payload["Exp"].GetInt64(),
            ["Nonce"] = payload["Nonce"].GetString(),
        };

        var tampered = "cssmsim." + ToBase64Url(JsonSerializer.SerializeToUtf8Bytes(forged)) + "." + mac;
        var (caller, rejection) = await h.Tokens.AuthenticateAsync(tampered, Ct);

        caller.ShouldBeNull();
        rejection.ShouldBe(TokenRejection.BadSignature);
    }

    [Fact]
    public async Task A_token_with_one_character_changed_is_BadSignature()
    {
        await using var h = await StartAsync();
        var token = await IssueAsync(h);
        var i = "cssmsim.".Length + 5;
        var tampered = token[..i] + (token[i] == 'A' ? 'B' : 'A') + token[(i + 1)..];

        (await h.Tokens.AuthenticateAsync(tampered, Ct)).Rejection.ShouldBe(TokenRejection.BadSignature);
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_BadSignature()
    {
        await using var h = await StartAsync();
        var stranger = new AccessTokenService(h.Sim.Store.Accounts, new byte[32], h.Wall, Lifetime);
        var foreign = (await stranger.GrantClientCredentialsAsync("cssmsim", "cssmsim", Ct)).AccessToken!;

        (await h.Tokens.AuthenticateAsync(foreign, Ct)).Rejection.ShouldBe(TokenRejection.BadSignature);
    }

    public static TheoryData<string> Garbage => new()
    {
        "",
        "garbage",
        "Bearer cssmsim.abc.def",
        "cssmsim.",
        "cssmsim.onlyonepart",
        "cssmsim.a.b.c",
        "cssmsim.%%%.$$$",
        "cssmsim.abcde.fghij",
        "cssmsim." + new string('A', 5000) + ".AAAA",
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task Garbage_is_Malformed(string token)
    {
        await using var h = await StartAsync();

        var (caller, rejection) = await h.Tokens.AuthenticateAsync(token, Ct);

        caller.ShouldBeNull();
        rejection.ShouldBe(TokenRejection.Malformed);
    }

    [Fact]
    public async Task A_correctly_signed_token_whose_payload_is_not_a_token_is_Malformed()
    {
        await using var h = await StartAsync();
        var key = await AccessTokenService.LoadKeyAsync(h.Sim.Store.State, Ct);
        var body = ToBase64Url(Encoding.UTF8.GetBytes("[1,2,3]"));
        var mac = ToBase64Url(System.Security.Cryptography.HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(body)));

        (await h.Tokens.AuthenticateAsync("cssmsim." + body + "." + mac, Ct)).Rejection.ShouldBe(TokenRejection.Malformed);
    }

    [Fact]
    public async Task A_token_is_valid_until_its_lifetime_has_passed_on_the_wall_clock_and_then_Expired()
    {
        await using var h = await StartAsync();
        var token = await IssueAsync(h);

        h.Wall.Advance(Lifetime - TimeSpan.FromSeconds(1));
        (await h.Tokens.AuthenticateAsync(token, Ct)).Rejection.ShouldBe(TokenRejection.None);

        h.Wall.Advance(TimeSpan.FromSeconds(1));
        var (caller, rejection) = await h.Tokens.AuthenticateAsync(token, Ct);

        caller.ShouldBeNull();
        rejection.ShouldBe(TokenRejection.Expired);
    }

    [Fact]
    public async Task Moving_the_virtual_clock_does_not_expire_a_token()
    {
        // OAuth lifetimes run on wall time: advancing the simulator clock by a month must not log clients out.
        var wall = new ManualTimeProvider();
        var clock = new SimulatorClock(wall);
        await using var sim = await SeededStore.StartAsync(StoreKind.Memory, Seed, wall);
        var tokens = new AccessTokenService(sim.Store.Accounts, await AccessTokenService.LoadKeyAsync(sim.Store.State, Ct), clock.Wall, Lifetime);
        var token = (await tokens.GrantClientCredentialsAsync("cssmsim", "cssmsim", Ct)).AccessToken!;

        clock.Advance(TimeSpan.FromDays(30));

        (await tokens.AuthenticateAsync(token, Ct)).Rejection.ShouldBe(TokenRejection.None);
    }

    [Fact]
    public async Task The_lifetime_is_reported_in_whole_seconds()
    {
        await using var sim = await SeededStore.StartAsync(StoreKind.Memory, Seed);
        var tokens = new AccessTokenService(sim.Store.Accounts, new byte[32], sim.Clock, TimeSpan.FromSeconds(900));

        var grant = await tokens.GrantClientCredentialsAsync("cssmsim", "cssmsim", Ct);

        tokens.Lifetime.ShouldBe(TimeSpan.FromSeconds(900));
        grant.ExpiresIn.ShouldBe(900);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_token_whose_client_was_removed_by_a_reset_is_UnknownPrincipal(StoreKind kind)
    {
        await using var h = await StartAsync(kind);
        await h.Sim.MergeAsync("apiClients: [{clientId: qa, clientSecret: qa-secret}]");
        var token = await IssueAsync(h, "qa", "qa-secret");

        await h.Sim.Seeds.ResetAsync(null, Ct);
        var (caller, rejection) = await h.Tokens.AuthenticateAsync(token, Ct);

        caller.ShouldBeNull();
        rejection.ShouldBe(TokenRejection.UnknownPrincipal);
    }

    [Fact]
    public async Task A_token_whose_user_was_removed_by_a_reset_is_UnknownPrincipal()
    {
        await using var h = await StartAsync();
        await h.Sim.MergeAsync("users: [{username: carol, password: carol-pass}]");
        var token = (await h.Tokens.GrantPasswordAsync("cssmsim", "cssmsim", "carol", "carol-pass", Ct)).AccessToken!;

        await h.Sim.Seeds.ResetAsync(null, Ct);

        (await h.Tokens.AuthenticateAsync(token, Ct)).Rejection.ShouldBe(TokenRejection.UnknownPrincipal);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_token_stays_valid_across_a_reset_that_keeps_its_client(StoreKind kind)
    {
        await using var h = await StartAsync(kind);
        var token = await IssueAsync(h);

        await h.Sim.Seeds.ResetAsync(null, Ct);

        (await h.Tokens.AuthenticateAsync(token, Ct)).Rejection.ShouldBe(TokenRejection.None);
    }

    [Fact]
    public async Task A_token_is_honoured_by_another_process_sharing_the_file()
    {
        await using var h = await StartAsync(StoreKind.SqliteFile);
        var token = await IssueAsync(h);
        var other = h.Sim.Test.Open();
        var otherTokens = new AccessTokenService(other.Accounts, await AccessTokenService.LoadKeyAsync(other.State, Ct), h.Wall, Lifetime);

        var (caller, rejection) = await otherTokens.AuthenticateAsync(token, Ct);

        rejection.ShouldBe(TokenRejection.None);
        caller!.ClientId.ShouldBe("cssmsim");
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task The_signing_key_is_32_bytes_created_once_and_reused(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind);

        var first = await AccessTokenService.LoadKeyAsync(test.Store.State, Ct);
        var second = await AccessTokenService.LoadKeyAsync(test.Store.State, Ct);

        first.Length.ShouldBe(32);
        second.ShouldBe(first);
        (await test.Store.State.GetSettingAsync(AccessTokenService.SettingKey, Ct)).ShouldBe(Convert.ToBase64String(first));
    }

    [Theory]
    [InlineData(899)]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task A_lifetime_below_900_seconds_is_refused(int seconds)
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.Memory);

        var ex = Should.Throw<ArgumentOutOfRangeException>(() =>
            new AccessTokenService(test.Store.Accounts, new byte[32], new ManualTimeProvider(), TimeSpan.FromSeconds(seconds)));

        ex.Message.ShouldContain("at least 900");
    }

    private static string ToBase64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string s)
    {
        var b = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(b.PadRight(b.Length + (4 - b.Length % 4) % 4, '='));
    }
}
