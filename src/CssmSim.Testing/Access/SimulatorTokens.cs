using CssmSim.Engine.Storage;
using CssmSim.Engine.Tokens;

namespace CssmSim.Testing;

/// <summary>Whether a registration token can still give trust.</summary>
public enum TokenState
{
    /// <summary>Usable.</summary>
    Valid,
    /// <summary>Its date passed (virtual clock) or its uses reached the maximum.</summary>
    Expired,
    /// <summary>Revoked.</summary>
    Revoked,
}

/// <summary>
/// A registration (ID) token as read at one moment. Uses and status change as devices trust with
/// it: <see cref="RefreshAsync"/> reads it again.
/// </summary>
/// <param name="Id">The token id (a UUID).</param>
/// <param name="Value">The token string a device is given.</param>
/// <param name="SmartAccount">The Smart Account's domain.</param>
/// <param name="VirtualAccount">The Virtual Account's name.</param>
/// <param name="Description">The description given at creation.</param>
/// <param name="CreatedAt">When it was created (virtual clock).</param>
/// <param name="ExpiresAt">When it expires (virtual clock).</param>
/// <param name="MaxUses">The most product instances it may trust; null for no limit.</param>
/// <param name="Uses">How many product instances it has trusted.</param>
/// <param name="ExportControlled">Whether trust with it allows export-controlled functionality.</param>
/// <param name="Status">Valid, expired or revoked, as of reading.</param>
public sealed record RegistrationToken(
    string Id, string Value, string SmartAccount, string VirtualAccount, string Description, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt,
    int? MaxUses, int Uses, bool ExportControlled, TokenState Status)
{
    internal SimulatorTokens? Owner { get; init; }

    /// <summary>The same token read again from its simulator.</summary>
    /// <exception cref="InvalidOperationException">The token no longer exists (e.g. after a reset).</exception>
    public async Task<RegistrationToken> RefreshAsync(CancellationToken ct = default)
    {
        var owner = Owner ?? throw new InvalidOperationException("this token was not read from a simulator");
        return await owner.FindAsync(Id, ct) ?? throw new InvalidOperationException($"token {Id} no longer exists in the simulator (was it reset?)");
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"token {Id} ({SmartAccount}/{VirtualAccount}, {Status}, {Uses}/{MaxUses?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unlimited"} uses, expires {ExpiresAt:O})";
}

/// <summary>Registration tokens: create, list, find and revoke, in-process.</summary>
public sealed class SimulatorTokens
{
    private readonly EngineAccess _engine;

    internal SimulatorTokens(EngineAccess engine) => _engine = engine;

    /// <summary>Creates a token, as the CSSM "New Token" dialog does.</summary>
    /// <param name="virtualAccount">The Virtual Account's name (case-sensitive).</param>
    /// <param name="expiresAfterDays">1 to 365.</param>
    /// <param name="maxUses">The most product instances it may trust; null for no limit.</param>
    /// <param name="exportControlled">Whether it allows export-controlled functionality.</param>
    /// <param name="smartAccount">The Smart Account's domain; null when the simulator has only one.</param>
    /// <param name="description">Shown in token lists.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <exception cref="ArgumentException">No such account, or a value out of range.</exception>
    public Task<RegistrationToken> CreateAsync(string virtualAccount = "DEFAULT", int expiresAfterDays = 30, int? maxUses = null,
        bool exportControlled = true, string? smartAccount = null, string description = "", CancellationToken ct = default) =>
        EngineAccess.CallAsync(async () =>
        {
            ArgumentNullException.ThrowIfNull(description);
            var (sa, va) = await _engine.VirtualAccountAsync(smartAccount, virtualAccount, ct);
            var view = await _engine.Tokens.CreateAsync(sa, va, new TokenRequest(description, expiresAfterDays, maxUses, exportControlled, "cssmsim-testing"), ct);
            return ToToken(view, sa.Domain, va.Name);
        });

    /// <summary>A Virtual Account's tokens: valid first, newest first.</summary>
    public Task<IReadOnlyList<RegistrationToken>> ListAsync(string virtualAccount = "DEFAULT", string? smartAccount = null, CancellationToken ct = default) =>
        EngineAccess.CallAsync(async () =>
        {
            var (sa, va) = await _engine.VirtualAccountAsync(smartAccount, virtualAccount, ct);
            return (IReadOnlyList<RegistrationToken>)(await _engine.Tokens.ListAsync(va, ct)).Select(v => ToToken(v, sa.Domain, va.Name)).ToList();
        });

    /// <summary>The token a string names (any pasted form of the token, or its id), or null.</summary>
    public async Task<RegistrationToken?> FindAsync(string tokenOrId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tokenOrId);
        var view = await _engine.Tokens.FindAsync(tokenOrId, ct);
        if (view is null) return null;
        var owner = await _engine.Store.Accounts.FindByVirtualAccountIdAsync(view.Token.VirtualAccountId, ct);
        return ToToken(view, owner?.Account.Domain ?? "", owner?.VirtualAccount.Name ?? "");
    }

    /// <summary>Revokes a token; false when the simulator does not know it.</summary>
    public async Task<bool> RevokeAsync(string tokenOrId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tokenOrId);
        var view = await _engine.Tokens.FindAsync(tokenOrId, ct);
        if (view is null || await _engine.Store.Accounts.FindByVirtualAccountIdAsync(view.Token.VirtualAccountId, ct) is not { } owner) return false;
        return await _engine.Tokens.RevokeAsync(owner.Account, owner.VirtualAccount, view.Token.Id, ct);
    }

    /// <summary>Revokes a token; false when the simulator no longer knows it.</summary>
    public Task<bool> RevokeAsync(RegistrationToken token, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        return RevokeAsync(token.Id, ct);
    }

    private RegistrationToken ToToken(TokenView view, string domain, string virtualAccount)
    {
        StoredToken t = view.Token;
        return new RegistrationToken(t.Id, t.Token, domain, virtualAccount, t.Description, t.CreatedAt, t.ExpiresAt, t.MaxUses, t.Uses, t.ExportControlled,
            view.Status switch
            {
                TokenStatus.Revoked => TokenState.Revoked,
                TokenStatus.Expired => TokenState.Expired,
                _ => TokenState.Valid,
            })
        { Owner = this };
    }
}
