using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CssmSim.Server.Portal.Pages;

/// <summary>
/// The portal login: asked for when a control key is in force (the server listens beyond
/// loopback, or <c>Control:ApiKey</c> is set). It takes the same key as the control API's
/// <c>X-CssmSim-Key</c> header.
/// </summary>
[PortalPublic]
public sealed class LoginModel(PortalSession session, Pipeline.FailedAttempts attempts) : PageModel
{
    [BindProperty] public string? Key { get; set; }

    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }

    public string? Error { get; private set; }

    public IActionResult OnGet() => session.IsSignedIn(HttpContext) && session.LoginRequired ? Redirect(Target()) : Page();

    public IActionResult OnPost()
    {
        var client = HttpContext.Connection.RemoteIpAddress;
        if (attempts.LockedFor(client) is { } left)
        {
            var seconds = (int)Math.Ceiling(left.TotalSeconds);
            Error = $"Too many wrong keys from this address; try again in {seconds} s.";
            Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return Page();
        }
        if (session.TrySignIn(HttpContext, Key))
        {
            attempts.Succeeded(client);
            return Redirect(Target());
        }
        if (!string.IsNullOrWhiteSpace(Key)) attempts.Failed(client);
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
