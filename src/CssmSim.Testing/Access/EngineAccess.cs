using CssmSim.Engine.Accounts;
using CssmSim.Engine.Faults;
using CssmSim.Engine.Jobs;
using CssmSim.Engine.Policies;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Signing;
using CssmSim.Engine.Snapshots;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Time;
using CssmSim.Engine.Tokens;
using CssmSim.Engine.Validation;
using CssmSim.Server.Journal;
using Microsoft.Extensions.DependencyInjection;

namespace CssmSim.Testing;

/// <summary>
/// The engine services of one simulator, taken from its container once. The typed access classes
/// call these directly (no HTTP), which is what keeps set-up and assertions fast.
/// </summary>
internal sealed class EngineAccess(IServiceProvider services)
{
    public ISimulatorStore Store { get; } = services.GetRequiredService<ISimulatorStore>();
    public SimulatorClock Clock { get; } = services.GetRequiredService<SimulatorClock>();
    public SimulatorState State { get; } = services.GetRequiredService<SimulatorState>();
    public FaultEngine Faults { get; } = services.GetRequiredService<FaultEngine>();
    public PollTransitionService Transitions { get; } = services.GetRequiredService<PollTransitionService>();
    public TokenService Tokens { get; } = services.GetRequiredService<TokenService>();
    public Engine.Licensing.LicenseService Licenses { get; } = services.GetRequiredService<Engine.Licensing.LicenseService>();
    public PolicyService Policies { get; } = services.GetRequiredService<PolicyService>();
    public RequestJournal Journal { get; } = services.GetRequiredService<RequestJournal>();
    public SnapshotService Snapshots { get; } = services.GetRequiredService<SnapshotService>();
    public ArtefactSigner Signer { get; } = services.GetRequiredService<ArtefactSigner>();
    public Engine.Authorizations.AuthorizationService Authorizations { get; } = services.GetRequiredService<Engine.Authorizations.AuthorizationService>();
    public Engine.ProductInstances.ProductInstanceService Instances { get; } = services.GetRequiredService<Engine.ProductInstances.ProductInstanceService>();

    /// <summary>The Smart Account by domain; with none given, the only one there is.</summary>
    /// <exception cref="ArgumentException">No such account, or several and none named.</exception>
    public async Task<SmartAccount> SmartAccountAsync(string? domain, CancellationToken ct)
    {
        if (domain is not null)
        {
            return await Store.Accounts.FindSmartAccountAsync(domain, ct)
                ?? throw new ArgumentException($"no Smart Account '{domain}'; the simulator has: {await DomainsAsync(ct)}", nameof(domain));
        }
        var all = await Store.Accounts.ListSmartAccountsAsync(ct);
        return all.Count == 1 ? all[0]
            : all.Count == 0 ? throw new InvalidOperationException("the simulator has no Smart Account; seed one first")
            : throw new ArgumentException($"the simulator has several Smart Accounts ({await DomainsAsync(ct)}); name one", "smartAccount");
    }

    /// <summary>A Virtual Account by name (case-sensitive) or id, in the named or only Smart Account.</summary>
    /// <exception cref="ArgumentException">No such account.</exception>
    public async Task<(SmartAccount Account, VirtualAccount VirtualAccount)> VirtualAccountAsync(string? domain, string virtualAccount, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(virtualAccount);
        var sa = await SmartAccountAsync(domain, ct);
        var va = await Store.Accounts.FindVirtualAccountAsync(sa.Id, virtualAccount, ct);
        if (va is not null) return (sa, va);
        var names = (await Store.Accounts.ListVirtualAccountsAsync(sa.Id, ct)).Select(v => v.Name);
        throw new ArgumentException($"no Virtual Account '{virtualAccount}' in Smart Account {sa.Domain}; it has: {string.Join(", ", names)}", nameof(virtualAccount));
    }

    /// <summary>Runs an engine call, turning its input errors into the exceptions .NET callers expect.</summary>
    public static async Task<T> CallAsync<T>(Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (EngineValidationException e)
        {
            throw new ArgumentException(e.Message, e);
        }
        catch (EntityNotFoundException e)
        {
            throw new ArgumentException(e.Message, e);
        }
        catch (StateConflictException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }
    }

    public static Task CallAsync(Func<Task> work) => CallAsync(async () =>
    {
        await work();
        return true;
    });

    private async Task<string> DomainsAsync(CancellationToken ct) =>
        string.Join(", ", (await Store.Accounts.ListSmartAccountsAsync(ct)).Select(a => a.Domain));
}
