using CssmSim.Server.ApiDocs;
using Microsoft.AspNetCore.OpenApi;

namespace CssmSim.Server.Control;

/// <summary>
/// What the control API's OpenAPI document needs for Swagger UI's "Try it out" to work: the
/// <c>X-CssmSim-Key</c> security scheme (an Authorize button), path and query parameters with
/// example values, and request bodies with an example that succeeds against the demo seed.
/// Kept in one table by operation name, so the route files stay as they are.
/// </summary>
public static class ControlApiDocs
{
    public const string KeyScheme = OperationDocs.ControlKeyScheme;

    private static readonly Dictionary<string, string> DemoAccount = new() { ["domain"] = "example.com" };
    private static readonly Dictionary<string, string> DemoVa = new() { ["domain"] = "example.com", ["va"] = "DEFAULT" };
    private static readonly Dictionary<string, string> Token = new() { ["domain"] = "example.com", ["va"] = "DEFAULT", ["token"] = "<tokenId from SimCreateToken>" };

    /// <summary>The example of each documented operation that takes input (the others take none).</summary>
    public static readonly IReadOnlyDictionary<string, OperationDoc> Examples = new Dictionary<string, OperationDoc>
    {
        ["SetClock"] = new() { Body = """{"advance": "P1D"}""" },
        ["MergeSeed"] = new() { Body = "accounts:\n  - domain: docs-example.test\n    virtualAccounts: [DEFAULT]\n", ContentType = "application/yaml" },
        ["Reset"] = new() { Query = new Dictionary<string, string> { ["smartAccount"] = "example.com" } },
        ["Journal"] = new() { Query = new Dictionary<string, string> { ["operation"] = "TRUST_ESTABLISHMENT" } },
        ["Certificate"] = new() { Route = new Dictionary<string, string> { ["name"] = "ca.pem" } },
        ["AddFault"] = new() { Body = """{"name": "docs example", "match": {"surface": "smart-transport", "operation": "TRUST_ESTABLISHMENT"}, "when": {"nth": [1]}, "effect": {"error": "LS_LICENGINE_FAIL_TO_CONNECT"}, "enabled": false}""" },
        ["PatchFault"] = new() { Body = """{"enabled": true}""", Route = new Dictionary<string, string> { ["id"] = "token-max-uses-bottleneck" } },
        ["GetFault"] = new() { Route = new Dictionary<string, string> { ["id"] = "token-max-uses-bottleneck" } },
        ["SetPollTransition"] = new() { Body = """{"action": "usage-files", "progression": "polls", "times": 2}""" },
        ["SetTimingProfile"] = new() { Body = """{"profile": "realistic"}""" },
        ["GetAccountPolicy"] = new() { Route = DemoAccount },
        ["SetAccountPolicy"] = new() { Body = """{"policy_name": "Docs example", "unenforced_perpetual": {"reporting_frequency_days": 60}}""", Route = DemoAccount },
        ["ClearAccountPolicy"] = new() { Route = DemoAccount },
        ["GetVirtualAccountPolicy"] = new() { Route = DemoVa },
        ["SetVirtualAccountPolicy"] = new() { Body = """{"policy_name": "Docs example VA", "enforced": {"reporting_frequency_days": 90}}""", Route = DemoVa },
        ["ClearVirtualAccountPolicy"] = new() { Route = DemoVa },
        ["DownloadVirtualAccountPolicyFile"] = new() { Route = DemoVa },
        ["SimListLicenses"] = new() { Route = DemoVa },
        ["SimListTokens"] = new() { Route = DemoVa },
        ["SimCreateToken"] = new() { Body = """{"description": "docs example", "expiresAfterDays": 30, "maxUses": 5}""", Route = DemoVa },
        ["SimListProductInstances"] = new() { Route = DemoVa },
        ["SimTrustCode"] = new() { Body = """{"udi_pid": "C9800-CL-K9", "udi_serial_number": "DOCS-EXAMPLE-1"}""", Route = DemoVa },

        // Operations on something an earlier call creates: x-cssmsim-inputs names that call and where its answer holds the value.
        ["ImportSnapshot"] = new()
        {
            Body = """{"schemaVersion": 1, "…": "the whole body of GET /_sim/snapshot"}""",
            Inputs = [new("body", "ExportSnapshot")],
        },
        ["DeleteFault"] = new() { Route = Id("<id from AddFault>"), Inputs = [new("path:id", "AddFault", "/id")] },
        ["SimRevokeToken"] = new() { Route = Token, Inputs = [new("path:token", "SimCreateToken", "/tokenId")] },
        ["SimTokenText"] = new() { Route = Token, Inputs = [new("path:token", "SimCreateToken", "/tokenId")] },
        ["SimRemoveProductInstance"] = new() { Route = Instance("DOCS-EXAMPLE-1"), Inputs = [new(null, "SimTrustCode")] },
        ["SimTransferProductInstance"] = new()
        {
            Body = """{"targetVirtualAccount": "Lab"}""", Route = Instance("DOCS-EXAMPLE-1"), Inputs = [new(null, "SimTrustCode")],
        },
        ["SimReturnCode"] = new()
        {
            Description = "The return code is one the device computes when it removes its reservation or SLAC; as written this example gets the documented 409 UNKNOWN_RETURN_CODE.",
            Body = """{"returnCode": "<the device's return code>"}""", Route = DemoVa, ExpectedError = "UNKNOWN_RETURN_CODE",
        },
        // The reservation the CSSM API's ReserveLicensesv1 example makes (C9800-CL-K9 / DOCS-SLR-1).
        ["SimGetReservation"] = new() { Route = Instance("DOCS-SLR-1"), Inputs = [new(null, "ReserveLicensesv1")] },
        ["SimDownloadReservation"] = new() { Route = Instance("DOCS-SLR-1"), Inputs = [new(null, "ReserveLicensesv1")] },
        ["SimUpdateReservation"] = new()
        {
            Body = """{"licenses": [{"tag": "regid.2019-03.com.cisco.DNA_HSEC,1.0_509c41ab-05a8-431f-95fe-ec28086e8844", "quantity": 1}]}""",
            Route = Instance("DOCS-SLR-1"), Inputs = [new(null, "ReserveLicensesv1")],
        },
        ["SimConfirmReservation"] = new()
        {
            Description = "The confirmation code is one the device computes after installing the code; as written this example gets the documented 409 CONFIRMATION_CODE_MISMATCH.",
            Body = """{"confirmationCode": "<the device's confirmation code>"}""",
            Route = Instance("DOCS-SLR-1"), Inputs = [new(null, "ReserveLicensesv1")], ExpectedError = "CONFIRMATION_CODE_MISMATCH",
        },
        ["UploadUsageFile"] = new()
        {
            Description = "The example is a usage file with one RUM report of C9800-CL-K9 / DOCS-UF-1 (raw body; a browser form sends the multipart field 'file').",
            Body = SmartTransportDocs.UsageFile, ContentType = "application/xml", Status = 202,
            Query = new Dictionary<string, string> { ["fileName"] = "usage-docs.xml", ["smartAccount"] = "example.com", ["virtualAccount"] = "DEFAULT" },
        },
        ["GetUsageFile"] = new() { Route = Id("<id from UploadUsageFile>"), Inputs = [new("path:id", "UploadUsageFile", "/id")] },
        ["DownloadUsageFileAck"] = new() { Route = Id("<id from GetUsageFile>"), Inputs = [new("path:id", "GetUsageFile", "/id")] },
    };

    private static Dictionary<string, string> Id(string id) => new() { ["id"] = id };

    private static Dictionary<string, string> Instance(string serial) =>
        new() { ["domain"] = "example.com", ["va"] = "DEFAULT", ["udi"] = $"PID:C9800-CL-K9,SN:{serial}" };

    private static readonly IReadOnlyDictionary<int, string> Problems = new Dictionary<int, string>
    {
        [400] = """{"type": "https://httpstatuses.io/400", "title": "Bad Request", "status": 400, "detail": "Invalid request", "errors": {"field": ["what is wrong"]}}""",
        [401] = """{"type": "https://httpstatuses.io/401", "title": "Unauthorized", "status": 401, "detail": "this simulator requires the X-CssmSim-Key header"}""",
        [404] = """{"type": "https://httpstatuses.io/404", "title": "Not Found", "status": 404, "detail": "no such object"}""",
    };

    /// <summary>The control API's document (<c>/_sim/openapi.json</c>): the key scheme, the examples, problem+json errors.</summary>
    public static readonly DocumentDefinition Document = new("v1", ControlApi.GroupName, "CssmSim control API",
        "Set up, inspect, fault and reset the CSSM simulator. Send X-CssmSim-Key when a key is configured.",
        Examples.ToDictionary(kv => kv.Key, kv => kv.Value), Problems, DocSecurity.ControlKey);

    /// <summary>Adds the security scheme and the examples to <c>/_sim/openapi.json</c>.</summary>
    public static void Configure(OpenApiOptions o) => OperationDocs.Configure(o, Document);
}
