using System.Net;
using CssmSim.Server.Tests.Support;
using System.Text.Json;
using static CssmSim.Server.Tests.SoftwareApis.SoftwareApiClient;

namespace CssmSim.Server.Tests.SoftwareApis;

/// <summary>software-apis.md §Accounts: search-smart-accounts and the pnp account lists.</summary>
public sealed class SoftwareAccountsApiTests
{
    [Fact]
    public async Task Search_smart_accounts_lists_the_users_accounts_with_a_numeric_id_and_display_roles()
    {
        await using var sim = await StartAsync();

        var (status, body) = await GetAsync(sim, "/accounts/v1/user/search-smart-accounts?userId=alice&addVirtualAccounts=true&addRoleDipslayName=true");

        status.ShouldBe(HttpStatusCode.OK);
        body.ShouldHaveExactKeys("status", "accounts");
        body["status"]!.GetValue<string>().ShouldBe("SUCCESS");
        var accounts = body["accounts"]!.AsArray();
        accounts.Select(a => a!["accountDomain"]!.GetValue<string>()).ShouldBe(["example.com", "other.test"]);
        var first = accounts[0]!.AsObject();
        first.ShouldHaveExactKeys("accountId", "accountName", "accountDomain", "accountType", "roles");
        first["accountId"].Kind().ShouldBe(JsonValueKind.Number);
        first["accountId"]!.GetValue<long>().ShouldBe(123456);
        first["accountName"]!.GetValue<string>().ShouldBe("Example Co");
        first["accountType"]!.GetValue<string>().ShouldBe("CUSTOMER");
        var role = first["roles"]!.AsArray().ShouldHaveSingleItem()!.AsObject();
        role.ShouldHaveExactKeys("role", "virtualAccountName");
        role["role"]!.GetValue<string>().ShouldBe("Smart Account Administrator");
        role["virtualAccountName"].ShouldBeJsonNull();
    }

    [Fact]
    public async Task Search_smart_accounts_gives_role_codes_without_display_names_and_filters_exactly()
    {
        await using var sim = await StartAsync();

        var (_, codes) = await GetAsync(sim, "/accounts/v1/user/search-smart-accounts?userId=alice&smartAccountDomain=other.test");
        var (_, holding) = await GetAsync(sim, "/accounts/v1/user/search-smart-accounts?userId=alice&accountType=HOLDING");
        var (_, unknown) = await GetAsync(sim, "/accounts/v1/user/search-smart-accounts?userId=nobody");

        var only = codes["accounts"]!.AsArray().ShouldHaveSingleItem()!;
        only["accountDomain"]!.GetValue<string>().ShouldBe("other.test");
        only["roles"]![0]!["role"]!.GetValue<string>().ShouldBe("AccountAdmin");
        holding["accounts"]!.AsArray().ShouldBeEmpty();
        unknown["accounts"]!.AsArray().ShouldBeEmpty();
    }

    [Fact]
    public async Task Search_smart_accounts_shows_only_accounts_the_calling_client_may_see()
    {
        await using var sim = await StartAsync();

        var (_, body) = await GetAsync(sim, "/accounts/v1/user/search-smart-accounts?userId=alice", await LimitedTokenAsync(sim));

        body["accounts"]!.AsArray().Select(a => a!["accountDomain"]!.GetValue<string>()).ShouldBe(["example.com"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("?userId=%20")]
    public async Task Search_smart_accounts_without_a_user_id_is_400_error_response_v1(string query)
    {
        await using var sim = await StartAsync();

        var (status, body) = await GetAsync(sim, "/accounts/v1/user/search-smart-accounts" + query);

        status.ShouldBe(HttpStatusCode.BadRequest);
        body.ShouldHaveExactKeys("status", "messageCode", "message", "data");
        body["status"]!.GetValue<string>().ShouldBe("FAILED");
        body["messageCode"]!.GetValue<string>().ShouldBe("CSW-SMARTACC-ERR-0003");
        body["message"]!.GetValue<string>().ShouldBe("User id is either blank or not provided");
        body["data"].ShouldBeJsonNull();
    }

    [Fact]
    public async Task Search_smart_accounts_with_an_unknown_account_type_is_422()
    {
        await using var sim = await StartAsync();

        var (status, body) = await GetAsync(sim, "/accounts/v1/user/search-smart-accounts?userId=alice&accountType=PARTNER");

        status.ShouldBe(HttpStatusCode.UnprocessableEntity);
        body.ShouldHaveExactKeys("status", "messageCode", "message", "data");
    }

    [Fact]
    public async Task Pnp_accounts_lists_visible_accounts_with_string_ids_and_a_row_count()
    {
        await using var sim = await StartAsync();

        var (status, body) = await GetAsync(sim, "/pnp/v2/accounts?startIdx=0&rowsPerPage=100");

        status.ShouldBe(HttpStatusCode.OK);
        body.ShouldHaveExactKeys("status", "message", "messageCode", "totalRows", "pageSize", "startIdx", "data");
        body["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        body["message"]!.GetValue<string>().ShouldBe("SUCCESS");
        body["messageCode"]!.GetValue<string>().ShouldBe("DMS-SUCCESS");
        body["totalRows"].ShouldBeCount().ShouldBe(2);
        body["pageSize"].ShouldBeCount().ShouldBe(2);
        body["startIdx"].ShouldBeCount().ShouldBe(0);
        var row = body["data"]![0]!.AsObject();
        row.ShouldHaveExactKeys("companyName", "domainIdentifier", "accountIdentifier");
        row["companyName"]!.GetValue<string>().ShouldBe("Example Co");
        row["domainIdentifier"]!.GetValue<string>().ShouldBe("example.com");
        row["accountIdentifier"].ShouldBeString();
        row["accountIdentifier"]!.GetValue<string>().ShouldBe("123456");
    }

    [Fact]
    public async Task Pnp_accounts_pages_by_start_index_and_filters_by_domain_and_scope()
    {
        await using var sim = await StartAsync();

        var (_, second) = await GetAsync(sim, "/pnp/v2/accounts?startIdx=1&rowsPerPage=1");
        var (_, filtered) = await GetAsync(sim, "/pnp/v2/accounts?accountDomain=OTHER.test");
        var (_, overlay) = await GetAsync(sim, "/pnp/v2/accounts?networkId=42");
        var (_, limited) = await GetAsync(sim, "/pnp/v2/accounts", await LimitedTokenAsync(sim));

        second["totalRows"]!.GetValue<long>().ShouldBe(2);
        second["pageSize"]!.GetValue<long>().ShouldBe(1);
        second["data"]![0]!["domainIdentifier"]!.GetValue<string>().ShouldBe("other.test");
        filtered["data"]!.AsArray().ShouldHaveSingleItem()!["accountIdentifier"]!.GetValue<string>().ShouldBe("777001");
        overlay["totalRows"]!.GetValue<long>().ShouldBe(0);
        limited["data"]!.AsArray().Select(a => a!["domainIdentifier"]!.GetValue<string>()).ShouldBe(["example.com"]);
    }

    [Theory]
    [InlineData("rowsPerPage=0")]
    [InlineData("startIdx=-1")]
    [InlineData("rowsPerPage=ten")]
    public async Task Pnp_accounts_refuses_bad_paging_with_400(string query)
    {
        await using var sim = await StartAsync();

        var (status, body) = await GetAsync(sim, "/pnp/v2/accounts?" + query);

        status.ShouldBe(HttpStatusCode.BadRequest);
        body.ShouldHaveExactKeys("status", "statusMessage", "message", "messageCode");
        body["status"]!.GetValue<string>().ShouldBe("ERROR");
    }

    [Fact]
    public async Task Pnp_virtual_accounts_have_numeric_ids_and_default_as_a_string()
    {
        await using var sim = await StartAsync();

        var (status, body) = await GetAsync(sim, "/pnp/v2/accounts/example.com/virtual-accounts?rowsPerPage=50&startIdx=0");

        status.ShouldBe(HttpStatusCode.OK);
        body.ShouldHaveExactKeys("status", "message", "messageCode", "totalRows", "pageSize", "startIdx", "data");
        body["totalRows"].ShouldBeCount().ShouldBe(2);
        var rows = body["data"]!.AsArray();
        var first = rows[0]!.AsObject();
        first.ShouldHaveExactKeys("virtualAccountName", "virtualAccountId", "networkId", "organizationname", "default");
        first["virtualAccountName"]!.GetValue<string>().ShouldBe("DEFAULT");
        first["virtualAccountId"].Kind().ShouldBe(JsonValueKind.Number);
        first["virtualAccountId"]!.GetValue<long>().ShouldBe(234567);
        first["networkId"].ShouldBeJsonNull();
        first["organizationname"].ShouldBeJsonNull();
        first["default"].ShouldBeString();
        first["default"]!.GetValue<string>().ShouldBe("true");
        rows[1]!["default"]!.GetValue<string>().ShouldBe("false");
    }

    [Theory]
    [InlineData("nowhere.test", false)]
    [InlineData("other.test", true)]
    public async Task Pnp_virtual_accounts_of_an_unknown_or_forbidden_account_are_422_not_authorized(string domain, bool limited)
    {
        await using var sim = await StartAsync();

        var (status, body) = await GetAsync(sim, $"/pnp/v2/accounts/{domain}/virtual-accounts", limited ? await LimitedTokenAsync(sim) : null);

        status.ShouldBe(HttpStatusCode.UnprocessableEntity);
        body.ShouldHaveExactKeys("status", "statusMessage", "message", "messageCode");
        body["status"]!.GetValue<string>().ShouldBe("FAILED");
        body["message"]!.GetValue<string>().ShouldBe("User or Account is not authorized.");
        body["messageCode"]!.GetValue<string>().ShouldBe("DMS-ERR-136");
    }

    [Theory]
    [InlineData("GET", "/accounts/v1/user/search-smart-accounts?userId=alice")]
    [InlineData("GET", "/pnp/v2/accounts")]
    [InlineData("GET", "/pnp/v2/accounts/example.com/virtual-accounts")]
    [InlineData("GET", "/licensing/v2/accounts/example.com/devices?virtualAccountName=DEFAULT")]
    [InlineData("GET", "/licensing/v2/device/search?udi_serial_number=FOC2FIDSLA1")]
    [InlineData("POST", "/licensing/v3/accounts/example.com/devices/remove?virtualAccountName=DEFAULT")]
    [InlineData("POST", "/licensing/v2/get-summary")]
    [InlineData("POST", "/licensing/v1/account/example.com/virtual-account/DEFAULT/licenses/reserve")]
    [InlineData("POST", "/licensing/v2/account/example.com/virtual-account/DEFAULT/licenses/reserve")]
    [InlineData("GET", "/licensing/v2/account-policy")]
    [InlineData("POST", "/licensing/v1/search-slr-details")]
    [InlineData("GET", "/ea/v1/subscription/account/example.com/consumption")]
    [InlineData("GET", "/ea/v1/subscription/account/example.com/subscription/S1/consumption")]
    public async Task Every_software_api_needs_a_bearer_token(string method, string path)
    {
        await using var sim = await StartAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), Prefix + path);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "cssmsim.not-a-token");

        using var response = await sim.Http.SendAsync(request, TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var body = await TestSimulator.ReadJsonAsync(response);
        body.ShouldHaveExactKeys("error", "error_description");
        body["error"]!.GetValue<string>().ShouldBe("invalid_token");
    }

    [Fact]
    public async Task A_percent_encoded_virtual_account_name_with_a_slash_reaches_its_virtual_account()
    {
        await using var sim = await StartAsync();
        await sim.MergeSeedAsync("""
            accounts: [{domain: example.com, virtualAccounts: [{name: "Lab/West & Co", licenses: [{tag: "regid.2019-03.com.cisco.DNA_HSEC,1.0_509c41ab-05a8-431f-95fe-ec28086e8844", enforcement: export-controlled, quantity: 1}]}]}]
            """);

        var (status, body) = await PostAsync(sim, $"/licensing/v2/account/example.com/virtual-account/{Uri.EscapeDataString("Lab/West & Co")}/licenses/reserve",
            new System.Text.Json.Nodes.JsonObject
            {
                ["reservationRequests"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject
                {
                    ["reservationCode"] = sim.Device("SLASH-1").CreateReservationRequestCode(), ["reservationType"] = "SPECIFIC",
                    ["licenses"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["entitlementTag"] = Hsec, ["quantity"] = 1 }),
                }),
            });
        var (_, devices) = await GetAsync(sim, $"/licensing/v2/accounts/example.com/devices?virtualAccountName={Uri.EscapeDataString("Lab/West & Co")}");

        status.ShouldBe(HttpStatusCode.OK, body.ToJsonString());
        devices["devices"]!.AsArray().ShouldHaveSingleItem()!["sudi"]!["udiSerialNumber"]!.GetValue<string>().ShouldBe("SLASH-1");
    }
}
