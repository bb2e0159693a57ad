using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Trust;
using Microsoft.AspNetCore.Mvc;

namespace CssmSim.Server.Portal.Pages;

/// <summary>
/// Inventory → Product Instances (portal.md 4): the instances with HA role, trust and licenses;
/// Remove (a reserved instance needs its reservation return code) and trust code files for offline
/// install. <see cref="ProductInstanceService"/> and <see cref="TrustService"/> hold the rules.
/// </summary>
public sealed class ProductInstancesModel(ProductInstanceService instances, TrustService trust, LicenseNames names) : PortalPage
{
    public override string Title => "Product Instances";

    public const int PageSize = 100;

    public IReadOnlyList<ProductInstanceView> Instances { get; private set; } = [];

    /// <summary>How many instances the Virtual Account has (the table shows <see cref="PageSize"/> at a time).</summary>
    public int Total { get; private set; }

    /// <summary>The page shown, from 1.</summary>
    [BindProperty(SupportsGet = true, Name = "p")] public int PageNumber { get; set; } = 1;

    public int Pages => Math.Max(1, (Total + PageSize - 1) / PageSize);

    /// <summary>Display names of the VA's licenses by tag.</summary>
    public IReadOnlyDictionary<string, string> LicenseNames { get; private set; } = new Dictionary<string, string>();

    /// <summary>The row whose Remove failed, and why.</summary>
    public (string Udi, string Message)? RemoveError { get; private set; }

    [BindProperty] public string? Pid { get; set; }
    [BindProperty] public string? Serial { get; set; }

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostRemoveAsync(string udi, string? returnCode)
    {
        var outcome = await instances.RemoveWithReturnCodeAsync(Account, VirtualAccount, udi, returnCode, HttpContext.RequestAborted);
        if (outcome.Succeeded)
        {
            var released = outcome.Released.Count == 0 ? "" : $" Its {outcome.Released.Count} authorization(s) went back to the pool.";
            return Done($"Removed {outcome.Removed!.Udi}.{released}", "/portal/product-instances");
        }
        RemoveError = (udi, outcome.Message!);
        await LoadAsync();
        return Page();
    }

    /// <summary>A trust code file for offline install, for a listed instance or a UDI typed in.</summary>
    public async Task<IActionResult> OnPostTrustCodeAsync()
    {
        ModelState.Clear();
        var pid = Pid?.Trim() ?? "";
        var serial = Serial?.Trim() ?? "";
        if (pid.Length == 0) ModelState.AddModelError(nameof(Pid), "Product ID (PID) is required");
        if (serial.Length == 0) ModelState.AddModelError(nameof(Serial), "Serial Number is required");
        if (ModelState.IsValid && Udi.Problem(pid, serial) is { } problem) ModelState.AddModelError(nameof(Serial), problem);
        if (ModelState.IsValid)
        {
            var outcome = await trust.IssueAsync(VirtualAccount, [new Udi(pid, serial)], force: true, HttpContext.RequestAborted);
            if (outcome.Succeeded)
            {
                var code = outcome.Codes.Single();
                return File(System.Text.Encoding.UTF8.GetBytes(code.File), "application/xml", $"trust_code_{code.Udi.Serial}.txt");
            }
            ModelState.AddModelError(nameof(Serial), $"{outcome.ErrorCode}: {outcome.ErrorMessage}");
        }
        await LoadAsync();
        return Page();
    }

    private async Task LoadAsync()
    {
        PageNumber = Math.Max(1, PageNumber);
        var page = await instances.PageAsync(VirtualAccount, (PageNumber - 1) * PageSize, PageSize, HttpContext.RequestAborted);
        Total = page.Total;
        Instances = page.Items;
        LicenseNames = await names.OfAsync(VirtualAccount, HttpContext.RequestAborted);
    }
}
