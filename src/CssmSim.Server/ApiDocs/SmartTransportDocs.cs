using System.Text.Json.Nodes;
using CssmSim.Engine.Usage;

namespace CssmSim.Server.ApiDocs;

/// <summary>
/// <c>POST /licservice/license</c> (smart-transport.md): one operation, one named example per message
/// type, each from the demo product instance <c>C9800-CL-K9 / DOCS-ST-1</c>, which the
/// TRUST_ESTABLISHMENT example trusts with a token the control API creates.
/// </summary>
public static class SmartTransportDocs
{
    public const string Pid = "C9800-CL-K9";
    public const string Serial = "DOCS-ST-1";
    private const string EnforcedTag = "regid.2020-01.com.cisco.CSSMSIM_ENFORCED_DEMO,1.0_00000000-0000-4000-8000-000000000001";
    private const string NwStackTag = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    private const string Trust = "SmartTransport#TRUST_ESTABLISHMENT";

    /// <summary>A RUM report of two DNA_NWStack licenses over one day, signed with an all-zero key (signatures are checked only with Rum:StrictSignatures).</summary>
    private static (string Payload, JsonObject Signature) Report(string serial, ulong id, string metricName = "ENTITLEMENT")
    {
        var builder = new RumReportBuilder(new RumUdi(Pid, serial), NwStackTag, id) { MetricName = metricName };
        var end = new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero);
        builder.AddMeasurement(2, end.AddDays(-1), end);
        var signed = builder.BuildSigned(new byte[32]);
        return (signed.PayloadJson, new JsonObject
        {
            ["sudi"] = new JsonObject { ["udi_pid"] = Pid, ["udi_serial_number"] = serial },
            ["signing_type"] = signed.Signature.SigningType,
            ["key"] = signed.Signature.Key,
            ["value"] = signed.Signature.Value,
        });
    }

    private static string Reports(string serial, ulong id, string metricName = "ENTITLEMENT")
    {
        var (payload, signature) = Report(serial, id, metricName);
        return new JsonArray(new JsonObject { ["payload"] = payload, ["signature"] = signature }).ToJsonString();
    }

    /// <summary>The SLP reportusage body of the CSSM API document: a report of DOCS-SLP-1 with a trust request.</summary>
    public static string SlpReportBody => $$$"""
        {"data": {"timestamp": 1700000000000, "nonce": "docs-nonce-0002", "reports": [{"sudi": {"udi_pid": "{{{Pid}}}", "udi_serial_number": "DOCS-SLP-1"}, "usage": {{{Reports("DOCS-SLP-1", 1)}}}}]}}
        """;

    /// <summary>A usage file (what <c>license smart save usage</c> writes) with one report of C9800-CL-K9 / DOCS-UF-1.</summary>
    public static string UsageFile
    {
        get
        {
            var builder = new RumReportBuilder(new RumUdi(Pid, "DOCS-UF-1"), NwStackTag, 1);
            var end = new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero);
            builder.AddMeasurement(2, end.AddDays(-1), end);
            return new RumFileWriter().AddReport(builder.BuildSigned(new byte[32])).ToXml();
        }
    }

    // Protocol version 1.3 and the agent capabilities a current IOS XE agent lists (smart-transport.md §What real devices record).
    private static string Message(string type, string data, string version = "1.3") => $$"""
        {"header": {"version": "{{version}}", "type": "{{type}}", "message_id": "00000000-0000-4000-8000-00000000d0c5", "timestamp": 1700000000000, "nonce": "docsnonce0000001"}, "sudi": {"udi_pid": "{{Pid}}", "udi_serial_number": "{{Serial}}"}, "hostname": "wlc-docs", "agent_capabilities": ["OK_TRY_AGAIN"], "data": {{data}}}
        """;

    public static readonly DocumentDefinition Document = new(DocumentNames.SmartTransport, DocumentNames.SmartTransport, "Smart transport (simulated)",
        "`POST /licservice/license`: the endpoint a product instance configured with `license smart transport smart` talks to (smart-transport.md). "
        + "No bearer token. Pick a message type in the example list; run TRUST_ESTABLISHMENT first (it needs a token from the control API's SimCreateToken). "
        + "Business failures are HTTP 200 with `\"status\":\"FAILED\"` and `error.code`; a message that does not parse is HTTP 400 INVALID_MESSAGE.",
        new Dictionary<string, OperationDoc>
        {
            ["SmartTransport"] = new()
            {
                Description = "Reply: `{header, connect_info, status: COMPLETE | OK_POLL | OK_TRY_AGAIN | FAILED, poll_id?, poll_interval?, error?: {code, message}, data?}`. "
                    + "A device may name itself by `product_instance_identifier` (its PIID) instead of `sudi` once trusted. "
                    + "File-valued fields (smart_license, policy, ack) carry the file text.",
                Examples = new Dictionary<string, NamedExample>
                {
                    ["HELLO"] = new("HELLO: reachability check", Message("HELLO", "{}")),
                    ["TRUST_ESTABLISHMENT"] = new("TRUST_ESTABLISHMENT: trust with an ID token (force replaces an earlier trust)",
                        Message("TRUST_ESTABLISHMENT", """{"id_token": "<token from SimCreateToken>", "scope": "local", "force": true}"""),
                        [new("body:/data/id_token", "SimCreateToken", "/token")]),
                    ["TRUST_SYNC"] = new("TRUST_SYNC: the account the device is in, and trust for HA members that lack it",
                        Message("TRUST_SYNC", """{"ha_udis": [], "hostname": "wlc-docs"}"""), [new(null, Trust)]),
                    ["TRUST_ACKNOWLEDGEMENT"] = new("TRUST_ACKNOWLEDGEMENT: the device installed its trust code",
                        Message("TRUST_ACKNOWLEDGEMENT", """{"trust_code_id": "<trust_code_id inside the trust code file>"}"""),
                        [new("body:/data/trust_code_id", Trust, "/data/trust_codes/0/smart_license", "<data>([^<]+)</data>", "/trust_code_id")]),
                    ["USAGE_REPORTING"] = new("USAGE_REPORTING: RUM reports (answered OK_POLL; the ACK comes on RESULT_POLLING)",
                        Message("USAGE_REPORTING", $$"""{"reports": {{Reports(Serial, 1)}}}"""), [new(null, Trust)]),
                    ["TELEMETRY_REPORTING"] = new("TELEMETRY_REPORTING: RUM reports with metric_name TELEMETRY (stored and acknowledged, never counted as license use)",
                        Message("TELEMETRY_REPORTING", $$"""{"reports": {{Reports(Serial, 2, "TELEMETRY")}}}"""), [new(null, Trust)]),
                    ["RESULT_POLLING"] = new("RESULT_POLLING: the result of a job answered OK_POLL (a usage report's ACK, on the first poll by default)",
                        Message("RESULT_POLLING", """{"poll_id": "<poll_id from USAGE_REPORTING>"}"""),
                        [new("body:/data/poll_id", "SmartTransport#USAGE_REPORTING", "/poll_id")]),
                    ["AUTHORIZATION_REQUEST"] = new("AUTHORIZATION_REQUEST: a SLAC for the enforced demo license",
                        Message("AUTHORIZATION_REQUEST", $$"""{"entitlements": [{"tag": "{{EnforcedTag}}", "count": 1}], "scope": "local", "mode": "replace"}"""),
                        [new(null, Trust)]),
                    ["AUTHORIZATION_CONFIRMATION"] = new("AUTHORIZATION_CONFIRMATION: the code the device computes after installing its SLAC",
                        Message("AUTHORIZATION_CONFIRMATION", """{"confirmation_code": "<the device's confirmation code>"}"""),
                        [new(null, "SmartTransport#AUTHORIZATION_REQUEST")], ExpectedError: "INVALID_MESSAGE"),
                    ["AUTHORIZATION_RETURN"] = new("AUTHORIZATION_RETURN: licenses back to the pool (by entitlement, or {\"return_code\"})",
                        Message("AUTHORIZATION_RETURN", $$"""{"entitlements": [{"tag": "{{EnforcedTag}}", "count": 1}]}"""),
                        [new(null, "SmartTransport#AUTHORIZATION_REQUEST")]),
                },
                Response = """
                    {"header": {"version": "1.3", "type": "TRUST_ESTABLISHMENT", "message_id": "00000000-0000-4000-8000-00000000d0c5", "correlation_id": "…", "timestamp": 1700000000000}, "connect_info": {"name": "SSM", "version": "1.3", "additional": "", "prod": true, "capabilities": ["…"]}, "status": "COMPLETE", "data": {"trust_codes": [{"sudi": {"udi_pid": "C9800-CL-K9", "udi_serial_number": "DOCS-ST-1"}, "smart_license": "<smartLicense><smartLicenseTrustCode>…</smartLicenseTrustCode></smartLicense>"}], "policy": "<smartLicense>…</smartLicense>", "smart_account": {"id": "123456", "domain": "example.com", "name": "Example Co"}, "virtual_account": {"id": "234567", "name": "DEFAULT"}}}
                    """,
            },
        },
        new Dictionary<int, string>
        {
            [400] = """{"header": null, "status": "FAILED", "error": {"code": "INVALID_MESSAGE", "message": "header.type is required"}}""",
            [413] = """{"header": null, "status": "FAILED", "error": {"code": "INVALID_MESSAGE", "message": "the body is over the size limit"}}""",
            [415] = """{"header": null, "status": "FAILED", "error": {"code": "INVALID_MESSAGE", "message": "content type 'text/plain' is not supported; send application/json"}}""",
        },
        DocSecurity.None);

}
