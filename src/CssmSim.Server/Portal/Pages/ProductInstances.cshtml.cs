using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Trust;
using Microsoft.AspNetCore.Mvc;

namespace CssmSim.Server.Portal.Pages;

/// <summary>
/// Inventory → Product Instances (portal.md 4): the instances with HA role, trust and licenses;
/// Remove (a reserved instance needs its reservation return code) and trust code files for offline
/// install. <see cref="ProductInstanceService"/> and <see cref="TrustService"/> hold the rules.
/// </summary>
public sealed class ProductInstancesModel(ProductInstanceService instances, TrustService trust, LicenseNames names,
    Engine.Authorizations.AuthorizationService authorizations) : PortalPage
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

    /// <summary>The row whose Enter Confirmation Code or Transfer failed, and why.</summary>
    public (string Udi, string Message)? ActionError { get; private set; }

    /// <summary>"Download Reservation Authorization Code" (seed 002 L2188): the reservation's code as a file.</summary>
    public async Task<IActionResult> OnPostDownloadReservationAsync(string udi)
    {
        if (!Udi.TryParse(udi, out var parsed) || await ReservationOfAsync(parsed) is not { } r) return await FailAsync(udi, "this product instance holds no reservation");
        return File(System.Text.Encoding.UTF8.GetBytes(r.Authorization.CodeXml), "text/plain", $"{r.Authorization.Kind.ToLowerInvariant()}_{parsed.Serial}.txt");
    }

    /// <summary>"Enter Confirmation Code": the code the device printed after installing the reservation.</summary>
    public async Task<IActionResult> OnPostConfirmAsync(string udi, string? confirmationCode)
    {
        if (!Udi.TryParse(udi, out var parsed) || await ReservationOfAsync(parsed) is null) return await FailAsync(udi, "this product instance holds no reservation");
        if (string.IsNullOrWhiteSpace(confirmationCode)) return await FailAsync(udi, "Paste the Reservation Confirmation Code the device printed");
        var confirmed = await authorizations.ConfirmAsync(parsed, confirmationCode, HttpContext.RequestAborted);
        return confirmed is null
            ? await FailAsync(udi, $"'{confirmationCode.Trim()}' is not the confirmation code of this reservation's authorization code")
            : Done($"Confirmed the reservation of {parsed}.", "/portal/product-instances");
    }

    /// <summary>CSSM's Transfer: the instance, its use and its authorizations move to another Virtual Account.</summary>
    public async Task<IActionResult> OnPostTransferAsync(string udi, string? targetVirtualAccount)
    {
        var outcome = await instances.TransferAsync(Account, VirtualAccount, udi, targetVirtualAccount ?? "", HttpContext.RequestAborted);
        return outcome.Succeeded ? Done($"Transferred {udi.Trim()} to {outcome.Target!.Name}.", "/portal/product-instances") : await FailAsync(udi, outcome.Message);
    }

    private async Task<Engine.Authorizations.ReservationView?> ReservationOfAsync(Udi udi) =>
        await authorizations.ReservationOfAsync(udi, HttpContext.RequestAborted) is { } r && r.Authorization.VirtualAccountId == VirtualAccount.Id ? r : null;

    private async Task<IActionResult> FailAsync(string udi, string message)
    {
        ActionError = (udi.Trim(), message);
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
