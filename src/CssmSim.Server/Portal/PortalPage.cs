using System.Globalization;
using System.Text;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Time;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CssmSim.Server.Portal;

/// <summary>
/// What every portal page shows in its header: the Smart and Virtual Account picked (query
/// <c>sa</c> = domain, <c>va</c> = name; by default the first account and its default VA), the
/// accounts to pick from, and the simulator clock.
/// </summary>
public sealed record PortalContext(
    IReadOnlyList<SmartAccount> Accounts,
    SmartAccount? Account,
    IReadOnlyList<VirtualAccount> VirtualAccounts,
    VirtualAccount? VirtualAccount,
    DateTimeOffset Now,
    ClockMode ClockMode,
    TimeSpan ClockOffset,
    bool LoginRequired);

/// <summary>Reads the account choice of a request.</summary>
public sealed class PortalAccounts(ISimulatorStore store, SimulatorClock clock, PortalSession session)
{
    public async Task<PortalContext> ResolveAsync(string? domain, string? virtualAccount, CancellationToken ct)
    {
        var accounts = await store.Accounts.ListSmartAccountsAsync(ct);
        var account = (domain is { Length: > 0 } ? accounts.FirstOrDefault(a => a.Domain.Equals(domain, StringComparison.OrdinalIgnoreCase)) : null)
            ?? accounts.FirstOrDefault();
        IReadOnlyList<VirtualAccount> vas = account is null ? [] : await store.Accounts.ListVirtualAccountsAsync(account.Id, ct);
        var va = (virtualAccount is { Length: > 0 } ? vas.FirstOrDefault(v => v.Name == virtualAccount) ?? vas.FirstOrDefault(v => v.Id == virtualAccount) : null)
            ?? vas.FirstOrDefault(v => v.IsDefault) ?? vas.FirstOrDefault(v => v.Name == "DEFAULT") ?? vas.FirstOrDefault();
        return new PortalContext(accounts, account, vas, va, clock.GetUtcNow(), clock.Mode, clock.Offset, session.LoginRequired);
    }
}

/// <summary>
/// The base of every portal page: resolves <see cref="Ctx"/> before a handler runs, and builds links
/// that keep the account choice. Handlers talk to engine services only; the pages hold no rules.
/// </summary>
public abstract class PortalPage : PageModel
{
    /// <summary>The header's account choice and clock.</summary>
    public PortalContext Ctx { get; private set; } = null!;

    /// <summary>The page's title (also the active navigation entry's key).</summary>
    public abstract string Title { get; }

    /// <summary>A message shown once above the page (after a redirect: <c>?done=</c>).</summary>
    public string? Notice { get; set; }

    /// <summary>An error shown above the page.</summary>
    public string? Problem { get; set; }

    public SmartAccount Account => Ctx.Account ?? throw new InvalidOperationException("the simulator has no Smart Account");
    public VirtualAccount VirtualAccount => Ctx.VirtualAccount ?? throw new InvalidOperationException("the Smart Account has no Virtual Account");

    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var q = Request.Query;
        Ctx = await HttpContext.RequestServices.GetRequiredService<PortalAccounts>().ResolveAsync(q["sa"], q["va"], HttpContext.RequestAborted);
        if (q["done"].ToString() is { Length: > 0 } done) Notice = done;
        if (Ctx.Account is null || Ctx.VirtualAccount is null)
        {
            Problem = "The simulator holds no Smart Account with a Virtual Account: merge a seed document (POST /_sim/seed) first.";
            context.Result = Page();
            return;
        }
        await next();
    }

    /// <summary>A portal link that keeps the Smart and Virtual Account picked, plus <paramref name="query"/> pairs (null values skipped).</summary>
    public string Href(string path, params (string Key, string? Value)[] query)
    {
        var sb = new StringBuilder(path);
        var first = !path.Contains('?');
        void Add(string k, string? v)
        {
            if (v is null) return;
            sb.Append(first ? '?' : '&').Append(Uri.EscapeDataString(k)).Append('=').Append(Uri.EscapeDataString(v));
            first = false;
        }
        Add("sa", Ctx?.Account?.Domain);
        Add("va", Ctx?.VirtualAccount?.Name);
        foreach (var (k, v) in query) Add(k, v);
        return sb.ToString();
    }

    /// <summary>Post-redirect-get: back to this page (or <paramref name="path"/>) with a one-time notice.</summary>
    protected RedirectResult Done(string notice, string? path = null, params (string Key, string? Value)[] query) =>
        Redirect(Href(path ?? Request.Path.Value ?? PortalSetup.BasePath, [.. query, ("done", notice)]));

    /// <summary>Copies engine validation errors (keyed by field name) into the model state under the form's names.</summary>
    protected void AddErrors(IReadOnlyDictionary<string, string[]> errors, IReadOnlyDictionary<string, (string Field, string Label)> fields)
    {
        foreach (var (key, messages) in errors)
        {
            var (field, label) = fields.TryGetValue(key, out var f) ? f : ("", key);
            foreach (var m in messages) ModelState.AddModelError(field, field.Length == 0 ? $"{label}: {m}" : $"{label} {m}");
        }
    }

    /// <summary>A whole number typed into a form field, or an error on that field (null when blank and optional).</summary>
    protected int? WholeNumber(string? text, string field, string label, bool required)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            if (required) ModelState.AddModelError(field, $"{label} is required");
            return null;
        }
        if (int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)) return n;
        ModelState.AddModelError(field, $"{label} must be a whole number");
        return null;
    }
}
