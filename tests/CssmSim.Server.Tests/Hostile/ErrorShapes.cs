using System.Text.Json;
using System.Text.Json.Nodes;

namespace CssmSim.Server.Tests.Hostile;

/// <summary>
/// The error body each API family's clients parse (cssm-api.md §Error shapes, smart-transport.md,
/// control.md), written down here from the spec rather than taken from the server's own renderer.
/// </summary>
public static class ErrorShapes
{
    public enum Family { OAuth, V1, V2Search, Slp, SmartTransport, Control, Software }

    private const string Api = HostileSimulator.Api + "/";

    public static Family Of(string path)
    {
        var p = path.Split('?')[0];
        if (p.StartsWith("/as/", StringComparison.Ordinal) || p.StartsWith("/oauth2/", StringComparison.Ordinal) || p.StartsWith("/idp/", StringComparison.Ordinal))
            return Family.OAuth;
        if (p.StartsWith("/licservice/", StringComparison.Ordinal) || p.StartsWith("/its/", StringComparison.Ordinal) || p.StartsWith("/cslu/", StringComparison.Ordinal))
            return Family.SmartTransport;
        if (p.StartsWith("/_sim", StringComparison.Ordinal)) return Family.Control;
        if ((p.StartsWith("/v1/software/apis/", StringComparison.Ordinal) && !IsNotSimulated(p))
            || p.StartsWith("/services/api/enterprise-agreements/", StringComparison.Ordinal))
            return Family.Software;
        if (p.StartsWith(Api, StringComparison.Ordinal))
        {
            var rest = p[Api.Length..].TrimEnd('/');
            if (rest is "v2/accounts/search" or "v2/licenses/summary" or "v3/licenses/summary") return Family.V2Search;
            if (rest.StartsWith("v2/devices/", StringComparison.Ordinal) || rest == "v2/accounts/poll") return Family.Slp;
        }
        return Family.V1;
    }

    /// <summary>The Software APIs paths software-apis.md specifies (each has its own route; the rest answer 501).</summary>
    private static readonly string[] SpecifiedSoftwareApis =
    [
        "/v1/software/apis/accounts/v1/user/search-smart-accounts", "/v1/software/apis/pnp/v2/accounts", "/v1/software/apis/licensing/v2/accounts/",
        "/v1/software/apis/licensing/v2/device/search", "/v1/software/apis/licensing/v3/accounts/", "/v1/software/apis/licensing/v2/get-summary",
        "/v1/software/apis/licensing/v1/account/", "/v1/software/apis/licensing/v2/account/", "/v1/software/apis/licensing/v2/account-policy",
        "/v1/software/apis/licensing/v1/search-slr-details", "/v1/software/apis/ea/",
    ];

    /// <summary>The paths cssm-api.md §Not simulated lists: 501 whatever the input.</summary>
    public static bool IsNotSimulated(string path)
    {
        var p = path.Split('?')[0];
        if (p.StartsWith("/v1/software/", StringComparison.Ordinal))
            return p.EndsWith("/convert-bulk-dlc", StringComparison.Ordinal) || !SpecifiedSoftwareApis.Any(s => p.StartsWith(s, StringComparison.Ordinal));
        return p.StartsWith("/its/", StringComparison.Ordinal) || p.StartsWith("/cslu/", StringComparison.Ordinal)
            || p.EndsWith("/dlc_convert", StringComparison.Ordinal) || p.EndsWith("/v1/subscription/search", StringComparison.Ordinal);
    }

    /// <summary>A 200 that is a refusal at the business layer (smart transport, SLP, reservations).</summary>
    public static bool IsBusinessFailure(string path, string body)
    {
        JsonNode? json;
        try { json = JsonNode.Parse(body); } catch (JsonException) { return false; }
        if (json is not JsonObject o || o["status"] is not JsonValue v || v.GetValueKind() != JsonValueKind.String) return false;
        var status = v.GetValue<string>();
        return status is "FAILED" or "ERROR" || (status == "OK_POLL" && o["message_code"] is JsonValue mc && mc.GetValueKind() == JsonValueKind.String && mc.GetValue<string>().Length > 0);
    }

    public static void ShouldBeFamilyError(string path, int status, string body, string? mediaType, string context)
    {
        JsonObject o;
        try
        {
            o = JsonNode.Parse(body) as JsonObject ?? throw new ShouldAssertException("the error body is not a JSON object: " + context);
        }
        catch (JsonException)
        {
            throw new ShouldAssertException("the error body is not JSON: " + context);
        }
        var family = Of(path);
        if (status == 401 && family is Family.V1 or Family.V2Search or Family.Slp or Family.Software)
        {
            // The bearer check answers in the OAuth shape on every API route (cssm-api.md §OAuth2).
            o.Select(kv => kv.Key).Order().ToArray().ShouldBe(new[] { "error", "error_description" }, context);
            o["error"]!.GetValue<string>().ShouldBe("invalid_token", context);
            return;
        }
        switch (family)
        {
            case Family.OAuth:
                mediaType.ShouldBe("application/json", context);
                o.Select(kv => kv.Key).Order().ToArray().ShouldBe(new[] { "error", "error_description" }, context);
                o["error"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace(context);
                break;
            case Family.V1:
                mediaType.ShouldBe("application/json", context);
                o["status"]!.GetValue<string>().ShouldBe("ERROR", context);
                o["statusMessage"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace(context);
                break;
            case Family.V2Search:
                mediaType.ShouldBe("application/json", context);
                o["status"]!.GetValue<string>().ShouldBe("FAILED", context);
                o["message_code"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace(context);
                o["message"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace(context);
                break;
            case Family.Slp:
                mediaType.ShouldBe("application/json", context);
                o["status"]!.GetValue<string>().ShouldBe("FAILED", context);
                o["message"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace(context);
                break;
            case Family.SmartTransport:
                mediaType.ShouldBe("application/json", context);
                o.ContainsKey("header").ShouldBeTrue(context);
                o["status"]!.GetValue<string>().ShouldBe("FAILED", context);
                o["error"]!["code"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace(context);
                o["error"]!["message"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace(context);
                break;
            case Family.Software:
                // Each Software API has its own error schema (software-apis.md §Common rules): a status word and a
                // message, or the Enterprise Agreements {code, message, severity}.
                mediaType.ShouldBe("application/json", context);
                if (o.ContainsKey("severity"))
                {
                    o["code"]!.GetValue<int>().ShouldBe(status, context);
                    o["message"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace(context);
                    break;
                }
                o["status"]!.GetValue<string>().ShouldBeOneOf(["ERROR", "FAILED"], context);
                ((o["statusMessage"] ?? o["message"])!.GetValue<string>()).ShouldNotBeNullOrWhiteSpace(context);
                break;
            case Family.Control:
                mediaType.ShouldBe("application/problem+json", context);
                o["status"]!.GetValue<int>().ShouldBe(status, context);
                o["title"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace(context);
                o["detail"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace(context);
                break;
        }
    }
}
