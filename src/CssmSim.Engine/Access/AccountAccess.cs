using CssmSim.Engine.Accounts;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Storage;

namespace CssmSim.Engine.Access;

/// <summary>
/// The caller may not act on an account the request touches. Surfaces answer it 403 in their
/// family's shape; it is raised before anything is written, so the refused request changes nothing.
/// </summary>
public sealed class AccountAccessDeniedException(string message) : Exception(message);

/// <summary>
/// The one check every CSSM API operation makes on the accounts it touches: the account it names,
/// the accounts the product instances it names are in now, and the owner of a poll id. Kept here,
/// not per endpoint, so a new surface cannot forget the device's current account.
/// </summary>
public sealed class AccountAccess(ISimulatorStore store)
{
    /// <summary>Throws unless <paramref name="caller"/> may act on <paramref name="account"/>.</summary>
    public static void Require(Caller caller, SmartAccount account)
    {
        if (!caller.Scope.Allows(account.Domain)) throw Denied(caller, account.Domain);
    }

    /// <summary>
    /// Throws unless <paramref name="caller"/> may act on the account of every product instance
    /// <paramref name="udis"/> names that exists (a new one is created in the caller's own account).
    /// </summary>
    public async Task RequireDevicesAsync(Caller caller, IEnumerable<Udi> udis, CancellationToken ct = default)
    {
        if (caller.Scope.IsAll) return;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var vas = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var udi in udis)
        {
            if (!seen.Add(udi.ToString())) continue;
            var pi = await store.Inventory.FindProductInstanceAsync(udi.ToString(), ct);
            if (pi is null) continue;
            if (!vas.TryGetValue(pi.VirtualAccountId, out var domain))
                vas[pi.VirtualAccountId] = domain = (await store.Accounts.FindByVirtualAccountIdAsync(pi.VirtualAccountId, ct))?.Account.Domain;
            // A product instance whose VA vanished belongs to nobody the caller could be allowed.
            if (domain is null || !caller.Scope.Allows(domain)) throw Denied(caller, domain ?? "(none)", udi);
        }
    }

    /// <summary>
    /// Throws unless <paramref name="caller"/> may see <paramref name="job"/>: a job made through the
    /// CSSM API answers only the client that made it; another job (a device's own) only callers that
    /// may act on its account.
    /// </summary>
    public async Task RequireJobAsync(Caller caller, StoredJob job, CancellationToken ct = default)
    {
        if (job.ClientId is { } owner)
        {
            if (!string.Equals(owner, caller.ClientId, StringComparison.Ordinal))
                throw new AccountAccessDeniedException($"client '{caller.ClientId}' did not submit poll_id {job.PollId}");
            return;
        }
        if (caller.Scope.IsAll) return;
        var domain = job.SmartAccountId is null ? null : (await store.Accounts.ListSmartAccountsAsync(ct)).FirstOrDefault(a => a.Id == job.SmartAccountId)?.Domain;
        if (domain is null || !caller.Scope.Allows(domain))
            throw new AccountAccessDeniedException($"client '{caller.ClientId}' may not poll poll_id {job.PollId}");
    }

    private static AccountAccessDeniedException Denied(Caller caller, string domain, Udi? udi = null) => new(udi is { } u
        ? $"client '{caller.ClientId}' is not allowed to access Smart Account {domain}, where product instance {u} is"
        : $"client '{caller.ClientId}' is not allowed to access Smart Account {domain}");
}
