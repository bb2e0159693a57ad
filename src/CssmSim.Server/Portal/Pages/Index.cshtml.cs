using CssmSim.Engine.Tokens;
using CssmSim.Engine.Validation;
using Microsoft.AspNetCore.Mvc;

namespace CssmSim.Server.Portal.Pages;

/// <summary>
/// Inventory → General: the Product Instance Registration Tokens table and CSSM's "Create
/// Registration Token" dialog (portal.md 2). The rules (1–365 days, at least one use, export
/// permission) are <see cref="TokenService"/>'s; this page parses the form and shows the outcome.
/// </summary>
public sealed class IndexModel(TokenService tokens) : PortalPage
{
    private static readonly Dictionary<string, (string, string)> Fields = new()
    {
        ["description"] = ("Input.Description", "Description"),
        ["expiresAfterDays"] = ("Input.ExpiresAfterDays", "Expire After"),
        ["maxUsesAllowed"] = ("Input.MaxUses", "Max. Number of Uses"),
    };

    public override string Title => "General";

    public IReadOnlyList<TokenView> Tokens { get; private set; } = [];

    /// <summary>True while the "Create Registration Token" dialog is open.</summary>
    public bool DialogOpen { get; private set; }

    /// <summary>The token just created, shown with its copy and download buttons.</summary>
    public TokenView? Created { get; private set; }

    [BindProperty]
    public NewTokenInput Input { get; set; } = new();

    public async Task OnGetAsync(bool @new, string? created)
    {
        DialogOpen = @new;
        await LoadAsync();
        if (created is { Length: > 0 }) Created = Tokens.FirstOrDefault(t => t.Token.Id == created);
    }

    public async Task<IActionResult> OnPostCreateAsync()
    {
        ModelState.Clear();
        var days = WholeNumber(Input.ExpiresAfterDays, "Input.ExpiresAfterDays", "Expire After", required: true);
        var maxUses = WholeNumber(Input.MaxUses, "Input.MaxUses", "Max. Number of Uses", required: false);
        // Every problem at once: the engine's checks run on what parsed (a valid stand-in for what did not).
        var request = new TokenRequest(Input.Description?.Trim() ?? "", days ?? 30, maxUses, Input.ExportControlled, "portal");
        try
        {
            TokenService.Validate(request);
            if (ModelState.IsValid)
            {
                var created = await tokens.CreateAsync(Account, VirtualAccount, request, HttpContext.RequestAborted);
                return Redirect(Href(PortalSetup.BasePath, ("created", created.Token.Id)));
            }
        }
        catch (EngineValidationException e)
        {
            // The engine speaks to API clients ("null" for unlimited); a person leaves the field blank.
            AddErrors(e.Errors.ToDictionary(kv => kv.Key, kv => kv.Value.Select(m => m.Replace(", or null for unlimited", " (leave it blank for unlimited)")).ToArray()), Fields);
        }
        DialogOpen = true;
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeAsync(string id)
    {
        var revoked = await tokens.RevokeAsync(Account, VirtualAccount, id, HttpContext.RequestAborted);
        if (!revoked)
        {
            Problem = "That token is not in this Virtual Account.";
            await LoadAsync();
            return Page();
        }
        return Done("The token was revoked: no product instance can register with it any more.");
    }

    /// <summary>The token's <c>.txt</c> download: the token string alone.</summary>
    public async Task<IActionResult> OnGetDownloadAsync(string id)
    {
        var found = await tokens.FindAsync(id, HttpContext.RequestAborted);
        if (found is null || found.Token.VirtualAccountId != VirtualAccount.Id) return NotFound();
        return File(System.Text.Encoding.UTF8.GetBytes(found.Token.Token), "text/plain", $"token_{found.Token.Id}.txt");
    }

    private async Task LoadAsync() => Tokens = await tokens.ListAsync(VirtualAccount, HttpContext.RequestAborted);

    /// <summary>The dialog's fields as typed (numbers as text, so a typo is reported rather than dropped).</summary>
    public sealed class NewTokenInput
    {
        public string? Description { get; set; }
        public string? ExpiresAfterDays { get; set; } = "30";
        public string? MaxUses { get; set; }
        public bool ExportControlled { get; set; } = true;
    }
}
