namespace CssmSim.Server.ApiDocs;

/// <summary>
/// Cisco's Software APIs under <c>/v1/software/apis</c> and the Enterprise Agreements paths
/// (software-apis.md, shapes from Cisco's Software APIs OpenAPI 1.0.2), with each endpoint's own error schema.
/// </summary>
public static class SoftwareApiDocs
{
    private const string Demo = "example.com";
    private const string HsecTag = "regid.2019-03.com.cisco.DNA_HSEC,1.0_509c41ab-05a8-431f-95fe-ec28086e8844";
    private const string BearerError = """{"error": "invalid_token", "error_description": "missing bearer token: send Authorization: Bearer <access_token> from /as/token.oauth2"}""";

    private const string ErrorResponse = """{"status": "ERROR", "statusMessage": "Missing required input parameters"}""";
    private const string ErrorResponseV1 = """{"status": "FAILED", "messageCode": "CSW-SMARTACC-ERR-0003", "message": "User id is either blank or not provided", "data": null}""";
    private const string ErrorResponseV2 = """{"status": "FAILED", "message_code": "NO_DATA_FOUND", "message": "no product instance matches"}""";
    private const string ErrorResponseV3 = """{"status": "FAILED", "message_code": "INVALID_REQUEST", "message": "X-CSW-SMART-ACCOUNT-ID is required", "localized_message": "X-CSW-SMART-ACCOUNT-ID is required"}""";
    private const string PnpError = """{"status": "FAILED", "statusMessage": "User or Account is not authorized.", "message": "User or Account is not authorized.", "messageCode": "DMS-ERR-136"}""";
    private const string EaError = """{"code": "NOT_FOUND", "message": "No EA subscriptions found for the Smart Account", "severity": "ERROR"}""";

    private static Dictionary<int, string> Errors(string body, params int[] statuses)
    {
        var errors = new Dictionary<int, string> { [401] = BearerError };
        foreach (var s in statuses) errors[s] = body;
        return errors;
    }

    private static readonly Dictionary<string, string> Requesting = new() { ["X-CSW-REQUESTING-SYSTEM"] = """{"display_name":"Swagger UI"}""" };

    private const string ReserveResponse = """
        {"status": "SUCCESS", "statusMessage": "", "authorizationCodes": [{"reservationCode": "CB-ZC9300-24P:DOCS-PLR-2-AbCdEfGhI-3F", "authorizationCode": "AB12CD-…", "status": "SUCCESS", "statusMessage": "", "sudi": {"suvi": null, "uuid": null, "hostIdentifier": null, "udiPid": "C9300-24P", "udiSerialNumber": "DOCS-PLR-2", "udiVid": null, "macAddress": null}, "productInstance": "UDI_PID:C9300-24P; UDI_SN:DOCS-PLR-2", "licenses": [], "productTagName": "C9300-24P", "productType": null}]}
        """;

    public static readonly DocumentDefinition Document = new(DocumentNames.SoftwareApis, DocumentNames.SoftwareApis, "Cisco Software APIs (simulated)",
        "The apx.cisco.com Software APIs CssmSim simulates (software-apis.md), under /v1/software/apis, and the Enterprise Agreements consumption paths. "
        + "Authorize first: OAuth2 client credentials (client cssmsim, secret cssmsim), or paste an access_token as Bearer. "
        + "Every other /v1/software/apis operation answers 501 not simulated.",
        new Dictionary<string, OperationDoc>
        {
            ["SoftwareSearchSmartAccounts"] = new()
            {
                Description = "A seeded user's Smart Accounts (accountId a number; Cisco's own spelling addRoleDipslayName).",
                Query = new Dictionary<string, string> { ["userId"] = "cssmsim-user", ["addVirtualAccounts"] = "true", ["addRoleDipslayName"] = "true" },
                Response = """{"status": "SUCCESS", "accounts": [{"accountId": 123456, "accountName": "Example Co", "accountDomain": "example.com", "accountType": "CUSTOMER", "roles": [{"role": "Smart Account Administrator", "virtualAccountName": null}]}]}""",
                Errors = Errors(ErrorResponseV1, 400, 422),
            },
            ["SoftwarePnpAccounts"] = new()
            {
                Description = "Smart Accounts, paged (accountIdentifier a string).",
                Query = new Dictionary<string, string> { ["startIdx"] = "0", ["rowsPerPage"] = "100" },
                Response = """{"status": "COMPLETE", "message": "SUCCESS", "messageCode": "DMS-SUCCESS", "totalRows": 1, "pageSize": 1, "startIdx": 0, "data": [{"companyName": "Example Co", "domainIdentifier": "example.com", "accountIdentifier": "123456"}]}""",
                Errors = Errors(PnpError, 400, 422),
            },
            ["SoftwarePnpVirtualAccounts"] = new()
            {
                Description = "Virtual Accounts (virtualAccountId a number, default the string \"true\"/\"false\").",
                Route = new Dictionary<string, string> { ["domain"] = Demo },
                Query = new Dictionary<string, string> { ["startIdx"] = "0", ["rowsPerPage"] = "50" },
                Response = """{"status": "COMPLETE", "message": "SUCCESS", "messageCode": "DMS-SUCCESS", "totalRows": 2, "pageSize": 2, "startIdx": 0, "data": [{"virtualAccountName": "DEFAULT", "virtualAccountId": 234567, "networkId": null, "organizationname": null, "default": "true"}]}""",
                Errors = Errors(PnpError, 400, 422),
            },
            ["SoftwareDevices"] = new()
            {
                Description = "Product instances of a Virtual Account; instanceName filters by display name or hostname.",
                Route = new Dictionary<string, string> { ["domain"] = Demo },
                Query = new Dictionary<string, string> { ["virtualAccountName"] = "DEFAULT", ["limit"] = "50", ["offset"] = "0" },
                Response = """{"status": "SUCCESS", "statusMessage": "", "totalRecords": 1, "devices": [{"instanceName": "UDI_PID:C9300-24P; UDI_SN:DOCS-PLR-2; ", "productTagName": "C9300-24P", "sudi": {"suvi": null, "uuid": null, "hostIdentifier": null, "udiPid": "C9300-24P", "udiSerialNumber": "DOCS-PLR-2", "udiVid": null, "macAddress": null}}]}""",
                Errors = Errors(ErrorResponse, 400, 403, 404),
            },
            ["SoftwareDeviceSearch"] = new()
            {
                Description = "A product instance by UDI in every account the client may see (ids strings, default a boolean); no match is 400 NO_DATA_FOUND.",
                Query = new Dictionary<string, string> { ["udi_serial_number"] = "DOCS-PLR-2" },
                Headers = Requesting,
                Inputs = [new(null, "SoftwareReservev2")],
                Response = """{"status": "COMPLETE", "message_code": "DMS-SUCCESS", "message": "SUCCESS", "timestamp": 1700000000000, "data": [{"sudi": {"suvi": null, "uuid": null, "hostIdentifier": null, "udiPid": "C9300-24P", "udiSerialNumber": "DOCS-PLR-2", "udiVid": null, "macAddress": null}, "software_tag": null, "last_contact_date": null, "account": {"name": "Example Co", "domain": "example.com", "account_id": "123456", "virtual_account_name": "DEFAULT", "virtual_account_id": "234567", "default": true}, "licenses": []}]}""",
                Errors = Errors(ErrorResponseV2, 400),
            },
            ["SoftwareDevicesRemove"] = new()
            {
                Description = "Returns a reservation by the device's return code (Cisco's misspelt productInstacesRemoveRequests is accepted too). "
                    + "The return code is one the device computes when it removes its reservation; as written this example gets the documented per-entry FAILURE.",
                Route = new Dictionary<string, string> { ["domain"] = Demo },
                Query = new Dictionary<string, string> { ["virtualAccountName"] = "DEFAULT" },
                Body = """{"productInstancesRemoveRequests": [{"sudi": {"udiPid": "C9300-24P", "udiSerialNumber": "DOCS-PLR-2"}, "productTagName": "C9300-24P", "returnCode": "<the device's return code>"}]}""",
                Inputs = [new(null, "SoftwareReservev2")],
                ExpectedError = "FAILURE",
                Response = """{"status": "SUCCESS", "statusMessage": "1 Product Instance  removed successfully.", "removeProductInstancesStatus": [{"status": "SUCCESS", "statusMessage": "The Product Instance C9300-24P was successfully removed", "device": "udiPid:C9300-24P udiSerialNumber:DOCS-PLR-2 hostIdentifier: "}]}""",
                Errors = Errors(ErrorResponse, 400, 403, 404),
            },
            ["SoftwareGetSummary"] = new()
            {
                Description = "License summary of the Virtual Account the headers name (inuse counts reservations; the nonce is echoed).",
                Headers = new Dictionary<string, string>
                {
                    ["X-CSW-REQUESTING-SYSTEM"] = """{"display_name":"Swagger UI"}""",
                    ["X-CSW-SMART-ACCOUNT-ID"] = "123456",
                    ["X-CSW-VIRTUAL-ACCOUNT-ID"] = "234567",
                },
                Body = """{"data": {"timestamp": 1700000000000, "nonce": "AbCdEfGhIjKlMnOpQrStUvWx", "tags": []}}""",
                Response = """{"status": "SUCCESS", "message_code": null, "message": "Retrieved summary for 1 licenses in the pool.", "timestamp": 1700000000000, "nonce": "AbCdEfGhIjKlMnOpQrStUvWx", "out_standing_reports": 0, "summary": [{"tag": "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896", "entitled": 100, "future_entitled": 0, "inuse": 0, "reserved": 0, "compliance_status": "In Compliance", "display_name": "AP Perpetual Networkstack Advantage", "enforced": false, "export_restricted": false, "license_details": [{"quantity": 100, "start_date": null, "end_date": null, "subscription_id": null, "license_type": "PERPETUAL"}]}]}""",
                Errors = Errors(ErrorResponseV3, 400, 403, 422),
            },
            ["SoftwareReservev2"] = new()
            {
                Description = "A universal (PLR) reservation; the request code names the device (`<2>-Z<PID>:<serial>-<random>-<2>`).",
                Route = new Dictionary<string, string> { ["domain"] = Demo, ["va"] = "DEFAULT" },
                Body = """{"reservationRequests": [{"reservationCode": "CB-ZC9300-24P:DOCS-PLR-2-AbCdEfGhI-3F", "reservationType": "UNIVERSAL"}]}""",
                Response = ReserveResponse,
                Errors = Errors(ErrorResponse, 400, 403, 404),
            },
            ["SoftwareReservev1"] = new()
            {
                Description = "The v1 path, here a specific (SLR) reservation.",
                Route = new Dictionary<string, string> { ["domain"] = Demo, ["va"] = "DEFAULT" },
                Body = $$"""{"reservationRequests": [{"reservationCode": "CB-ZC9800-CL-K9:DOCS-SLR-3-AbCdEfGhI-3F", "reservationType": "SPECIFIC", "licenses": [{"entitlementTag": "{{HsecTag}}", "quantity": 1, "precedence": "LONGEST_TERM_FIRST"}]}]}""",
                Response = ReserveResponse,
                Errors = Errors(ErrorResponse, 400, 403, 404),
            },
            ["SoftwareAccountPolicy"] = new()
            {
                Description = "The Smart Account's policy: base64 of its signed <smartLicensePolicy>.",
                Headers = new Dictionary<string, string> { ["X-CSW-SMART-ACCOUNT-ID"] = "123456" },
                Response = """{"status": "COMPLETE", "message_code": null, "message": null, "timestamp": 1700000000000, "policy": "PHNtYXJ0TGljZW5zZVBvbGljeT4…", "correlation_id": "…", "errors": []}""",
                Errors = Errors(ErrorResponseV2, 400, 403),
            },
            ["SoftwareSearchSlrDetails"] = new()
            {
                Description = "Reservable entitlements per software tag (seed slrCatalog); an unknown tag has no entitlements.",
                Body = """{"softwareTags": ["regid.2018-05.com.cisco.WLC_9500C,1.0_85665885-b865-4e32-8184-5510412fcb54"]}""",
                Response = $$"""{"status": "SUCCESS", "status_message": "Fetched software tags", "data": [{"softwareTag": "regid.2018-05.com.cisco.WLC_9500C,1.0_85665885-b865-4e32-8184-5510412fcb54", "entitlements": [{"type": "SPECIFIC", "entitlementTag": "{{HsecTag}}", "Export": "True", "UDI_PID": "C9800-CL-K9"}]}]}""",
                Errors = Errors(ErrorResponse, 400),
            },
            ["EaConsumption"] = Ea("EA consumption of a Smart Account.", new Dictionary<string, string> { ["domain"] = Demo }),
            ["EaSubscriptionConsumption"] = Ea("EA consumption of one subscription.", new Dictionary<string, string> { ["domain"] = Demo, ["subscriptionId"] = "Sub1234" }),
            ["EaSubscriptionConsumptionLegacy"] = Ea("The swapi.cisco.com path of the same report (Go smartaccounts client).",
                new Dictionary<string, string> { ["domain"] = Demo, ["subscriptionId"] = "Sub1234" }),
        },
        Errors(ErrorResponse, 400),
        DocSecurity.Bearer);

    /// <summary>CssmSim holds no Enterprise Agreement subscriptions: the documented answer is 400 {code, message, severity}.</summary>
    private static OperationDoc Ea(string description, Dictionary<string, string> route) => new()
    {
        Description = description + " CssmSim holds no EA subscriptions, so the answer is the documented 400 {code, message, severity}.",
        Route = route,
        Status = 400,
        Response = EaError,
        ExpectedError = "400",
        Errors = new Dictionary<int, string> { [401] = BearerError, [403] = EaError, [404] = EaError },
    };
}
