namespace CssmSim.Server.ApiDocs;

/// <summary>The OpenAPI documents besides the control API's, by the group name their routes carry.</summary>
public static class DocumentNames
{
    public const string OAuth = "oauth";
    public const string CssmApi = "cssm-api";
    public const string SoftwareApis = "software-apis";
    public const string SmartTransport = "smart-transport";

    /// <summary>Where each document is served: <c>/_sim/openapi/{name}.json</c> (the control API's stays at <c>/_sim/openapi.json</c>).</summary>
    public static string Url(string name) => $"/_sim/openapi/{name}.json";
}

/// <summary>The simulated surfaces' documents, in Swagger UI's order.</summary>
public static class ApiDocuments
{
    public static IReadOnlyList<DocumentDefinition> Simulated =>
        [CssmApiDocs.OAuth, CssmApiDocs.Api, SoftwareApiDocs.Document, SmartTransportDocs.Document];
}

/// <summary>
/// The OAuth2 token endpoints and the CSSM REST API under <c>/services/api/smart-accounts-and-licensing</c>
/// (cssm-api.md), SLP included: examples that succeed against the demo seed, with the family's answers.
/// </summary>
public static class CssmApiDocs
{
    private const string Demo = "example.com";
    private static readonly Dictionary<string, string> DemoAccount = new() { ["domain"] = Demo };
    private static readonly Dictionary<string, string> DemoVa = new() { ["domain"] = Demo, ["va"] = "DEFAULT" };
    private static readonly Dictionary<string, string> CswHeaders = new()
    {
        ["X-CSW-SMART-ACCOUNT-ID"] = "123456",
        ["X-CSW-VIRTUAL-ACCOUNT-ID"] = "234567",
        ["X-CSW-REQUESTING-SYSTEM"] = """{"display_name":"Swagger UI"}""",
    };
    private static readonly Dictionary<string, string> SlpHeaders = new()
    {
        ["X-CSW-SMART-ACCOUNT-ID"] = "123456",
        ["X-CSW-VIRTUAL-ACCOUNT-ID"] = "234567",
        ["X-CSW-REQUESTING-SYSTEM"] = """{"udi_pid":"C9800-CL-K9","udi_serial_number":"DOCS-SLP-1"}""",
    };

    private const string EnforcedTag = "regid.2020-01.com.cisco.CSSMSIM_ENFORCED_DEMO,1.0_00000000-0000-4000-8000-000000000001";
    private const string HsecTag = "regid.2019-03.com.cisco.DNA_HSEC,1.0_509c41ab-05a8-431f-95fe-ec28086e8844";

    private const string OAuthError = """{"error": "invalid_client", "error_description": "client authentication failed: unknown client_id or wrong client_secret"}""";
    private const string BearerError = """{"error": "invalid_token", "error_description": "missing bearer token: send Authorization: Bearer <access_token> from /as/token.oauth2"}""";
    private const string V1Error = """{"status": "ERROR", "statusMessage": "Smart Account 'unknown.example' not found"}""";
    private const string V2Error = """{"status": "FAILED", "message_code": "INVALID_REQUEST", "message": "the body must be {\"data\":{\"timestamp\",\"nonce\",\"tags\":[]}}"}""";
    private const string SlpError = """{"status": "FAILED", "message": "the body must be {\"data\":{...}}"}""";

    private static readonly Dictionary<int, string> V1Errors = new() { [400] = V1Error, [401] = BearerError, [403] = V1Error, [404] = V1Error };
    private static readonly Dictionary<int, string> V2Errors = new() { [400] = V2Error, [401] = BearerError, [403] = V2Error, [404] = V2Error };
    private static readonly Dictionary<int, string> SlpErrors = new() { [400] = SlpError, [401] = BearerError, [403] = SlpError };

    private const string TokenResponse = """{"access_token": "cssmsim-at-...", "token_type": "Bearer", "expires_in": 3599}""";
    private const string TokenForm = """{"grant_type": "client_credentials", "client_id": "cssmsim", "client_secret": "cssmsim"}""";

    public static readonly DocumentDefinition OAuth = new(DocumentNames.OAuth, DocumentNames.OAuth, "CSSM OAuth2 (simulated)",
        "The token endpoints of cloudsso.cisco.com and id.cisco.com, and the authorization-code grant (cssm-api.md §OAuth2, software-apis.md). "
        + "Grants: client_credentials (demo client cssmsim / cssmsim), password (user cssmsim-user / cssmsim) and authorization_code. "
        + "Credentials may also come as HTTP Basic or as query parameters on an empty POST.",
        new Dictionary<string, OperationDoc>
        {
            ["OAuthTokenCloudSso"] = new()
            {
                Description = "Issues an access token for the CSSM API and the Software APIs: `Authorization: Bearer <access_token>`.",
                Body = TokenForm, ContentType = "application/x-www-form-urlencoded", Response = TokenResponse,
            },
            ["OAuthTokenIdCisco"] = new()
            {
                Description = "The id.cisco.com path of the same token endpoint (the Smart Licensing MCP server uses it).",
                Body = """{"grant_type": "password", "client_id": "cssmsim", "client_secret": "cssmsim", "username": "cssmsim-user", "password": "cssmsim"}""",
                ContentType = "application/x-www-form-urlencoded", Response = TokenResponse,
            },
            ["OAuthAuthorize"] = new()
            {
                Description = "Step 1 of the authorization-code grant in a browser: the sign-in page.",
                Query = new Dictionary<string, string>
                {
                    ["response_type"] = "code", ["client_id"] = "cssmsim", ["redirect_uri"] = "http://127.0.0.1:5000/callback",
                    ["scope"] = "openid profile email", ["state"] = "docs",
                },
                Response = "<!doctype html><html>… sign-in form …</html>", ResponseContentType = "text/html",
                Errors = new Dictionary<int, string> { [400] = """{"error": "invalid_request", "error_description": "redirect_uri must be an absolute http(s) URL"}""" },
            },
            ["OAuthAuthorizeSignIn"] = new()
            {
                Description = "The sign-in form's post: 302 to `redirect_uri?code=…&state=…` (a browser follows it; exchange the code at /as/token.oauth2 with grant_type=authorization_code).",
                Body = """{"response_type": "code", "client_id": "cssmsim", "redirect_uri": "http://127.0.0.1:5000/callback", "state": "docs", "username": "cssmsim-user", "password": "cssmsim"}""",
                ContentType = "application/x-www-form-urlencoded", Status = 302,
                Errors = new Dictionary<int, string> { [400] = """{"error": "invalid_request", "error_description": "unknown client_id"}""" },
            },
            ["OAuthUserInfo"] = new()
            {
                Description = "The signed-in user of a bearer token (a token of the password or authorization-code grant).",
                Inputs = [new("bearer", "OAuthTokenIdCisco", "/access_token")],
                Response = """{"sub": "cssmsim-user", "email": "cssmsim-user@example.com"}""",
                Errors = new Dictionary<int, string> { [401] = BearerError },
            },
        },
        new Dictionary<int, string> { [400] = """{"error": "invalid_request", "error_description": "grant_type is required"}""", [401] = OAuthError },
        DocSecurity.Bearer,
        Unsecured: new HashSet<string> { "OAuthTokenCloudSso", "OAuthTokenIdCisco", "OAuthAuthorize", "OAuthAuthorizeSignIn" });

    private const string ReserveResponse = """
        {"status": "SUCCESS", "statusMessage": "", "authorizationCodes": [{"reservationCode": "CB-ZC9800-CL-K9:DOCS-SLR-1-AbCdEfGhI-3F", "authorizationCode": "<specificPLR>…</specificPLR>", "status": "SUCCESS", "statusMessage": ""}]}
        """;

    public static readonly DocumentDefinition Api = new(DocumentNames.CssmApi, DocumentNames.CssmApi, "CSSM REST API (simulated)",
        "Smart Accounts and Licensing API under /services/api/smart-accounts-and-licensing (cssm-api.md), with the SLP device APIs. "
        + "Authorize first: OAuth2 client credentials (client cssmsim, secret cssmsim), or paste an access_token from the OAuth document as Bearer.",
        new Dictionary<string, OperationDoc>
        {
            ["AccountsSearchV2"] = new()
            {
                Description = "Accounts and Virtual Accounts the client may see; ids are strings.",
                Response = """{"status": "COMPLETE", "message_code": "", "message": "", "accounts": [{"account_id": "123456", "domain": "example.com", "name": "Example Co", "virtual_accounts": [{"default": true, "name": "DEFAULT", "virtual_account_id": "234567"}]}]}""",
                Errors = V2Errors,
            },
            ["AccountsListV2"] = new()
            {
                Response = """{"status": "SUCCESS", "statusMessage": "", "accounts": [{"accountStatus": "Active", "accountDomain": "example.com", "accountName": "Example Co", "accountType": "CUSTOMER", "roles": [{"role": "Smart Account Administrator"}]}]}""",
            },
            ["AccountsSearchV1"] = new()
            {
                Description = "Substring match on domain; ids are numbers; limit is capped at 1000.",
                Query = new Dictionary<string, string> { ["domain"] = "example", ["type"] = "CUSTOMER", ["limit"] = "10", ["offset"] = "0" },
                Response = """{"totalRecords": 1, "accounts": [{"domain": "example.com", "name": "Example Co", "id": 123456, "type": "CUSTOMER", "status": "Active"}], "statusMessage": "", "status": "SUCCESS"}""",
            },
            ["VirtualAccountsV1"] = new()
            {
                Description = "`isDefault` is a string.",
                Route = DemoAccount,
                Response = """{"virtualAccounts": [{"isDefault": "true", "name": "DEFAULT", "description": "", "commerceAccessLevel": "FULL"}], "statusMessage": "", "status": "SUCCESS"}""",
            },
            ["TokensList"] = new()
            {
                Description = "Valid tokens first, newest first.",
                Route = DemoVa,
                Response = """{"status": "SUCCESS", "statusMessage": "", "tokens": [{"token": "ZGVm...%0A", "tokenId": "6f1c2a4e-0000-4000-8000-000000000001", "expirationDate": "2026-02-01T00:00:00Z", "description": "docs example", "createdBy": "cssmsim", "creationDate": "2026-01-02T00:00:00Z", "exportControlled": "Allowed", "maxUsesAllowed": 5, "usesCount": 0, "status": "VALID"}]}""",
            },
            ["TokensCreate"] = new()
            {
                Description = "`expiresAfterDays` 1–365 (default 30); `exportControlled` \"Allowed\" | \"Not Allowed\"; `maxUsesAllowed` null or absent for unlimited.",
                Route = DemoVa,
                Body = """{"description": "docs example", "expiresAfterDays": 30, "exportControlled": "Allowed", "maxUsesAllowed": 5}""",
                Response = """{"status": "SUCCESS", "statusMessage": "", "tokenInfo": {"token": "ZGVm...%0A", "tokenId": "6f1c2a4e-0000-4000-8000-000000000001", "description": "docs example", "expiresAfterDays": 30, "expirationDate": "2026-02-01T00:00:00Z", "exportControlled": "Allowed", "maxUsesAllowed": 5}}""",
            },
            ["TokensRevoke"] = new()
            {
                Description = "The token in any pasted form, or its tokenId.",
                Route = new Dictionary<string, string> { ["domain"] = Demo, ["va"] = "DEFAULT", ["token"] = "<tokenId from TokensCreate>" },
                Inputs = [new("path:token", "TokensCreate", "/tokenInfo/tokenId")],
                Response = """{"status": "SUCCESS", "statusMessage": ""}""",
            },
            ["DevicesList"] = new()
            {
                Description = "Product instances of some (or, with an empty list, all) Virtual Accounts.",
                Route = DemoAccount,
                Body = """{"virtualAccounts": ["DEFAULT"], "limit": 100, "offset": 0}""",
                Response = """{"status": "SUCCESS", "statusMessage": "", "totalRecords": 1, "devices": [{"hostName": "wlc-1", "displayName": "UDI_PID:C9800-CL-K9; UDI_SN:93BBAH93MGS; ", "sudi": {"udiPid": "C9800-CL-K9", "udiSerialNumber": "93BBAH93MGS", "udiVid": null, "uuid": "…", "macAddress": null, "suvi": null, "hostIdentifier": null}, "licenseUsage": [{"license": "AP Perpetual Networkstack Advantage", "quantity": 2}], "registrationDate": "2026-01-02T00:00:00Z", "lastContactDate": null, "productTagName": "C9800-CL-K9", "productDescription": "C9800-CL-K9", "virtualAccount": "DEFAULT", "productName": "C9800-CL-K9", "productType": "Standalone", "status": "In Compliance"}]}""",
            },
            ["LicensesList"] = new()
            {
                Route = DemoAccount,
                Body = """{"virtualAccounts": ["DEFAULT"], "limit": 100, "offset": 0}""",
                Response = """{"totalRecords": 1, "status": "SUCCESS", "statusMessage": "", "licenses": [{"license": "AP Perpetual Networkstack Advantage", "virtualAccount": "DEFAULT", "quantity": 100, "inUse": 0, "available": 100, "status": "In Compliance", "billingType": "PREPAID", "pendingQuantity": 0, "reserved": 0, "isPortable": false, "ahaApps": false, "licenseSubstitutions": [], "licenseDetails": [{"licenseType": "PERPETUAL", "quantity": 100, "startDate": null, "endDate": null, "subscriptionId": null, "status": "ACTIVE"}], "alerts": []}]}""",
            },
            ["LicensesTransfer"] = new()
            {
                Description = "At most 10 entries, quantity 1–998 each, to Virtual Accounts of the same Smart Account.",
                Route = DemoVa,
                Body = """{"licenses": [{"license": "AP Perpetual Networkstack Advantage", "licenseType": "PERPETUAL", "quantity": 1, "targetVirtualAccount": "Lab"}]}""",
                Response = """{"status": "SUCCESS", "statusMessage": ""}""",
            },
            ["LicensesSummaryV3"] = Summary(),
            ["LicensesSummaryV2"] = Summary(),
            ["ReserveLicensesv1"] = new()
            {
                Description = "SPECIFIC (SLR) or UNIVERSAL (PLR) reservations; the request code names the device (`<2>-Z<PID>:<serial>-<random>-<2>`). 400 with the same body when every entry failed.",
                Route = DemoVa,
                Body = $$"""{"reservationRequests": [{"reservationCode": "CB-ZC9800-CL-K9:DOCS-SLR-1-AbCdEfGhI-3F", "reservationType": "SPECIFIC", "licenses": [{"entitlementTag": "{{HsecTag}}", "quantity": 1, "precedence": "LONGEST_TERM_FIRST"}]}]}""",
                Response = ReserveResponse,
            },
            ["ReserveLicensesv2"] = new()
            {
                Description = "The v2 path of reserve-licenses.",
                Route = DemoVa,
                Body = """{"reservationRequests": [{"reservationCode": "CB-ZC9300-24P:DOCS-PLR-1-AbCdEfGhI-3F", "reservationType": "UNIVERSAL"}]}""",
                Response = ReserveResponse,
            },
            ["SlpAuthRequest"] = new()
            {
                Description = "Asks for SLACs (or, with `keys: []` and `remove_code`, returns them): 202 OK_POLL, then poll.",
                Headers = SlpHeaders,
                Body = $$$"""{"data": {"timestamp": 1700000000000, "nonce": "docs-nonce-0001", "licenses": [{"sudi": {"udi_pid": "C9800-CL-K9", "udi_serial_number": "DOCS-SLP-1"}, "hostname": "wlc-docs", "keys": [{"entitlement": "{{{EnforcedTag}}}", "count": "1"}]}]}}""",
                Status = 202,
                Response = """{"status":"OK_POLL","message_code":null,"message":null,"timestamp":1700000000000,"nonce":"docs-nonce-0001","type":null,"poll_id":123456789012345678,"poll_interval":300,"action":"authorizations"}""",
                Errors = SlpErrors,
            },
            ["SlpReportUsage"] = new()
            {
                Description = "RUM reports (the payload string is stored byte for byte): 202 OK_POLL with action acknowledgements, then poll.",
                Headers = SlpHeaders,
                Body = SmartTransportDocs.SlpReportBody,
                Status = 202,
                Response = """{"status":"OK_POLL","message_code":null,"message":null,"timestamp":1700000000000,"nonce":"docs-nonce-0002","type":null,"poll_id":123456789012345679,"poll_interval":300,"action":"acknowledgements"}""",
                Errors = SlpErrors,
            },
            ["SlpPoll"] = new()
            {
                Description = "Always 200: OK_POLL (still working; a non-empty message_code is a failure) or COMPLETE with the result.",
                Headers = SlpHeaders,
                Body = """{"data": {"timestamp": 1700000000000, "nonce": "docs-nonce-0003", "poll_id": "<poll_id from SlpAuthRequest>", "action": "authorizations"}}""",
                Inputs = [new("body:/data/poll_id", "SlpAuthRequest", "/poll_id")],
                Response = """{"status": "COMPLETE", "message_code": "", "message": "", "timestamp": 1700000000000, "nonce": "docs-nonce-0003", "type": "authorizations", "correlation_id": "…", "data": {"authorizations": [{"product_instance_identifier": "…", "sudi": {"udi_pid": "C9800-CL-K9", "udi_serial_number": "DOCS-SLP-1"}, "smart_license": "<base64 of the SLAC file>", "auth_status": [], "error_code": null, "status": "SUCCESS", "status_message": null, "correlation_id": "…"}]}}""",
                Errors = SlpErrors,
            },
        },
        V1Errors,
        DocSecurity.Bearer);

    private static OperationDoc Summary() => new()
    {
        Description = "The X-CSW headers select the Virtual Account; empty `tags` means every license.",
        Headers = CswHeaders,
        Body = """{"data": {"timestamp": 1700000000000, "nonce": "AbCdEfGhIjKlMnOpQrStUvWx", "tags": []}}""",
        Response = """{"status": "SUCCESS", "message_code": null, "message": "Retrieved summary for 1 licenses in the pool.", "timestamp": 1700000000000, "nonce": "AbCdEfGhIjKlMnOpQrStUvWx", "out_standing_reports": 0, "summary": [{"tag": "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896", "compliance_status": "In Compliance", "display_name": "AP Perpetual Networkstack Advantage", "enforced": false, "export_restricted": false, "entitled": 100, "future_entitled": 0, "inuse": 0, "reserved": 0, "prepaid_entitled": 100, "prepaid_inuse": 0, "prepaid_reserved": 0, "license_details": [{"billing_type": "PREPAID", "quantity": 100, "postpaid_usage": 0, "start_date": null, "end_date": null, "subscription_id": null, "status": "ACTIVE", "billing_model": null, "license_type": "PERPETUAL"}]}]}""",
        Errors = V2Errors,
    };
}
