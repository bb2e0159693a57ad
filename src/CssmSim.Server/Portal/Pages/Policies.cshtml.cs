using System.Text.Json.Nodes;
using CssmSim.Engine.Policies;
using CssmSim.Engine.Validation;
using Microsoft.AspNetCore.Mvc;

namespace CssmSim.Server.Portal.Pages;

/// <summary>
/// Policies (portal.md 8): the Cisco default, the custom policies of the Smart Account and of the
/// Virtual Account, the policy in force with each attribute's source, and the signed <c>.xml</c>.
/// <see cref="PolicyService"/> validates, stores, merges and signs.
/// </summary>
public sealed class PoliciesModel(PolicyService policies) : PortalPage
{
    public static readonly (string Key, string Label)[] Classes =
    [
        ("unenforced_perpetual", "Unenforced, perpetual"), ("unenforced_subscription", "Unenforced, subscription"),
        ("enforced", "Enforced"), ("export", "Export-controlled"),
    ];

    public static readonly (string Key, string Label)[] DayFields =
    [
        ("first_report_days", "First report (days)"), ("reporting_frequency_days", "Reporting frequency (days)"), ("report_on_change_days", "Report on change (days)"),
    ];

    public override string Title => "Policies";

    public ResolvedPolicy Effective { get; private set; } = null!;
    public JsonObject? AccountCustom { get; private set; }
    public JsonObject? VirtualAccountCustom { get; private set; }

    /// <summary>The level the form edits: <c>sa</c> (Smart Account) or <c>va</c>.</summary>
    [BindProperty(SupportsGet = true)] public string Level { get; set; } = "va";

    [BindProperty] public string? PolicyName { get; set; }

    /// <summary><c>""</c> (not set), <c>true</c> or <c>false</c>.</summary>
    [BindProperty] public string? AckRequired { get; set; }

    /// <summary>Day counts keyed <c>class.field</c>, as typed.</summary>
    [BindProperty] public Dictionary<string, string?> Days { get; set; } = [];

    public async Task OnGetAsync()
    {
        await LoadAsync();
        Fill(Level == "sa" ? AccountCustom : VirtualAccountCustom);
    }

    public async Task<IActionResult> OnPostSaveAsync()
    {
        ModelState.Clear();
        var body = new JsonObject();
        if (!string.IsNullOrWhiteSpace(PolicyName)) body["policy_name"] = PolicyName.Trim();
        if (AckRequired is "true" or "false") body["reporting_ack_required"] = AckRequired == "true";
        foreach (var (cls, _) in Classes)
        {
            var co = new JsonObject();
            foreach (var (field, label) in DayFields)
            {
                var key = $"{cls}.{field}";
                if (Days.GetValueOrDefault(key) is not { } text || string.IsNullOrWhiteSpace(text)) continue;
                if (long.TryParse(text.Trim(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n)) co[field] = n;
                else ModelState.AddModelError($"Days[{key}]", $"{label} must be a whole number");
            }
            if (co.Count > 0) body[cls] = co;
        }
        if (ModelState.IsValid)
        {
            try
            {
                await policies.SetCustomAsync(Account.Domain, Level == "sa" ? null : VirtualAccount.Name, body, HttpContext.RequestAborted);
                return Done($"The {(Level == "sa" ? "Smart Account" : "Virtual Account")} custom policy was saved.", "/portal/policies", ("level", Level));
            }
            catch (EngineValidationException e)
            {
                foreach (var (path, messages) in e.Errors)
                {
                    var key = path.Contains('.') ? $"Days[{path}]" : path switch { "policy_name" => nameof(PolicyName), "reporting_ack_required" => nameof(AckRequired), _ => "" };
                    foreach (var m in messages) ModelState.AddModelError(key, key.Length == 0 ? $"{path}: {m}" : m);
                }
            }
        }
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostClearAsync()
    {
        await policies.ClearCustomAsync(Account.Domain, Level == "sa" ? null : VirtualAccount.Name, HttpContext.RequestAborted);
        return Done($"The {(Level == "sa" ? "Smart Account" : "Virtual Account")} custom policy was removed.", "/portal/policies", ("level", Level));
    }

    /// <summary>The signed policy file the Virtual Account's devices receive.</summary>
    public async Task<IActionResult> OnGetDownloadAsync()
    {
        var file = await policies.GetPolicyFileAsync(Account, VirtualAccount, HttpContext.RequestAborted);
        return File(System.Text.Encoding.UTF8.GetBytes(file), "application/xml", $"policy_{VirtualAccount.Name}.xml");
    }

    /// <summary>A custom policy's value for <c>class.field</c>, or null.</summary>
    public static string? Value(JsonObject? custom, string cls, string field) => custom?[cls]?[field]?.ToString();

    private async Task LoadAsync()
    {
        Level = Level == "sa" ? "sa" : "va";
        Effective = await policies.ResolveAsync(Account, VirtualAccount, HttpContext.RequestAborted);
        AccountCustom = await policies.GetCustomAsync(Account.Domain, null, HttpContext.RequestAborted);
        VirtualAccountCustom = await policies.GetCustomAsync(Account.Domain, VirtualAccount.Name, HttpContext.RequestAborted);
    }

    private void Fill(JsonObject? custom)
    {
        PolicyName = custom?["policy_name"]?.ToString();
        AckRequired = custom?["reporting_ack_required"]?.ToString().ToLowerInvariant() ?? "";
        Days = [];
        foreach (var (cls, _) in Classes)
            foreach (var (field, _) in DayFields)
                Days[$"{cls}.{field}"] = Value(custom, cls, field);
    }
}
