using CssmSim.Engine.Time;
using Microsoft.AspNetCore.Mvc;

namespace CssmSim.Server.Portal.Pages;

/// <summary>The header's clock control: advance the simulator clock, or put it back on wall time.</summary>
public sealed class ClockModel(SimulatorClock clock, CssmSim.Engine.Storage.ISimulatorStore store) : PortalPage
{
    public override string Title => "Clock";

    public IActionResult OnGet() => Redirect(Href(PortalSetup.BasePath));

    public async Task<IActionResult> OnPostAsync(string? advance, bool reset, string? returnUrl)
    {
        string notice;
        if (reset)
        {
            clock.SetMode(ClockMode.System);
            notice = "The clock is back on wall time.";
        }
        else if (advance is not null && IsoDuration.TryParse(advance, out var by) && by > TimeSpan.Zero && by <= TimeSpan.FromDays(3650) && clock.CanAdvance(by))
        {
            clock.Advance(by);
            notice = $"The clock moved {Format.Offset(by)}: it is now {Format.DateTime(clock.GetUtcNow())}.";
        }
        else
        {
            notice = "Choose how far to advance the clock.";
        }
        await ClockState.SaveAsync(store, clock, HttpContext.RequestAborted);
        var target = returnUrl is { Length: > 0 } && Url.IsLocalUrl(returnUrl) && returnUrl.StartsWith(PortalSetup.BasePath, StringComparison.OrdinalIgnoreCase)
            ? returnUrl : Href(PortalSetup.BasePath);
        target = RemoveQuery(target, "done");
        return Redirect(target + (target.Contains('?') ? "&" : "?") + "done=" + Uri.EscapeDataString(notice));
    }

    private static string RemoveQuery(string url, string key)
    {
        var q = url.IndexOf('?');
        if (q < 0) return url;
        var kept = url[(q + 1)..].Split('&').Where(p => !p.StartsWith(key + "=", StringComparison.Ordinal) && p != key);
        var rest = string.Join('&', kept);
        return rest.Length == 0 ? url[..q] : url[..q] + "?" + rest;
    }
}
