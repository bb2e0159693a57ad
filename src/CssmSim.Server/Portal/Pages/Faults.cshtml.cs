using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Faults;
using CssmSim.Engine.Validation;
using Microsoft.AspNetCore.Mvc;

namespace CssmSim.Server.Portal.Pages;

/// <summary>
/// Faults (portal.md 9): the rules with their <c>candidates</c> and <c>applied</c> counts, presets,
/// a rule of your own in JSON, enable/disable and delete. <see cref="FaultEngine"/> validates and
/// applies; no fault rule applies to this page, so a rule can always be removed here.
/// </summary>
public sealed class FaultsModel(FaultEngine faults) : PortalPage
{
    public override string Title => "Faults";

    public IReadOnlyList<FaultRuleView> Rules { get; private set; } = [];

    [BindProperty] public string? RuleJson { get; set; }

    public async Task OnGetAsync()
    {
        await LoadAsync();
        RuleJson ??= """{"name":"my rule","match":{"surface":"smart-transport","operation":"TRUST_ESTABLISHMENT"},"when":{"nth":[2]},"effect":{"error":"LS_LICENGINE_FAIL_TO_CONNECT"}}""";
    }

    public async Task<IActionResult> OnPostPresetAsync(string key)
    {
        var preset = FaultPresets.Find(key);
        if (preset is null) return NotFound();
        var view = await faults.AddAsync(FaultPresets.Rule(preset), HttpContext.RequestAborted);
        return Done($"Added the fault rule '{preset.Label}' ({view.Rule.Id}).", "/portal/faults");
    }

    public async Task<IActionResult> OnPostAddAsync()
    {
        ModelState.Clear();
        try
        {
            var body = JsonNode.Parse(RuleJson ?? "") ?? throw EngineValidationException.Single("$", "the rule must be a JSON object");
            var view = await faults.AddAsync(body, HttpContext.RequestAborted);
            return Done($"Added the fault rule {view.Rule.Id}.", "/portal/faults");
        }
        catch (JsonException e)
        {
            ModelState.AddModelError(nameof(RuleJson), "Not valid JSON: " + e.Message);
        }
        catch (EngineValidationException e)
        {
            foreach (var (path, messages) in e.Errors)
                foreach (var m in messages) ModelState.AddModelError(nameof(RuleJson), path is "" or "$" ? m : $"{path}: {m}");
        }
        catch (StateConflictException e)
        {
            ModelState.AddModelError(nameof(RuleJson), e.Message);
        }
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostToggleAsync(string id, bool enabled)
    {
        await faults.PatchAsync(id, new JsonObject { ["enabled"] = enabled }, HttpContext.RequestAborted);
        return Done($"The fault rule {id} is {(enabled ? "enabled" : "disabled")}.", "/portal/faults");
    }

    public async Task<IActionResult> OnPostDeleteAsync(string id)
    {
        try
        {
            await faults.DeleteAsync(id, HttpContext.RequestAborted);
            return Done($"Deleted the fault rule {id}.", "/portal/faults");
        }
        catch (Exception e) when (e is StateConflictException or EntityNotFoundException)
        {
            Problem = e.Message;
            await LoadAsync();
            return Page();
        }
    }

    public async Task<IActionResult> OnPostDeleteAllAsync()
    {
        await faults.DeleteUserRulesAsync(HttpContext.RequestAborted);
        return Done("Deleted every user fault rule; built-in rules stay.", "/portal/faults");
    }

    /// <summary>One part of a rule (match, when, effect) as compact JSON without braces, or "—".</summary>
    public static string Part(JsonObject rule, string key) =>
        rule[key] is JsonObject o && o.Count > 0 ? string.Join(", ", o.Select(kv => $"{kv.Key}: {kv.Value?.ToJsonString()}")) : "—";

    private async Task LoadAsync() => Rules = await faults.ListAsync(HttpContext.RequestAborted);
}
