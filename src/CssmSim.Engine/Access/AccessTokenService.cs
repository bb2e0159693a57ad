using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Storage;

namespace CssmSim.Engine.Access;

public enum GrantOutcome { Issued, InvalidClient, InvalidGrant }

/// <summary>The answer to a token request: a token, or which credential was wrong.</summary>
public sealed record TokenGrant(GrantOutcome Outcome, string? AccessToken = null, int ExpiresIn = 0);

/// <summary>Who is calling the CSSM API, and which Smart Accounts they may see.</summary>
public sealed record Caller(string ClientId, string? Username, AccountScope Scope);

/// <summary>Why a bearer token was refused.</summary>
public enum TokenRejection { None, Malformed, BadSignature, Expired, UnknownPrincipal, Revoked }

/// <summary>
/// OAuth2 for the CSSM REST API. Access tokens are self-contained and HMAC-signed with a key kept
/// in the store, so they need no table, survive a restart of a file store, and are honoured by
/// every process sharing that file. Lifetimes run on wall time, not the virtual clock
/// (cssm-api.md §OAuth2): advancing the clock by a month must not log clients out.
/// </summary>
public sealed class AccessTokenService
{
    public const string SettingKey = "oauth_token_key";
    private const string Prefix = "cssmsim.";

    private readonly IAccountStore _accounts;
    private readonly byte[] _key;
    private readonly TimeProvider _wall;
    private readonly TimeSpan _lifetime;

    public AccessTokenService(IAccountStore accounts, byte[] key, TimeProvider wall, TimeSpan lifetime)
    {
        if (lifetime < TimeSpan.FromSeconds(900)) throw new ArgumentOutOfRangeException(nameof(lifetime), "OAuth:TokenLifetimeSeconds must be at least 900");
        _accounts = accounts;
        _key = key;
        _wall = wall;
        _lifetime = lifetime;
    }

    /// <summary>Loads the signing key from the store, creating it on first use.</summary>
    public static async Task<byte[]> LoadKeyAsync(IStateStore state, CancellationToken ct = default) =>
        Convert.FromBase64String(await state.GetOrAddSettingAsync(SettingKey, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), ct));

    public TimeSpan Lifetime => _lifetime;

    public async Task<TokenGrant> GrantClientCredentialsAsync(string clientId, string clientSecret, CancellationToken ct = default)
    {
        var client = await _accounts.FindApiClientAsync(clientId, ct);
        return client is null || !SecretEquals(client.ClientSecret, clientSecret)
            ? new TokenGrant(GrantOutcome.InvalidClient)
            : Issue(clientId, null, Binding(client.ClientSecret, null));
    }

    public async Task<TokenGrant> GrantPasswordAsync(string clientId, string clientSecret, string username, string password, CancellationToken ct = default)
    {
        var client = await _accounts.FindApiClientAsync(clientId, ct);
        if (client is null || !SecretEquals(client.ClientSecret, clientSecret)) return new TokenGrant(GrantOutcome.InvalidClient);
        var user = await _accounts.FindUserAsync(username, ct);
        return user is null || !SecretEquals(user.Password, password) ? new TokenGrant(GrantOutcome.InvalidGrant) : Issue(clientId, username, Binding(client.ClientSecret, user.Password));
    }

    private TokenGrant Issue(string clientId, string? username, string binding)
    {
        var expires = _wall.GetUtcNow() + _lifetime;
        var payload = JsonSerializer.SerializeToUtf8Bytes(new TokenPayload(clientId, username, expires.ToUnixTimeSeconds(),
            Convert.ToHexString(RandomNumberGenerator.GetBytes(8)), binding));
        var body = Base64Url(payload);
        var mac = Base64Url(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(body)));
        return new TokenGrant(GrantOutcome.Issued, Prefix + body + "." + mac, (int)_lifetime.TotalSeconds);
    }

    /// <summary>Checks a bearer token; on success returns the caller with the accounts it may see now.</summary>
    public async Task<(Caller? Caller, TokenRejection Rejection)> AuthenticateAsync(string token, CancellationToken ct = default)
    {
        if (!token.StartsWith(Prefix, StringComparison.Ordinal) || token.Length > 4096) return (null, TokenRejection.Malformed);
        var parts = token[Prefix.Length..].Split('.');
        if (parts.Length != 2) return (null, TokenRejection.Malformed);
        byte[] mac, payloadBytes;
        try
        {
            mac = FromBase64Url(parts[1]);
            payloadBytes = FromBase64Url(parts[0]);
        }
        catch (FormatException)
        {
            return (null, TokenRejection.Malformed);
        }
        if (!CryptographicOperations.FixedTimeEquals(mac, HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(parts[0]))))
            return (null, TokenRejection.BadSignature);
        TokenPayload? payload;
        try { payload = JsonSerializer.Deserialize<TokenPayload>(payloadBytes); }
        catch (JsonException) { return (null, TokenRejection.Malformed); }
        if (payload is null) return (null, TokenRejection.Malformed);
        if (DateTimeOffset.FromUnixTimeSeconds(payload.Exp) <= _wall.GetUtcNow()) return (null, TokenRejection.Expired);

        // Read the principal again: a reset or seed may have removed it or changed its accounts.
        var client = await _accounts.FindApiClientAsync(payload.Client, ct);
        if (client is null) return (null, TokenRejection.UnknownPrincipal);
        var scope = client.Scope;
        string? password = null;
        if (payload.User is not null)
        {
            var user = await _accounts.FindUserAsync(payload.User, ct);
            if (user is null) return (null, TokenRejection.UnknownPrincipal);
            scope = scope.Intersect(user.Scope);
            password = user.Password;
        }
        // A changed client secret (or user password) revokes the tokens issued under the old one.
        if (payload.Sec is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(payload.Sec), Encoding.ASCII.GetBytes(Binding(client.ClientSecret, password))))
            return (null, TokenRejection.Revoked);
        return (new Caller(client.ClientId, payload.User, scope), TokenRejection.None);
    }

    private static bool SecretEquals(string expected, string given) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(given));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string s)
    {
        var b = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(b.PadRight(b.Length + (4 - b.Length % 4) % 4, '='));
    }

    /// <summary>A keyed digest of the credentials a token was issued under (never the secret itself: tokens are readable).</summary>
    private string Binding(string clientSecret, string? password) =>
        Base64Url(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes("credentials\0" + clientSecret + "\0" + (password ?? ""))))[..22];

    private sealed record TokenPayload(string Client, string? User, long Exp, string Nonce, string? Sec = null);
}
