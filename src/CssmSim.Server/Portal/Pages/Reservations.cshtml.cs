using CssmSim.Engine.Authorizations;
using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Engine.Licensing;
using CssmSim.Engine.ProductInstances;
using Microsoft.AspNetCore.Mvc;

namespace CssmSim.Server.Portal.Pages;

/// <summary>
/// Reservations / Authorizations (portal.md 7): a device's request code → chosen licenses → its SLR
/// or PLR code; a SLAC for a UDI; return codes. <see cref="AuthorizationService"/> checks the codes and
/// the balance; the page shows the code once, to copy or download.
/// </summary>
public sealed class ReservationsModel(AuthorizationService authorizations, LicenseService licenses, ProductInstanceService instances) : PortalPage
{
    public override string Title => "Reservations";

    public IReadOnlyList<LicenseBalance> Licenses { get; private set; } = [];
    /// <summary>At most this many instances are offered in the SLAC form's list; with more, the UDI is typed in.</summary>
    public const int PickerLimit = 200;

    /// <summary>The instances the SLAC form offers (none when there are more than <see cref="PickerLimit"/>).</summary>
    public IReadOnlyList<ProductInstanceView> Instances { get; private set; } = [];

    /// <summary>The instances holding an authorization, for the table at the bottom.</summary>
    public IReadOnlyList<ProductInstanceView> Authorized { get; private set; } = [];

    // Reserve licenses (SLR / PLR)
    [BindProperty] public string? RequestCodeText { get; set; }
    [BindProperty] public string ReservationType { get; set; } = "SPECIFIC";
    [BindProperty] public List<string> Tags { get; set; } = [];
    [BindProperty] public List<string> Counts { get; set; } = [];

    // Update Reserved Licenses
    [BindProperty] public string? UpdateUdi { get; set; }

    // SLAC
    [BindProperty] public string? SlacUdi { get; set; }
    [BindProperty] public string? SlacTag { get; set; }
    [BindProperty] public string? SlacCount { get; set; } = "1";

    // Return code
    [BindProperty] public string? ReturnCodeText { get; set; }

    /// <summary>The code made by the last action: what it is, for which UDI, the text, and the download's file name.</summary>
    public (string Kind, string Udi, string Code, string FileName)? Issued { get; private set; }

    /// <summary>The last return: what it released and the confirmation code.</summary>
    public (string Kind, string Udi, string ConfirmationCode)? Returned { get; private set; }

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostReserveAsync()
    {
        ModelState.Clear();
        if (!RequestCode.TryParse(RequestCodeText, out var parsed, out var problem)) ModelState.AddModelError(nameof(RequestCodeText), problem);
        var universal = ReservationType == "UNIVERSAL";
        var wanted = new List<(string, long)>();
        for (var i = 0; i < Tags.Count; i++)
        {
            var text = i < Counts.Count ? Counts[i] : null;
            if (string.IsNullOrWhiteSpace(text)) continue;
            if (!long.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
                ModelState.AddModelError("Counts", $"The quantity '{text}' is not a whole number");
            else if (n > 0) wanted.Add((Tags[i], n));
        }
        if (ModelState.IsValid)
        {
            var outcome = await authorizations.ReserveAsync(Account, VirtualAccount, new ReservationRequest(RequestCodeText!.Trim(), universal, wanted), HttpContext.RequestAborted);
            if (outcome.Succeeded)
            {
                Issued = (universal ? "PLR" : "SLR", $"{parsed!.Udi.Pid}:{parsed.Udi.Serial}", outcome.AuthorizationCode!,
                    $"{(universal ? "plr" : "slr")}_{parsed.Udi.Serial}.txt");
                RequestCodeText = null;
                Counts = [];
            }
            else ModelState.AddModelError("Counts", outcome.ErrorMessage!);
        }
        await LoadAsync();
        return Page();
    }

    /// <summary>CSSM's "Update Reserved Licenses": the quantities are the whole new set; a new code, in transition until confirmed.</summary>
    public async Task<IActionResult> OnPostUpdateAsync()
    {
        ModelState.Clear();
        if (!Udi.TryParse(UpdateUdi?.Trim(), out var udi)) ModelState.AddModelError("Counts", "Choose the reserved product instance to update");
        var wanted = new List<(string, long)>();
        for (var i = 0; i < Tags.Count; i++)
        {
            var text = i < Counts.Count ? Counts[i] : null;
            if (string.IsNullOrWhiteSpace(text)) continue;
            if (!long.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
                ModelState.AddModelError("Counts", $"The quantity '{text}' is not a whole number");
            else if (n > 0) wanted.Add((Tags[i], n));
        }
        if (ModelState.IsValid)
        {
            var outcome = await authorizations.UpdateReservationAsync(Account, VirtualAccount, udi, wanted, HttpContext.RequestAborted);
            if (outcome.Succeeded)
            {
                Issued = ("SLR", $"{udi.Pid}:{udi.Serial}", outcome.AuthorizationCode!, $"slr_{udi.Serial}.txt");
                Counts = [];
            }
            else ModelState.AddModelError("Counts", outcome.ErrorMessage!);
        }
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostSlacAsync()
    {
        ModelState.Clear();
        if (!Udi.TryParse(SlacUdi?.Trim(), out var udi)) ModelState.AddModelError(nameof(SlacUdi), "Choose a product instance (UDI as PID:x,SN:y)");
        if (string.IsNullOrWhiteSpace(SlacTag)) ModelState.AddModelError(nameof(SlacTag), "Choose a license");
        var count = WholeNumber(SlacCount, nameof(SlacCount), "Quantity", required: true);
        if (ModelState.IsValid)
        {
            var outcome = await authorizations.RequestSlacAsync(new SlacRequest(udi, [(SlacTag!, count!.Value)], Replace: false, Confirmed: true), HttpContext.RequestAborted);
            if (outcome.Succeeded) Issued = ("SLAC", udi.ToString(), outcome.Code!.ToSlacFileXml(), $"slac_{udi.Serial}.xml");
            else ModelState.AddModelError(nameof(SlacCount), $"{outcome.ErrorCode}: {outcome.ErrorMessage}");
        }
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostReturnAsync()
    {
        ModelState.Clear();
        if (string.IsNullOrWhiteSpace(ReturnCodeText)) ModelState.AddModelError(nameof(ReturnCodeText), "Paste the return code the device printed");
        else
        {
            var outcome = await authorizations.ReturnByCodeAsync(ReturnCodeText, HttpContext.RequestAborted);
            if (!outcome.Succeeded) ModelState.AddModelError(nameof(ReturnCodeText), $"{outcome.ErrorCode}: {outcome.ErrorMessage}");
            else
            {
                var r = outcome.Returned[0];
                Returned = (r.Kind, r.Udi, outcome.ConfirmationCode!);
                ReturnCodeText = null;
            }
        }
        await LoadAsync();
        return Page();
    }

    private async Task LoadAsync()
    {
        Licenses = (await licenses.BalancesAsync(VirtualAccount, HttpContext.RequestAborted)).Where(b => b.Pool is not null).ToList();
        // The picker shows names only: no usage or authorization reads per instance.
        var all = await instances.ListAsync(VirtualAccount, HttpContext.RequestAborted);
        Instances = all.Count > PickerLimit ? [] : all.Select(pi => new ProductInstanceView(pi, [], [])).ToList();
        Authorized = await instances.AuthorizedAsync(VirtualAccount, HttpContext.RequestAborted);
        if (Tags.Count != Licenses.Count) { Tags = Licenses.Select(l => l.Tag).ToList(); Counts = []; }
    }
}
