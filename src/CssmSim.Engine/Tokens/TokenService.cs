using System.Security.Cryptography;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Events;
using CssmSim.Engine.Ids;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Validation;

namespace CssmSim.Engine.Tokens;

public enum TokenStatus { Valid, Expired, Revoked }

/// <summary>A token with its status at the moment it was read.</summary>
public sealed record TokenView(StoredToken Token, TokenStatus Status);

/// <summary>What a token request asks for (v1 body, seed or control API).</summary>
/// <param name="Description">Shown in lists.</param>
/// <param name="ExpiresAfterDays">1 to 365.</param>
/// <param name="MaxUses">Uses allowed, or null for unlimited.</param>
/// <param name="ExportControlled">Whether trust from it allows export-controlled functionality.</param>
/// <param name="CreatedBy">Who made it (client, user, portal, seed).</param>
/// <param name="FixedToken">A token string to store as given (seed <c>token</c>).</param>
/// <param name="SeedKey">
/// For a seed document's token: what identifies the entry, so applying the same document again
/// (a retried merge or reset, a start resumed after a crash) finds the token instead of adding another.
/// </param>
public sealed record TokenRequest(string Description, int ExpiresAfterDays, int? MaxUses, bool ExportControlled, string CreatedBy, string? FixedToken = null,
    string? SeedKey = null);

/// <summary>
/// Product instance registration tokens (cssm-api.md §Registration tokens). Ids and secrets are
/// derived from the random seed and the VA's token counter, never drawn; expiry runs on the
/// virtual clock; uses are counted by the database when trust is issued.
/// </summary>
public sealed class TokenService(ISimulatorStore store, TimeProvider clock, Func<DerivedIds> ids, EventLog events)
{
    /// <summary>The checks <see cref="CreateAsync"/> makes, all at once (the portal shows every problem of its dialog together).</summary>
    public static void Validate(TokenRequest request)
    {
        var errors = new ValidationErrors();
        if (request.ExpiresAfterDays is < 1 or > 365) errors.Add("expiresAfterDays", "must be between 1 and 365");
        if (request.MaxUses is < 1) errors.Add("maxUsesAllowed", "must be at least 1, or null for unlimited");
        if (request.Description.Length > 512) errors.Add("description", "must be at most 512 characters");
        errors.ThrowIfAny("Invalid token");
    }

    public async Task<TokenView> CreateAsync(SmartAccount account, VirtualAccount va, TokenRequest request, CancellationToken ct = default)
    {
        Validate(request);

        var now = clock.GetUtcNow();
        var expires = now.AddDays(request.ExpiresAfterDays);
        StoredToken token;
        if (request.FixedToken is { } fixedText)
        {
            var key = TokenString.Identify(fixedText, ids().Namespace);
            if (!key.IsValid || key.Kind == TokenKind.BareId) throw EngineValidationException.Single("token", key.Error ?? "must be a token string, not a bare id");
            if (key.Expires is { } inside) expires = inside;
            token = new StoredToken(key.TokenId.ToString(), va.Id, fixedText.Trim(), key.Canonical!, request.Description, request.CreatedBy, now, expires,
                request.ExpiresAfterDays, request.MaxUses, 0, request.ExportControlled, false);
            if (await store.Inventory.FindTokenAsync(token.Id, token.Canonical, ct) is { } existing) return View(existing, now);
        }
        else
        {
            var secret = request.SeedKey is { } seedKey
                ? ids().Hmac($"seed-token/{va.Id}/{seedKey}")
                : ids().Hmac($"token/{va.Id}/{await store.State.NextCounterAsync("token/" + va.Id, ct)}");
            var idBytes = secret[..16];
            idBytes[6] = (byte)((idBytes[6] & 0x0F) | 0x40); // shaped like a v4 UUID, as CSSM's are
            idBytes[8] = (byte)((idBytes[8] & 0x3F) | 0x80);
            var id = new Guid(idBytes, bigEndian: true);
            var text = TokenString.Create(id, expires, secret);
            var key = TokenString.Identify(text, ids().Namespace);
            token = new StoredToken(id.ToString(), va.Id, text, key.Canonical!, request.Description, request.CreatedBy, now, expires,
                request.ExpiresAfterDays, request.MaxUses, 0, request.ExportControlled, false);
            if (request.SeedKey is not null && await store.Inventory.FindTokenAsync(token.Id, null, ct) is { } existing) return View(existing, now);
        }
        await store.Inventory.InsertTokenAsync(token, ct);
        await events.AppendAsync(EventTypes.TokenCreated, account.Id, va.Name, null,
            new { token_id = token.Id, description = token.Description, max_uses = token.MaxUses, expires_at = token.ExpiresAt }, ct);
        return View(token, now);
    }

    /// <summary>A VA's tokens: valid ones first, newest first (clients take <c>tokens[0]</c>).</summary>
    public async Task<IReadOnlyList<TokenView>> ListAsync(VirtualAccount va, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        return (await store.Inventory.ListTokensAsync(va.Id, ct)).Select(t => View(t, now))
            .OrderBy(v => v.Status == TokenStatus.Valid ? 0 : 1).ThenByDescending(v => v.Token.CreatedAt).ThenBy(v => v.Token.Id).ToList();
    }

    /// <summary>The token an input names (any pasted or encoded form, or the bare token id), or null.</summary>
    public async Task<TokenView?> FindAsync(string input, CancellationToken ct = default)
    {
        var key = TokenString.Identify(input, ids().Namespace);
        if (!key.IsValid) return null;
        var token = await store.Inventory.FindTokenAsync(key.TokenId.ToString(), key.Canonical, ct);
        // A CSSM-format string must match whole (secret included), not just by the id inside it.
        if (token is null || (key.Canonical is not null && token.Canonical != key.Canonical && key.Kind != TokenKind.BareId)) return null;
        return View(token, clock.GetUtcNow());
    }

    public async Task<bool> RevokeAsync(SmartAccount account, VirtualAccount va, string input, CancellationToken ct = default)
    {
        var token = await FindAsync(input, ct);
        if (token is null || token.Token.VirtualAccountId != va.Id) return false;
        await store.Inventory.RevokeTokenAsync(va.Id, token.Token.Id, ct);
        await events.AppendAsync(EventTypes.TokenRevoked, account.Id, va.Name, null, new { token_id = token.Token.Id }, ct);
        return true;
    }

    private static TokenView View(StoredToken t, DateTimeOffset now) => new(t,
        t.Revoked ? TokenStatus.Revoked
        : t.ExpiresAt <= now || (t.MaxUses is { } max && t.Uses >= max) ? TokenStatus.Expired
        : TokenStatus.Valid);
}
