using CssmSim.Engine.Licensing;
using CssmSim.Engine.Storage;

namespace CssmSim.Engine.Authorizations;

/// <summary>Feeds license accounting with what SLAC, SLR and PLR authorizations hold (reserved and in transition).</summary>
public sealed class StoreAuthorizationSource(ISimulatorStore store) : IAuthorizationSource
{
    public async Task<IReadOnlyList<InstanceAuthorization>> ActiveAsync(string virtualAccountId, CancellationToken ct = default) =>
        (await store.Authorizations.AuthorizedAsync(virtualAccountId, ct)).Select(a => new InstanceAuthorization(a.Udi, a.Tag, a.Count, a.InTransition)).ToList();
}
