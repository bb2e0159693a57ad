using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace CssmSim.Server.Tests.Hostile;

/// <summary>
/// Injection strings that are valid input (a description holding <c>&lt;script&gt;</c>, a VA name
/// holding SQL) are stored verbatim and come back verbatim as JSON strings: nothing is executed,
/// nothing is mangled, and the SQL store is intact afterwards. Values a field refuses by its own
/// rules (control characters, over its length) are refused with a 4xx in the family's shape.
/// </summary>
public sealed class InjectionVerbatimTests(HostileSimulator sim) : IClassFixture<HostileSimulator>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Printable injection strings every text field must take as they are.</summary>
    public static readonly TheoryData<string> Printable = new()
    {
        "'; DROP TABLE tokens;--",
        "Robert'); DELETE FROM product_instances WHERE ('1'='1",
        "\" OR \"1\"=\"1",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "../../../../etc/passwd",
        "..\\..\\windows\\win.ini",
        "\u202Eevil\u202C \U0001F600 \u0645\u0631\u062D\u0628\u0627 \u4E2D\u6587",
        "{{7*7}}${jndi:ldap://127.0.0.1/a}%s%n%00",
        "&lt;&amp;&#x27;]]>",
    };

    [Theory]
    [MemberData(nameof(Printable))]
    public async Task A_token_description_is_stored_and_listed_verbatim_on_both_apis(string text)
    {
        using var created = await sim.Http.PostAsync("/_sim/accounts/example.com/virtual-accounts/Lab/tokens",
            Json(new JsonObject { ["description"] = "ctl " + text, ["expiresAfterDays"] = 30 }), Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        using var v1 = sim.Request(HttpMethod.Post, HostileSimulator.Api + "/v1/accounts/example.com/virtual-accounts/Lab/tokens",
            Json(new JsonObject { ["description"] = "v1 " + text, ["expiresAfterDays"] = 30 }));
        using var v1Created = await sim.Http.SendAsync(v1, Ct);
        v1Created.StatusCode.ShouldBe(HttpStatusCode.OK, await v1Created.Content.ReadAsStringAsync(Ct));

        using var listRequest = sim.Request(HttpMethod.Get, HostileSimulator.Api + "/v1/accounts/example.com/virtual-accounts/Lab/tokens", null);
        using var listed = await sim.Http.SendAsync(listRequest, Ct);
        var descriptions = (await ReadJsonAsync(listed))["tokens"]!.AsArray().Select(t => t!["description"]!.GetValue<string>()).ToList();
        var control = await GetJsonAsync("/_sim/accounts/example.com/virtual-accounts/Lab/tokens");

        descriptions.ShouldContain("ctl " + text);
        descriptions.ShouldContain("v1 " + text);
        control["tokens"]!.AsArray().Select(t => t!["description"]!.GetValue<string>()).ShouldContain("ctl " + text);
        await sim.ShouldBeHealthyAsync(text);
    }

    [Theory]
    [MemberData(nameof(Printable))]
    public async Task Account_virtual_account_license_and_product_instance_names_from_a_seed_are_kept_verbatim(string text)
    {
        var domain = $"inj{Math.Abs(text.GetHashCode(StringComparison.Ordinal)) % 1_000_000}.test";
        var tag = "regid.2019-03.com.cisco.X,1.0_" + Guid.NewGuid();
        var seed = new JsonObject
        {
            ["accounts"] = new JsonArray(new JsonObject
            {
                ["domain"] = domain,
                ["name"] = "SA " + text,
                ["virtualAccounts"] = new JsonArray(new JsonObject
                {
                    ["name"] = "VA " + text,
                    ["description"] = "D " + text,
                    ["licenses"] = new JsonArray(new JsonObject { ["tag"] = tag, ["displayName"] = "L " + text, ["enforcement"] = "unenforced", ["type"] = "PERPETUAL", ["quantity"] = 3 }),
                    ["productInstances"] = new JsonArray(new JsonObject { ["udi_pid"] = "PID-INJ", ["udi_serial_number"] = "SN" + domain[3..^5], ["hostname"] = "H " + text }),
                }),
            }),
        };
        using var merged = await sim.Http.PostAsync("/_sim/seed", Json(seed), Ct);
        merged.StatusCode.ShouldBe(HttpStatusCode.OK, await merged.Content.ReadAsStringAsync(Ct));

        using var searchRequest = sim.Request(HttpMethod.Get, HostileSimulator.Api + "/v2/accounts/search", null);
        using var search = await sim.Http.SendAsync(searchRequest, Ct);
        var account = (await ReadJsonAsync(search))["accounts"]!.AsArray().Single(a => a!["domain"]!.GetValue<string>() == domain)!;
        var vaPath = $"/_sim/accounts/{domain}/virtual-accounts/{Uri.EscapeDataString("VA " + text)}";
        var licenses = await GetJsonAsync(vaPath + "/licenses");
        var instances = await GetJsonAsync(vaPath + "/product-instances");
        using var vasRequest = sim.Request(HttpMethod.Get, $"{HostileSimulator.Api}/v1/accounts/{domain}/customer/virtual-accounts", null);
        using var vas = await sim.Http.SendAsync(vasRequest, Ct);
        var va = (await ReadJsonAsync(vas))["virtualAccounts"]!.AsArray().Single()!;

        account["name"]!.GetValue<string>().ShouldBe("SA " + text);
        account["virtual_accounts"]![0]!["name"]!.GetValue<string>().ShouldBe("VA " + text);
        va["name"]!.GetValue<string>().ShouldBe("VA " + text);
        va["description"]!.GetValue<string>().ShouldBe("D " + text);
        Strings(licenses).ShouldContain("L " + text);
        Strings(instances).ShouldContain("H " + text);
        await sim.ShouldBeHealthyAsync(text);
    }

    [Theory]
    [MemberData(nameof(Printable))]
    public async Task A_hostname_sent_by_a_device_is_stored_and_listed_verbatim(string text)
    {
        var token = (await sim.Sim.CreateTokenAsync("Lab"))["token"]!.GetValue<string>();
        var serial = "HOST" + Math.Abs(text.GetHashCode(StringComparison.Ordinal)) % 1_000_000;
        var device = new Testing.Devices.SimulatedProductInstance(sim.Http, "C9800-CL-K9", serial, "wlc " + text);

        (await device.EstablishTrustAsync(token)).Trusted.ShouldBeTrue();
        var instances = await GetJsonAsync("/_sim/accounts/example.com/virtual-accounts/Lab/product-instances");

        Strings(instances).ShouldContain("wlc " + text);
        using var devicesRequest = sim.Request(HttpMethod.Post, HostileSimulator.Api + "/v1/accounts/example.com/devices",
            Json(new JsonObject { ["virtualAccounts"] = new JsonArray("Lab"), ["limit"] = 1000, ["offset"] = 0 }));
        using var devices = await sim.Http.SendAsync(devicesRequest, Ct);
        (await ReadJsonAsync(devices))["devices"]!.AsArray().Select(d => d!["hostName"]!.GetValue<string>()).ShouldContain("wlc " + text);
    }

    [Theory]
    [InlineData("a\u0000b")]
    [InlineData("line\r\nX-Injected: 1")]
    public async Task Control_characters_in_a_name_are_kept_verbatim_and_never_reach_a_response_header(string text)
    {
        var seed = new JsonObject { ["accounts"] = new JsonArray(new JsonObject { ["domain"] = "ctl.test", ["name"] = "SA " + text, ["virtualAccounts"] = new JsonArray("VA " + text) }) };
        using var merged = await sim.Http.PostAsync("/_sim/seed", Json(seed), Ct);
        merged.StatusCode.ShouldBe(HttpStatusCode.OK, await merged.Content.ReadAsStringAsync(Ct));

        // The policy download names its file after the account: the name must not split the header.
        using var download = await sim.Http.GetAsync($"/_sim/accounts/ctl.test/virtual-accounts/{Uri.EscapeDataString("VA " + text)}/policy.xml", Ct);
        using var vasRequest = sim.Request(HttpMethod.Get, HostileSimulator.Api + "/v1/accounts/ctl.test/customer/virtual-accounts", null);
        using var vas = await sim.Http.SendAsync(vasRequest, Ct);

        // Kestrel refuses a NUL in a request target itself (400, before any middleware).
        download.StatusCode.ShouldBe(text.Contains('\0', StringComparison.Ordinal) ? HttpStatusCode.BadRequest : HttpStatusCode.OK);
        download.Headers.Contains("X-Injected").ShouldBeFalse();
        (download.Content.Headers.ContentDisposition?.ToString() ?? "").ShouldNotContain("\n");
        Strings(await ReadJsonAsync(vas)).ShouldContain("VA " + text);
        await sim.ShouldBeHealthyAsync(text);
    }

    [Fact]
    public async Task A_description_far_over_the_length_limit_is_refused_in_the_family_shape()
    {
        var (status, _, _) = await sim.SendHostileAsync(sim.Request(HttpMethod.Post, "/_sim/accounts/example.com/virtual-accounts/Lab/tokens",
            Json(new JsonObject { ["description"] = new string('x', 100_000), ["expiresAfterDays"] = 30 })), "100,000-character description");

        status.ShouldBeInRange(400, 499);
    }

    /// <summary>Every string value in a JSON document, parsed (so the check holds whatever the escaping).</summary>
    private static List<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(kv => Strings(kv.Value)).ToList(),
        JsonArray a => a.SelectMany(Strings).ToList(),
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => [v.GetValue<string>()],
        _ => [],
    };

    private static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private async Task<JsonObject> GetJsonAsync(string path)
    {
        using var r = await sim.Http.GetAsync(path, Ct);
        r.StatusCode.ShouldBe(HttpStatusCode.OK, path + ": " + await r.Content.ReadAsStringAsync(Ct));
        return await ReadJsonAsync(r);
    }

    private static async Task<JsonObject> ReadJsonAsync(HttpResponseMessage r)
    {
        r.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        return JsonNode.Parse(await r.Content.ReadAsStringAsync(Ct))!.AsObject();
    }
}
