using CssmSim.Engine.Accounts;
using CssmSim.Engine.Licensing;
using CssmSim.Engine.Storage;

namespace CssmSim.Server.Portal;

/// <summary>Display names of licenses by tag (either form), for showing what a product instance uses.</summary>
public sealed class LicenseNames(ISimulatorStore store)
{
    public async Task<IReadOnlyDictionary<string, string>> OfAsync(VirtualAccount va, CancellationToken ct)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var other in await store.Accounts.ListVirtualAccountsAsync(va.SmartAccountId, ct))
        {
            foreach (var l in await store.Accounts.ListLicensesAsync(other.Id, ct))
            {
                if (other.Id == va.Id) names[EntitlementTag.Normalize(l.Tag)] = l.DisplayName;
                else names.TryAdd(EntitlementTag.Normalize(l.Tag), l.DisplayName);
            }
        }
        return names;
    }

    public static string Name(IReadOnlyDictionary<string, string> names, string tag) =>
        names.TryGetValue(EntitlementTag.Normalize(tag), out var n) ? n : tag;
}
