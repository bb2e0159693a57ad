using System.Text;
using System.Text.Json.Nodes;

namespace CssmSim.Server.Tests.Hostile;

/// <summary>
/// Valid bodies with one field at a time replaced by a wrong type, a negative or overflowing
/// count, an absurd date or an injection string. Each request is either refused (4xx in the
/// family's shape, or the business-layer FAILED/ERROR) with the store unchanged, or accepted;
/// never a 5xx, and the simulator stays healthy.
/// </summary>
public sealed class HostileFieldTests(HostileSimulator sim) : IClassFixture<HostileSimulator>
{
    private const string Api = HostileSimulator.Api;
    private const string Tag = "regid.2019-03.com.cisco.DNA_HSEC,1.0_509c41ab-05a8-431f-95fe-ec28086e8844";
    private const string EnforcedTag = "regid.2020-01.com.cisco.CSSMSIM_ENFORCED_DEMO,1.0_00000000-0000-4000-8000-000000000001";

    /// <summary>A RUM payload (artefacts.md §RUM report), carried as a string inside the usage envelopes.</summary>
    private static JsonObject RumPayload() => JsonNode.Parse("""
        {"version":"2.0","asset_identification":{"report_id":1700000000001,"asset":{"name":"regid.2018-05.com.cisco.WLC_9500C,1.0_85665885-b3ab-4c46-a52e-ab2ace4f0e5a"},
         "instance":{"sudi":{"udi_pid":"C9800-CL-K9","udi_serial_number":"FIELD0001"}}},
         "signature":{"signing_type":"builtin","key":"regid.2018-05.com.cisco.WLC_9500C,1.0_85665885-b3ab-4c46-a52e-ab2ace4f0e5a","value":"AAAA"},
         "meta":{"entitlement_tag":"@TAG@","utility_enabled":false,"software_version":"17.09.02",
                 "ha_udi":[{"role":"Active","sudi":{"udi_pid":"C9800-CL-K9","udi_serial_number":"FIELD0001"}}]},
         "measurements":[{"log_time":1700000000,"metric_name":"ENTITLEMENT","start_time":1699913601,"end_time":1700000000,
                          "sample_interval":900,"num_samples":97,"meta":{"termination_reason":"CurrentlyInUse"},"value":{"type":"COUNT","value":"3"}}]}
        """.Replace("@TAG@", Tag, StringComparison.Ordinal))!.AsObject();

    private static JsonObject Sudi => new() { ["udi_pid"] = "C9800-CL-K9", ["udi_serial_number"] = "FIELD0001" };

    private static JsonObject Transport(string type, JsonObject data) => new()
    {
        ["header"] = new JsonObject { ["version"] = "1.0", ["type"] = type, ["message_id"] = "5f0e6b2c-1111-4222-8333-444455556666", ["timestamp"] = 1700000000000L, ["nonce"] = "AbCdEfGh12345678" },
        ["sudi"] = Sudi,
        ["hostname"] = "wlc-field",
        ["data"] = data,
    };

    /// <summary>A body template per route (the route key matches <see cref="HostileBodyTests.BodyRoutes"/>).</summary>
    public static readonly IReadOnlyDictionary<string, (string Path, Func<JsonObject> Body)> Templates = new Dictionary<string, (string, Func<JsonObject>)>
    {
        ["control token"] = ("/_sim/accounts/example.com/virtual-accounts/DEFAULT/tokens",
            () => new JsonObject { ["description"] = "lab", ["expiresAfterDays"] = 30, ["maxUsesAllowed"] = 5, ["exportControlled"] = "Allowed" }),
        ["v1 token"] = (Api + "/v1/accounts/example.com/virtual-accounts/DEFAULT/tokens",
            () => new JsonObject { ["description"] = "lab", ["expiresAfterDays"] = 30, ["maxUsesAllowed"] = 5, ["exportControlled"] = "Allowed" }),
        ["control trust code"] = ("/_sim/accounts/example.com/virtual-accounts/DEFAULT/trust-codes", () => Sudi),
        ["control return code"] = ("/_sim/accounts/example.com/virtual-accounts/DEFAULT/return-codes",
            () => new JsonObject { ["returnCode"] = "CAbcde-Fghijk-Lmnopq-Rstuvw-Xyz012-345678-9ABCDE-FGHIJK-LMN" }),
        ["control va policy"] = ("/_sim/accounts/example.com/virtual-accounts/DEFAULT/policy",
            () => JsonNode.Parse("""{"policy_name":"Lab","unenforced_perpetual":{"reporting_frequency_days":60},"enforced":{"reporting_frequency_days":90}}""")!.AsObject()),
        ["control clock set"] = ("/_sim/clock", () => new JsonObject { ["set"] = "2027-01-01T00:00:00Z" }),
        ["control clock advance"] = ("/_sim/clock", () => new JsonObject { ["advance"] = "P1DT2H" }),
        ["control clock mode"] = ("/_sim/clock", () => new JsonObject { ["mode"] = "frozen" }),
        ["control fault"] = ("/_sim/faults", () => JsonNode.Parse("""
            {"name":"n","order":5,"match":{"surface":"smart-transport","operation":"HELLO","udi":"PID:NOMATCH,SN:NOMATCH","path":"/licservice/**"},
             "when":{"nth":[1,2],"every":2,"after":1,"probability":0.5,"times":3},"effect":{"error":"LS_LICENGINE_FAIL_TO_CONNECT","latencyMs":1}}
            """)!.AsObject()),
        ["control poll transition"] = ("/_sim/poll-transitions",
            () => new JsonObject { ["action"] = "acknowledgements", ["progression"] = "time", ["duration"] = "PT1H", ["smartAccount"] = "example.com", ["pollInterval"] = 60 }),
        ["control timing"] = ("/_sim/timing", () => new JsonObject { ["profile"] = "realistic" }),
        ["control seed"] = ("/_sim/seed", () => JsonNode.Parse("""
            {"randomSeed":7,"apiClients":[{"clientId":"qa","clientSecret":"qa-secret","accounts":["field.test"]}],
             "accounts":[{"domain":"field.test","name":"Field","accountId":"100001","virtualAccounts":[{"name":"A","id":"200001","default":true,"description":"d",
               "licenses":[{"tag":"@TAG@","displayName":"HSEC","enforcement":"export-controlled","type":"TERM","quantity":10,"startDate":"2026-01-01","endDate":"2027-01-01"}],
               "tokens":[{"description":"lab","expiresAfterDays":30,"maxUses":5,"exportControlled":true}],
               "productInstances":[{"udi_pid":"C9800-CL-K9","udi_serial_number":"SEEDFIELD1","hostname":"wlc-1","trusted":true}]}]}]}
            """.Replace("@TAG@", Tag, StringComparison.Ordinal))!.AsObject()),
        ["smart transport trust"] = ("/licservice/license",
            () => Transport("TRUST_ESTABLISHMENT", new JsonObject
            {
                ["id_token"] = "NOT-A-TOKEN", ["scope"] = "all", ["force"] = false,
                ["ha_udis"] = new JsonArray(new JsonObject { ["role"] = "Standby", ["sudi"] = new JsonObject { ["udi_pid"] = "C9800-CL-K9", ["udi_serial_number"] = "FIELD0002" } })
            })),
        ["smart transport usage"] = ("/licservice/license",
            () => Transport("USAGE_REPORTING", new JsonObject
            {
                ["reports"] = new JsonArray(new JsonObject { ["payload"] = RumPayload().ToJsonString(), ["signature"] = new JsonObject { ["sudi"] = Sudi, ["signing_type"] = "builtin", ["key"] = "k", ["value"] = "AAAA" } }),
                ["trust_requests"] = new JsonArray(new JsonObject { ["sudi"] = Sudi }),
            })),
        ["smart transport authorization"] = ("/licservice/license",
            () => Transport("AUTHORIZATION_REQUEST", new JsonObject { ["entitlements"] = new JsonArray(new JsonObject { ["tag"] = EnforcedTag, ["count"] = 1 }), ["scope"] = "local", ["mode"] = "add" })),
        ["smart transport poll"] = ("/licservice/license", () => Transport("RESULT_POLLING", new JsonObject { ["poll_id"] = "123456789012345678" })),
        ["slp reportusage"] = (Api + "/v2/devices/reportusage", () => new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["timestamp"] = 1700000000000L, ["nonce"] = "nonce-123456",
                ["reports"] = new JsonArray(new JsonObject { ["sudi"] = Sudi, ["usage"] = new JsonArray(new JsonObject { ["payload"] = RumPayload().ToJsonString(), ["signature"] = new JsonObject { ["signing_type"] = "builtin", ["key"] = "k", ["value"] = "AAAA" } }) }),
            },
        }),
        ["slp authrequest"] = (Api + "/v2/devices/authrequest", () => new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["timestamp"] = "1700000000000", ["nonce"] = "nonce-123456",
                ["licenses"] = new JsonArray(new JsonObject { ["sudi"] = Sudi, ["hostname"] = "wlc", ["keys"] = new JsonArray(new JsonObject { ["entitlement"] = EnforcedTag, ["count"] = "1" }) }),
            },
        }),
        ["slp poll"] = (Api + "/v2/accounts/poll", () => new JsonObject
        {
            ["data"] = new JsonObject { ["timestamp"] = 1700000000000L, ["nonce"] = "nonce-123456", ["poll_id"] = "123456789012345678", ["action"] = "acknowledgements" },
        }),
        ["v1 licenses"] = (Api + "/v1/accounts/example.com/licenses", () => new JsonObject { ["virtualAccounts"] = new JsonArray("DEFAULT"), ["limit"] = 100, ["offset"] = 0 }),
        ["v1 devices"] = (Api + "/v1/accounts/example.com/devices", () => new JsonObject { ["virtualAccounts"] = new JsonArray("DEFAULT"), ["limit"] = 100, ["offset"] = 0 }),
        ["v1 transfer"] = (Api + "/v1/accounts/example.com/virtual-accounts/DEFAULT/licenses/transfer", () => new JsonObject
        {
            ["licenses"] = new JsonArray(new JsonObject { ["license"] = Tag, ["licenseType"] = "PERPETUAL", ["quantity"] = 1, ["targetVirtualAccount"] = "Lab" }),
        }),
        ["v1 reserve"] = (Api + "/v1/accounts/example.com/virtual-accounts/DEFAULT/reserve-licenses", () => new JsonObject
        {
            ["reservationRequests"] = new JsonArray(new JsonObject
            {
                ["reservationCode"] = "CB-ZC9800-CL-K9:FIELD0001-AbCdEfGhI-3F", ["reservationType"] = "SPECIFIC",
                ["licenses"] = new JsonArray(new JsonObject { ["entitlementTag"] = EnforcedTag, ["quantity"] = 1, ["precedence"] = "LONGEST_TERM_FIRST" }),
            }),
        }),
        ["v3 summary"] = (Api + "/v3/licenses/summary", () => new JsonObject { ["data"] = new JsonObject { ["timestamp"] = 1700000000000L, ["nonce"] = "nonce-1", ["tags"] = new JsonArray(Tag) } }),
        ["software summary"] = ("/v1/software/apis/licensing/v2/get-summary",
            () => new JsonObject { ["data"] = new JsonObject { ["timestamp"] = 1700000000000L, ["nonce"] = "abcdefghijklmnopqrstuvwx", ["tags"] = new JsonArray(Tag) } }),
        ["software reserve"] = ("/v1/software/apis/licensing/v1/account/example.com/virtual-account/DEFAULT/licenses/reserve", () => new JsonObject
        {
            ["reservationRequests"] = new JsonArray(new JsonObject
            {
                ["reservationCode"] = "CB-ZC9800-CL-K9:FIELD0001-AbCdEfGhI-3F", ["reservationType"] = "SPECIFIC",
                ["licenses"] = new JsonArray(new JsonObject { ["entitlementTag"] = EnforcedTag, ["quantity"] = 1, ["precedence"] = "LONGEST_TERM_FIRST" }),
            }),
        }),
        ["software slr details"] = ("/v1/software/apis/licensing/v1/search-slr-details",
            () => new JsonObject { ["softwareTags"] = new JsonArray("regid.2018-05.com.cisco.WLC_9500C,1.0_85665885-b865-4e32-8184-5510412fcb54") }),
        ["software devices remove"] = ("/v1/software/apis/licensing/v3/accounts/example.com/devices/remove?virtualAccountName=DEFAULT", () => new JsonObject
        {
            ["productInstancesRemoveRequests"] = new JsonArray(new JsonObject
            {
                ["sudi"] = new JsonObject { ["udiPid"] = "C9800-CL-K9", ["udiSerialNumber"] = "FIELD0001" },
                ["productTagName"] = "C9800-CL-K9",
                ["returnCode"] = "CAbcde-Fghijk-Lmnopq-Rstuvw-Xyz012-345678-9ABCDE-FGHIJK-LMN",
            }),
        }),
        ["patch fault"] = ("/_sim/faults/token-max-uses-bottleneck", () => new JsonObject { ["enabled"] = true, ["when"] = new JsonObject { ["concurrentAbove"] = 4 } }),
        // The field device holds no reservation and "Nowhere" is no Virtual Account: these name things that do not exist, on purpose.
        ["control reservation update (PUT)"] = (FieldDevice + "/reservation",
            () => new JsonObject { ["licenses"] = new JsonArray(new JsonObject { ["tag"] = EnforcedTag, ["quantity"] = 1 }) }),
        ["control reservation confirmation"] = (FieldDevice + "/reservation/confirmation", () => new JsonObject { ["confirmationCode"] = "0000abcd" }),
        ["control transfer"] = (FieldDevice + "/transfer", () => new JsonObject { ["targetVirtualAccount"] = "Nowhere" }),
    };

    private const string FieldDevice = "/_sim/accounts/example.com/virtual-accounts/DEFAULT/product-instances/PID%3AC9800-CL-K9%2CSN%3AFIELD0001";

    private static HttpMethod MethodOf(string template) =>
        template == "patch fault" ? HttpMethod.Patch
        : template.Contains("policy", StringComparison.Ordinal) || template.EndsWith("(PUT)", StringComparison.Ordinal) ? HttpMethod.Put
        : HttpMethod.Post;

    /// <summary>Fields that hold a JSON document as a string: mutated inside, then re-serialised.</summary>
    private static readonly HashSet<string> EmbeddedPayloads = ["payload"];

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var (name, (_, body)) in Templates)
        {
            foreach (var leaf in Leaves(body(), ""))
                data.Add(name, leaf);
        }
        return data;
    }

    /// <summary>Paths of every member and array item (containers too: they get wrong types), payload strings opened up.</summary>
    private static IEnumerable<string> Leaves(JsonNode? node, string at)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o)
                {
                    var p = at + "/" + k;
                    yield return p;
                    if (EmbeddedPayloads.Contains(k) && v is JsonValue s && s.TryGetValue<string>(out var text))
                        foreach (var inner in Leaves(JsonNode.Parse(text), p + "#")) yield return inner;
                    else
                        foreach (var inner in Leaves(v, p)) yield return inner;
                }
                break;
            case JsonArray a when a.Count > 0:
                foreach (var inner in Leaves(a[0], at + "/0")) yield return inner;
                break;
        }
    }

    /// <summary>The body with the node at <paramref name="path"/> replaced (a <c>#</c> step enters an embedded payload string).</summary>
    private static JsonNode Replace(JsonNode root, string path, JsonNode? value)
    {
        var hash = path.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            var outer = path[..hash];
            var payload = JsonNode.Parse(Get(root, outer)!.GetValue<string>())!;
            payload = Replace(payload, path[(hash + 1)..], value);
            return Replace(root, outer, JsonValue.Create(payload.ToJsonString()));
        }
        var steps = path.Trim('/').Split('/');
        var parent = root;
        foreach (var step in steps[..^1]) parent = parent is JsonArray pa ? pa[int.Parse(step, System.Globalization.CultureInfo.InvariantCulture)]! : parent[step]!;
        if (parent is JsonArray arr) arr[int.Parse(steps[^1], System.Globalization.CultureInfo.InvariantCulture)] = value;
        else parent[steps[^1]] = value;
        return root;
    }

    private static JsonNode? Get(JsonNode root, string path)
    {
        var hash = path.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0) return Get(JsonNode.Parse(Get(root, path[..hash])!.GetValue<string>())!, path[(hash + 1)..]);
        JsonNode? node = root;
        foreach (var step in path.Trim('/').Split('/'))
            node = node is JsonArray a ? a[int.Parse(step, System.Globalization.CultureInfo.InvariantCulture)] : node![step];
        return node;
    }

    [Fact]
    public void Every_json_body_route_has_a_field_template_or_a_reason_not_to()
    {
        var templated = Templates.Values.Select(t => t.Path.Split('?')[0]).ToHashSet();
        string[] untemplated =
        [
            "/_sim/snapshot",    // replaces the whole state; its own hostile cases live in Pipeline/HostileInputTests
            "/_sim/usage-files", // archives, not JSON: HostileUploadTests
            "/as/token.oauth2", "/oauth2/default/v1/token", // forms: HostileFormTests
            "/_sim/accounts/example.com/policy", // the same body as the VA policy template
            Api + "/v2/accounts/example.com/virtual-accounts/DEFAULT/reserve-licenses", // the v1 body
            Api + "/v2/licenses/summary", // the v3 body
            "/as/authorization.oauth2", // a form: the sign-in of the authorization-code grant
            "/v1/software/apis/licensing/v2/account/example.com/virtual-account/DEFAULT/licenses/reserve", // the v1 body
        ];

        var missing = HostileBodyTests.BodyRoutes.Values.Select(p => p.Split('?')[0])
            .Where(p => !ErrorShapes.IsNotSimulated(p) && !templated.Contains(p) && !untemplated.Contains(p));

        missing.ShouldBeEmpty();
    }

    /// <summary>Templates that are meant to succeed as they stand (the rest name things that do not exist, on purpose).</summary>
    public static readonly TheoryData<string> ValidTemplates = new()
    {
        "control token", "v1 token", "control trust code", "control va policy", "control clock set", "control clock advance", "control clock mode",
        "control fault", "control poll transition", "control timing", "control seed", "smart transport usage", "smart transport authorization", "slp reportusage",
        "slp authrequest", "v1 licenses", "v1 devices", "v1 transfer", "v1 reserve", "v3 summary", "patch fault",
        "software summary", "software reserve", "software slr details",
    };

    [Theory]
    [MemberData(nameof(ValidTemplates))]
    public async Task The_template_itself_is_accepted_so_its_mutations_test_the_field(string template)
    {
        var (path, body) = Templates[template];
        var method = MethodOf(template);

        var (status, text, _) = await sim.SendHostileAsync(sim.Request(method, path, new StringContent(body().ToJsonString(), Encoding.UTF8, "application/json")), template);

        status.ShouldBeInRange(200, 299, text);
        ErrorShapes.IsBusinessFailure(path, text).ShouldBeFalse(text);
    }

    public static readonly TheoryData<string, string> HostilePayloadStrings = new()
    {
        { "json nested 10,000 deep", string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + "1" + new string('}', 10_000) },
        { "unterminated", "{\"version\":\"2.0\",\"measurements\":[" },
        { "xml instead of json", HostilePayloads.ExternalEntity },
        { "a megabyte of brackets", new string('[', 1024 * 1024) },
        { "json array", "[1,2,3]" },
        { "lone surrogate escape", "{\"version\":\"\\ud800\"}" },
    };

    [Theory]
    [MemberData(nameof(HostilePayloadStrings))]
    public async Task A_hostile_rum_payload_string_is_refused_on_both_usage_surfaces(string name, string payload)
    {
        foreach (var template in new[] { "smart transport usage", "slp reportusage" })
        {
            var (path, body) = Templates[template];
            var field = template == "slp reportusage" ? "/data/reports/0/usage/0/payload" : "/data/reports/0/payload";
            var json = Replace(body(), field, JsonValue.Create(payload)).ToJsonString();

            var (status, text, _) = await sim.SendHostileAsync(sim.Request(HttpMethod.Post, path, new StringContent(json, Encoding.UTF8, "application/json")),
                $"{template} payload {name}");

            (status >= 400 || ErrorShapes.IsBusinessFailure(path, text)).ShouldBeTrue($"{template} payload {name}: {status} {text}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_hostile_value_in_this_field_is_refused_cleanly_or_accepted(string template, string field)
    {
        var (path, body) = Templates[template];
        var original = Get(body(), field);
        var failures = new List<string>();

        foreach (var (name, value) in HostileValues.For(original))
        {
            var json = Replace(body(), field, value?.DeepClone()).ToJsonString();
            var method = MethodOf(template);
            try
            {
                await sim.SendHostileAsync(sim.Request(method, path, new StringContent(json, Encoding.UTF8, "application/json")), $"{template} {field} <- {name}");
            }
            catch (ShouldAssertException e)
            {
                failures.Add(e.Message);
            }
        }

        failures.ShouldBeEmpty();
    }
}
