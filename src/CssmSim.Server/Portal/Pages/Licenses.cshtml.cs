using CssmSim.Engine.Licensing;

namespace CssmSim.Server.Portal.Pages;

/// <summary>Inventory → Licenses: the Virtual Account's pool with its accounting (portal.md 3), from <see cref="LicenseService"/>.</summary>
public sealed class LicensesModel(LicenseService licenses) : PortalPage
{
    public override string Title => "Licenses";

    public IReadOnlyList<LicenseBalance> Balances { get; private set; } = [];

    public async Task OnGetAsync() => Balances = await licenses.BalancesAsync(VirtualAccount, HttpContext.RequestAborted);
}
