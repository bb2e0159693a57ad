using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CssmSim.Server.Portal.Pages;

/// <summary>
/// The portal login: asked for when a control key is in force (the server listens beyond
/// loopback, or <c>Control:ApiKey</c> is set). It takes the same key as the control API's
/// <c>X-CssmSim-Key</c> header.
/// </summary>
[PortalPublic]
public sealed class LoginModel(PortalSession session) : PageModel
{
    [BindProperty] public string? Key { get; set; }

    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }

    public string? Error { get; private set; }

    public IActionResult OnGet() => session.IsSignedIn(HttpContext) && session.LoginRequired ? Redirect(Target()) : Page();

    public IActionResult OnPost()
    {
        if (session.TrySignIn(HttpContext, Key)) return Redirect(Target());
        Error = string.IsNullOrWhiteSpace(Key) ? "Enter the control API key." : "That is not the control API key.";
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        return Page();
    }

    public IActionResult OnPostLogout()
    {
        session.SignOut(HttpContext);
        return Redirect(session.LoginRequired ? PortalSetup.BasePath + "/login" : PortalSetup.BasePath);
    }

    private string Target() =>
        ReturnUrl is { Length: > 0 } u && Url.IsLocalUrl(u) && u.StartsWith(PortalSetup.BasePath, StringComparison.OrdinalIgnoreCase) && !u.StartsWith(PortalSetup.BasePath + "/login", StringComparison.OrdinalIgnoreCase)
            ? u : PortalSetup.BasePath;
}
