using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Engine.Policies;
using CssmSim.Server.CssmApi;
using CssmSim.Server.Pipeline;

namespace CssmSim.Server.Control;

/// <summary>
/// <c>/_sim/accounts/{domain}/policy</c> and <c>/_sim/accounts/{domain}/virtual-accounts/{va}/policy</c>:
/// custom policies at Smart and Virtual Account level, the effective policy a device receives, and
/// the signed policy file (control.md §Control API; artefacts.md §Policy file).
/// </summary>
internal static class PolicyApi
{
    private const long BodyLimit = 64 * 1024;

    public static IEndpointRouteBuilder MapPolicyApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/_sim/accounts/{domain}").WithTags("Policies").WithGroupName(ControlApi.GroupName);

        const string AccountShape = " Answers {\"custom\": <the Smart Account's custom policy or null>, \"virtualAccount\": <name of the default VA or null>,"
            + " \"effective\": <the policy JSON that VA receives, or null when the account has no VA>}.";
        api.MapGet("/policy", GetAccount).WithName("GetAccountPolicy")
            .WithSummary("The Smart Account's custom policy and the effective policy of its default Virtual Account." + AccountShape);
        api.MapPut("/policy", PutAccount).WithName("SetAccountPolicy")
            .WithSummary("Sets the Smart Account's custom policy: {policy_name?, reporting_ack_required?, unenforced_perpetual?, "
                + "unenforced_subscription?, enforced?, export?} (each class {first_report_days?, reporting_frequency_days?, "
                + "report_on_change_days?}, 0..3650). Virtual Accounts without a policy of their own inherit it." + AccountShape);
        api.MapDelete("/policy", DeleteAccount).WithName("ClearAccountPolicy")
            .WithSummary("Removes the Smart Account's custom policy (no error when there is none)." + AccountShape);

        api.MapGet("/virtual-accounts/{va}/policy", GetVirtualAccount).WithName("GetVirtualAccountPolicy")
            .WithSummary("The effective policy JSON of the Virtual Account, exactly as signed into the policy file a device receives: "
                + "the VA's custom policy, else the Smart Account's, else none, merged onto the Cisco default, with per-attribute sources.");
        api.MapGet("/virtual-accounts/{va}/policy.xml", DownloadFile).WithName("DownloadVirtualAccountPolicyFile")
            .WithSummary("The signed policy file (bare <smartLicensePolicy> root, as Cisco's IOS XE SLP sample imports it), as an attachment policy_<va>.xml; "
                + "byte-identical while the policy stays the same.");
        api.MapPut("/virtual-accounts/{va}/policy", PutVirtualAccount).WithName("SetVirtualAccountPolicy")
            .WithSummary("Sets the Virtual Account's custom policy (same body as the Smart Account level; it replaces, not extends, "
                + "the Smart Account's). Answers the effective policy JSON.");
        api.MapDelete("/virtual-accounts/{va}/policy", DeleteVirtualAccount).WithName("ClearVirtualAccountPolicy")
            .WithSummary("Removes the Virtual Account's custom policy: it falls back to the Smart Account's, else the Cisco default. "
                + "Answers the effective policy JSON.");
        return app;
    }

    private static async Task<IResult> GetAccount(HttpContext ctx, PolicyService policies, string domain) =>
        AccountResult(await policies.GetAccountPolicyAsync(domain, ctx.RequestAborted));

    private static async Task<IResult> PutAccount(HttpContext ctx, PolicyService policies, string domain)
    {
        var body = await RequestBodies.ReadJsonAsync(ctx, BodyLimit);
        await policies.SetCustomAsync(domain, null, body, ctx.RequestAborted);
        return AccountResult(await policies.GetAccountPolicyAsync(domain, ctx.RequestAborted));
    }

    private static async Task<IResult> DeleteAccount(HttpContext ctx, PolicyService policies, string domain)
    {
        await policies.ClearCustomAsync(domain, null, ctx.RequestAborted);
        return AccountResult(await policies.GetAccountPolicyAsync(domain, ctx.RequestAborted));
    }

    private static async Task<IResult> GetVirtualAccount(HttpContext ctx, PolicyService policies, string domain, string va) =>
        PolicyResult(await policies.ResolveAsync(domain, va, ctx.RequestAborted));

    private static async Task<IResult> PutVirtualAccount(HttpContext ctx, PolicyService policies, string domain, string va)
    {
        var body = await RequestBodies.ReadJsonAsync(ctx, BodyLimit);
        await policies.SetCustomAsync(domain, va, body, ctx.RequestAborted);
        return PolicyResult(await policies.ResolveAsync(domain, va, ctx.RequestAborted));
    }

    private static async Task<IResult> DeleteVirtualAccount(HttpContext ctx, PolicyService policies, string domain, string va)
    {
        await policies.ClearCustomAsync(domain, va, ctx.RequestAborted);
        return PolicyResult(await policies.ResolveAsync(domain, va, ctx.RequestAborted));
    }

    private static async Task<IResult> DownloadFile(HttpContext ctx, PolicyService policies, string domain, string va)
    {
        var (sa, account) = await policies.FindAsync(domain, va, ctx.RequestAborted);
        var file = await policies.GetPolicyFileAsync(sa, account!, ctx.RequestAborted);
        ctx.Response.Headers.ContentDisposition = AttachmentDisposition("policy_" + account!.Name + ".xml");
        return Results.Bytes(Encoding.UTF8.GetBytes(file), "application/xml");
    }

    private static IResult PolicyResult(ResolvedPolicy policy) => Results.Bytes(policy.Utf8Json.ToArray(), "application/json");

    private static IResult AccountResult(AccountPolicy p) => Results.Json(new JsonObject
    {
        ["custom"] = p.Custom,
        ["virtualAccount"] = p.DefaultVirtualAccount?.Name,
        ["effective"] = p.Effective?.ToJson(),
    }, ApiJson.Options);

    /// <summary>
    /// <c>attachment; filename=NAME</c>, quoting the name when it is not a plain token, and adding
    /// an RFC 5987 <c>filename*</c> (with an ASCII fallback) when it is not ASCII.
    /// </summary>
    public static string AttachmentDisposition(string fileName)
    {
        static bool IsToken(char c) => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9'
            || "!#$%&'*+-.^_`|~".Contains(c);
        if (fileName.Length > 0 && fileName.All(IsToken)) return "attachment; filename=" + fileName;

        var ascii = new StringBuilder(fileName.Length);
        var allAscii = true;
        foreach (var c in fileName)
        {
            if (c is < ' ' or > '~') { ascii.Append('_'); allAscii = false; }
            else if (c is '"' or '\\') ascii.Append('\\').Append(c);
            else ascii.Append(c);
        }
        var header = "attachment; filename=\"" + ascii + "\"";
        if (allAscii) return header;
        return header + "; filename*=UTF-8''" + Uri.EscapeDataString(fileName);
    }
}
