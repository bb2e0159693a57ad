using System.Text.Json.Nodes;
using CssmSim.Engine.Faults;
using CssmSim.Engine.Validation;
using CssmSim.Scenarios.Model;

namespace CssmSim.Scenarios.Loading;

// Fault rules and error codes are checked here with the simulator's own rule reader, so `validate`
// (exit 2) refuses a typo that a run would only meet as a refused rule or a failed expectation (exit 1).
public static partial class ScenarioLoader
{
    /// <summary>A fault rule of the file's <c>faults</c> or an <c>addFault</c> step; a merge patch of an existing rule (an id, no effect) has only its match checked.</summary>
    private static void CheckFaultRule(SMap rule, Context ctx, bool mayBePatch)
    {
        if (rule["effect"] is SMap effect)
        {
            if (effect["error"] is SScalar { IsNull: false } code) ctx.FaultErrorCodes.Add(code.Text);
            if (effect["poll"] is SMap poll && poll["failWith"] is SScalar { IsNull: false } failWith) ctx.FaultErrorCodes.Add(failWith.Text);
        }
        JsonNode json = rule.ToJson();
        if (mayBePatch && rule["id"] is not null && rule["effect"] is null)
        {
            // Only what a patch can get wrong on its own: the match's surface and operation.
            if (rule["match"] is not SMap match) return;
            json = new JsonObject { ["match"] = match.ToJson(), ["effect"] = new JsonObject { ["status"] = 503 } };
        }
        try
        {
            FaultRuleJson.Read(json, "scenario", builtin: false);
        }
        catch (EngineValidationException e)
        {
            foreach (var (path, messages) in e.Errors)
                foreach (var message in messages)
                    ctx.Error(At(rule, path), $"fault rule {(path is "" or "$" ? "" : path + ": ")}{message}");
        }
    }

    /// <summary>An error code an expectation waits for: one the simulator answers, a transport failure, or one a fault rule of this file produces.</summary>
    private static void CheckErrorCode(SScalar code, string where, Context ctx)
    {
        var text = code.Text;
        if (Catalog.ErrorCodes.Contains(text) || ctx.FaultErrorCodes.Contains(text) || TransportCode().IsMatch(text)) return;
        var known = Catalog.ErrorCodes.Concat(ctx.FaultErrorCodes).ToList();
        ctx.Error(code, $"unknown error code '{text}' in {where}{Suggest(text, known)}; the simulator answers {string.Join(", ", Catalog.ErrorCodes.Order(StringComparer.Ordinal))}, "
            + "CONNECTION_FAILED or HTTP_nnn for transport failures, or a code a fault rule of this file produces (effect.error)");
    }

    // The node a validation path ("match.operation", "when.nth[1]") points at, else the rule itself.
    private static SNode At(SMap rule, string path)
    {
        SNode node = rule;
        foreach (var part in path.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = part.Split('[')[0];
            if (node is not SMap m || m[name] is not { } next) break;
            node = next;
        }
        return node;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^(HTTP_[1-5][0-9][0-9]|CONNECTION_FAILED)$")]
    private static partial System.Text.RegularExpressions.Regex TransportCode();
}
