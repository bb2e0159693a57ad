using System.Security.Cryptography;
using System.Text;
using CssmSim.Server.Pipeline;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace CssmSim.Server.Portal;

/// <summary>
/// The portal login (portal.md; control.md): when a control key is in force (always when the server
/// listens beyond loopback) a person signs in with that key and gets a session cookie; with no key
/// (a loopback simulator) there is no login. The cookie holds a protected fingerprint of the key, so
/// a different key ends every session; the control API itself still takes only the header.
/// </summary>
public sealed class PortalSession(ControlKey key, IDataProtectionProvider protection, Engine.Time.SimulatorClock clock)
{
    // Sessions last on wall time: moving the virtual clock must not sign anyone out.
    private readonly TimeProvider _wall = clock.Wall;

    public const string CookieName = "cssmsim_portal";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    private readonly ITimeLimitedDataProtector _protector = protection.CreateProtector("CssmSim.Portal.Login").ToTimeLimitedDataProtector();

    /// <summary>True when the portal asks for the control key.</summary>
    public bool LoginRequired => key.Value is not null;

    /// <summary>True when no login is needed, or the request carries a valid session cookie.</summary>
    public bool IsSignedIn(HttpContext ctx)
    {
        if (!LoginRequired) return true;
        if (!ctx.Request.Cookies.TryGetValue(CookieName, out var cookie) || string.IsNullOrEmpty(cookie)) return false;
        try
        {
            var payload = _protector.Unprotect(cookie, out var expires);
            return expires > _wall.GetUtcNow() && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(payload), Encoding.UTF8.GetBytes(Fingerprint()));
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Checks <paramref name="given"/> against the control key; on a match, sets the session cookie.</summary>
    public bool TrySignIn(HttpContext ctx, string? given)
    {
        if (!LoginRequired) return true;
        if (given is null || !key.Matches(given.Trim())) return false;
        var expires = _wall.GetUtcNow() + Lifetime;
        ctx.Response.Cookies.Append(CookieName, _protector.Protect(Fingerprint(), expires), Options(ctx, expires));
        return true;
    }

    public void SignOut(HttpContext ctx) => ctx.Response.Cookies.Delete(CookieName, Options(ctx, null));

    private string Fingerprint() => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("portal:" + key.Value)));

    private static CookieOptions Options(HttpContext ctx, DateTimeOffset? expires) => new()
    {
        Path = PortalSetup.BasePath,
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = ctx.Request.IsHttps,
        Expires = expires,
        IsEssential = true,
    };
}

/// <summary>Marks a page anyone may open (the login page).</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class PortalPublicAttribute : Attribute;

/// <summary>Sends a request without a session to the login page (pages marked <see cref="PortalPublicAttribute"/> excepted).</summary>
internal sealed class PortalLoginFilter : IAuthorizationFilter
{
    public void OnAuthorization(AuthorizationFilterContext context)
    {
        if (context.ActionDescriptor.EndpointMetadata.OfType<PortalPublicAttribute>().Any()) return;
        var http = context.HttpContext;
        var session = http.RequestServices.GetRequiredService<PortalSession>();
        if (session.IsSignedIn(http)) return;
        var back = http.Request.Path + http.Request.QueryString;
        context.Result = new RedirectResult(PortalSetup.BasePath + "/login?returnUrl=" + Uri.EscapeDataString(HttpMethods.IsGet(http.Request.Method) ? back : PortalSetup.BasePath));
    }
}

/// <summary>
/// A form posted without a valid anti-forgery token gets 400 with a page that says so, rather than an
/// empty reply (the token goes stale when the simulator restarts, since its keys live in memory).
/// </summary>
internal sealed class AntiforgeryFailurePage : IAlwaysRunResultFilter
{
    public void OnResultExecuting(ResultExecutingContext context)
    {
        if (context.Result is not Microsoft.AspNetCore.Mvc.Core.Infrastructure.IAntiforgeryValidationFailedResult) return;
        context.Result = new ContentResult
        {
            StatusCode = StatusCodes.Status400BadRequest,
            ContentType = "text/html; charset=utf-8",
            Content = """
                <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Form expired - CssmSim</title>
                <link rel="stylesheet" href="/portal/portal.css"></head><body><main class="page narrow"><h1>The form could not be accepted</h1>
                <p>The form was not sent from this portal page, or it went stale (the simulator restarted since the page was loaded).
                Go back, reload the page and try again.</p><p><a href="/portal">Back to the portal</a></p></main></body></html>
                """,
        };
    }

    public void OnResultExecuted(ResultExecutedContext context) { }
}
