using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CssmSim.Server.ApiDocs;
using CssmSim.Server.Tests.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CssmSim.Server.Tests.ApiDocs;

/// <summary>
/// Swagger UI sends what the documents say (issue 20): every documented operation of every document
/// succeeds with its example, values an earlier call creates are fed from its answer as the
/// operation's <c>x-cssmsim-inputs</c> say, and calls secured by OAuth2 carry a token from the
/// token URL the document names, fetched as Swagger UI's Authorize does.
/// </summary>
public sealed class ApiDocumentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Every document, in the order the example test runs them (the control API's last: it resets and faults).</summary>
    private static readonly string[] Documents =
    [
        DocumentNames.Url(DocumentNames.OAuth), DocumentNames.Url(DocumentNames.CssmApi), DocumentNames.Url(DocumentNames.SoftwareApis),
        DocumentNames.Url(DocumentNames.SmartTransport), "/_sim/openapi.json",
    ];

    // Operations whose example cannot succeed over HTTP alone, each with why (none today: values only a device
    // can compute, such as return and confirmation codes, have examples that get their documented failure,
    // x-cssmsim-expected-error). A new operation gets an example, takes no input, or is named here.
    private static readonly Dictionary<string, string> WithoutExample = [];

    [Fact]
    public async Task Every_documented_operation_of_every_document_succeeds_with_its_example()
    {
        await using var sim = await TestSimulator.StartAsync();
        var runner = await ExampleRunner.LoadAsync(sim, Documents);
        var failures = new List<string>();

        foreach (var c in runner.Cases.Values)
        {
            if (WithoutExample.ContainsKey(c.OperationId)) continue;
            var (ok, report) = await runner.RunAsync(c);
            if (!ok) failures.Add(report);
        }

        failures.ShouldBeEmpty();
        foreach (var doc in Documents) runner.Tried.ShouldContain(t => t.Doc == doc, $"nothing of {doc} was tried");
        // Every message type smart transport answers (the fault catalogue lists them) has a tried example.
        foreach (var type in CssmSim.Engine.Faults.FaultCatalog.Operations["smart-transport"])
            runner.Tried.Select(t => t.Key).ShouldContain($"SmartTransport#{type}");
        runner.Tried.Select(t => t.Key).ShouldContain("SlpPoll");
        runner.Tried.Select(t => t.Key).ShouldContain("TokensRevoke");
        runner.Tried.Select(t => t.Key).ShouldContain("ImportSnapshot");
        runner.Tried.Count.ShouldBe(runner.Cases.Values.Count(c => !WithoutExample.ContainsKey(c.OperationId)));
        runner.Tried.Count.ShouldBeGreaterThan(80);
    }

    [Fact]
    public async Task Every_document_reads_as_OpenAPI_without_errors()
    {
        await using var sim = await TestSimulator.StartAsync();

        foreach (var url in Documents)
        {
            using var response = await sim.Http.GetAsync(url, Ct);
            var read = Microsoft.OpenApi.OpenApiDocument.Parse(await response.Content.ReadAsStringAsync(Ct), "json");

            read.Diagnostic!.Errors.Select(e => $"{url}: {e}").ShouldBeEmpty();
            read.Document!.Paths.ShouldNotBeEmpty();
        }
    }

    [Fact]
    public async Task Every_simulated_route_is_in_a_document()
    {
        await using var sim = await TestSimulator.StartAsync();
        var runner = await ExampleRunner.LoadAsync(sim, Documents);
        var documented = runner.Cases.Values.Select(c => c.OperationId).ToHashSet();

        var routes = sim.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IEndpointNameMetadata>() is not null)
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IExcludeFromDescriptionMetadata>()?.ExcludeFromDescription != true)
            .Where(e => !(e.RoutePattern.RawText ?? "").StartsWith("/portal", StringComparison.OrdinalIgnoreCase))
            .Select(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()!.EndpointName)
            .ToList();

        routes.ShouldContain("SmartTransport");
        routes.ShouldContain("TokensCreate");
        routes.Where(name => !documented.Contains(name)).ShouldBeEmpty();
    }

    [Fact]
    public async Task The_CSSM_documents_authorize_with_client_credentials_at_the_token_url_they_name()
    {
        await using var sim = await TestSimulator.StartAsync();

        foreach (var name in new[] { DocumentNames.CssmApi, DocumentNames.SoftwareApis })
        {
            var doc = await ExampleRunner.DocumentAsync(sim.Http, DocumentNames.Url(name));
            var schemes = doc["components"]!["securitySchemes"]!;
            var oauth = schemes[OperationDocs.OAuthScheme]!;
            oauth["type"]!.GetValue<string>().ShouldBe("oauth2");
            var tokenUrl = oauth["flows"]!["clientCredentials"]!["tokenUrl"]!.GetValue<string>();
            schemes[OperationDocs.BearerScheme]!["scheme"]!.GetValue<string>().ShouldBe("bearer");

            // Swagger UI's Authorize: client id and secret as HTTP Basic, the grant as a form.
            var token = await ExampleRunner.AuthorizeAsync(sim.Http, tokenUrl);

            token.ShouldNotBeNullOrWhiteSpace();
        }
        var transport = await ExampleRunner.DocumentAsync(sim.Http, DocumentNames.Url(DocumentNames.SmartTransport));
        transport["security"].ShouldBeNull();
    }

    [Fact]
    public async Task Swagger_UI_lists_every_document()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var page = await sim.Http.GetAsync("/_sim/docs/index.html", Ct);
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        var ui = await page.Content.ReadAsStringAsync(Ct);
        using var script = await sim.Http.GetAsync("/_sim/docs/index.js", Ct);
        if (script.IsSuccessStatusCode) ui += await script.Content.ReadAsStringAsync(Ct);

        foreach (var url in Documents)
        {
            ui.ShouldContain(url);
            using var doc = await sim.Http.GetAsync(url, Ct);
            doc.StatusCode.ShouldBe(HttpStatusCode.OK, url);
        }
    }

    [Fact]
    public async Task The_documents_stay_open_when_a_control_key_is_configured()
    {
        await using var sim = await TestSimulator.StartAsync(o => o.ControlApiKey = "docs-key");

        foreach (var url in Documents)
        {
            using var doc = await sim.Http.GetAsync(url, Ct);
            doc.StatusCode.ShouldBe(HttpStatusCode.OK, url);
        }
    }

    /// <summary>One request to try: an operation, or one named example of it.</summary>
    private sealed record Case(string Key, string OperationId, string Doc, string Method, string Path, JsonObject Operation,
        JsonNode? Body, string? ContentType, JsonArray Inputs, string? ExpectedError, bool Bearer);

    /// <summary>Sends examples as Swagger UI would, feeding inputs from fresh runs of the operations they name.</summary>
    private sealed class ExampleRunner
    {
        private readonly TestSimulator _sim;
        private readonly HttpClient _http;
        private readonly Dictionary<string, string> _tokens = [];

        private ExampleRunner(TestSimulator sim)
        {
            _sim = sim;
            // Swagger UI's fetch answers a redirect as the redirect; the test looks at it rather than following it off the simulator.
            _http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = sim.Http.BaseAddress };
        }

        public Dictionary<string, Case> Cases { get; } = [];
        public List<(string Doc, string Key)> Tried { get; } = [];
        private readonly Dictionary<string, string> _tokenUrls = [];

        public static async Task<ExampleRunner> LoadAsync(TestSimulator sim, IEnumerable<string> documents)
        {
            var runner = new ExampleRunner(sim);
            foreach (var url in documents)
            {
                var doc = await DocumentAsync(sim.Http, url);
                if (doc["components"]?["securitySchemes"]?[OperationDocs.OAuthScheme]?["flows"]?["clientCredentials"]?["tokenUrl"]?.GetValue<string>() is { } tokenUrl)
                    runner._tokenUrls[url] = tokenUrl;
                var docSecured = doc["security"] is JsonArray { Count: > 0 } s && IsBearer(s);
                foreach (var (path, item) in doc["paths"]!.AsObject())
                {
                    foreach (var (method, node) in item!.AsObject())
                    {
                        if (node is not JsonObject op || method == "parameters") continue;
                        var id = op["operationId"]?.GetValue<string>() ?? $"{method} {path}";
                        var bearer = op["security"] is JsonArray opSecurity ? IsBearer(opSecurity) : docSecured;
                        var media = op["requestBody"]?["content"]?.AsObject().FirstOrDefault();
                        var inputs = op["x-cssmsim-inputs"] as JsonArray ?? [];
                        var expected = op["x-cssmsim-expected-error"]?.GetValue<string>();
                        var key = runner.Cases.ContainsKey(id) ? $"{id}:{method.ToUpperInvariant()}" : id;
                        if (media?.Value?["examples"] is JsonObject examples)
                        {
                            foreach (var (name, example) in examples)
                            {
                                runner.Cases[$"{id}#{name}"] = new Case($"{id}#{name}", id, url, method, path, op, example!["value"],
                                    media.Value.Key, example["x-cssmsim-inputs"] as JsonArray ?? inputs,
                                    example["x-cssmsim-expected-error"]?.GetValue<string>() ?? expected, bearer);
                            }
                        }
                        else
                        {
                            runner.Cases[key] = new Case(key, id, url, method, path, op, media?.Value?["example"], media?.Key, inputs, expected, bearer);
                        }
                    }
                }
            }
            return runner;
        }

        private static bool IsBearer(JsonArray security) =>
            security.Any(r => r is JsonObject o && (o.ContainsKey(OperationDocs.OAuthScheme) || o.ContainsKey(OperationDocs.BearerScheme)));

        public static async Task<JsonObject> DocumentAsync(HttpClient http, string url)
        {
            using var response = await http.GetAsync(url, Ct);
            response.StatusCode.ShouldBe(HttpStatusCode.OK, url);
            return (await TestSimulator.ReadJsonAsync(response)).AsObject();
        }

        public static async Task<string> AuthorizeAsync(HttpClient http, string tokenUrl)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, tokenUrl)
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("cssmsim:cssmsim")));
            using var response = await http.SendAsync(request, Ct);
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            return (await TestSimulator.ReadJsonAsync(response))["access_token"]!.GetValue<string>();
        }

        /// <summary>Runs one case (its inputs' operations first); (succeeded, what happened).</summary>
        public async Task<(bool Ok, string Report)> RunAsync(Case c)
        {
            var (ok, report, _) = await RunCoreAsync(c, 0);
            return (ok, report);
        }

        private async Task<(bool Ok, string Report, string Body)> RunCoreAsync(Case c, int depth)
        {
            if (depth > 5) return (false, $"{c.Key}: inputs nest too deep", "");
            var url = c.Path;
            var query = new List<string>();
            var headers = new Dictionary<string, string>();
            foreach (var p in c.Operation["parameters"]?.AsArray() ?? [])
            {
                var name = p!["name"]!.GetValue<string>();
                var example = p["example"]?.GetValue<string>();
                switch (p["in"]!.GetValue<string>())
                {
                    case "path" when example is not null: url = url.Replace("{" + name + "}", Uri.EscapeDataString(example)); break;
                    case "query" when example is not null: query.Add($"{name}={Uri.EscapeDataString(example)}"); break;
                    case "header" when example is not null: headers[name] = example; break;
                }
            }
            var body = c.Body?.DeepClone();
            string? rawBody = null;
            string? bearer = null;
            foreach (var input in c.Inputs)
            {
                var from = input!["from"]!.GetValue<string>();
                if (!Cases.TryGetValue(from, out var producer)) return (false, $"{c.Key}: input from unknown operation {from}", "");
                var (produceOk, report, produced) = await RunCoreAsync(producer, depth + 1);
                if (!produceOk) return (false, $"{c.Key}: its input {from} failed: {report}", "");
                var target = input["target"]?.GetValue<string>();
                if (target is null) continue;
                var node = Pointer(produced, input["pointer"]!.GetValue<string>());
                var text = node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : node?.ToJsonString() ?? produced;
                if (input["match"]?.GetValue<string>() is { } match)
                {
                    var m = Regex.Match(text, match);
                    if (!m.Success) return (false, $"{c.Key}: {match} matches nothing in the answer of {from}", "");
                    text = m.Groups[1].Value;
                    node = JsonValue.Create(text);
                }
                if (input["decodedPointer"]?.GetValue<string>() is { } decoded)
                {
                    node = Pointer(Encoding.UTF8.GetString(Convert.FromBase64String(text)), decoded);
                    text = node is JsonValue dv && dv.GetValueKind() == JsonValueKind.String ? dv.GetValue<string>() : node?.ToJsonString() ?? "";
                }
                if (node is null) return (false, $"{c.Key}: the answer of {from} has nothing at {input["pointer"]}: {Shorten(produced)}", "");
                var (where, name) = target.IndexOf(':') is var i and > 0 ? (target[..i], target[(i + 1)..]) : (target, "");
                switch (where)
                {
                    case "path": url = ReplaceSegment(url, c.Path, name, text); break;
                    case "query": query.Add($"{name}={Uri.EscapeDataString(text)}"); break;
                    case "header": headers[name] = text; break;
                    case "bearer": bearer = text; break;
                    case "body" when name.Length == 0: rawBody = produced; break;
                    case "body": SetPointer(body!, name, node?.DeepClone()); break;
                    default: return (false, $"{c.Key}: unknown input target {target}", "");
                }
            }

            using var request = new HttpRequestMessage(new HttpMethod(c.Method.ToUpperInvariant()), url + (query.Count > 0 ? "?" + string.Join('&', query) : ""));
            foreach (var (k, v) in headers) request.Headers.TryAddWithoutValidation(k, v);
            if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            else if (c.Bearer) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(c.Doc));
            if (c.ContentType is { } contentType && (rawBody is not null || body is not null))
            {
                request.Content = rawBody is not null ? new StringContent(rawBody, Encoding.UTF8, contentType)
                    : contentType == "application/x-www-form-urlencoded"
                        ? new FormUrlEncodedContent(body!.AsObject().Select(kv => KeyValuePair.Create(kv.Key, kv.Value!.GetValue<string>())))
                        : new StringContent(body is JsonValue text && text.GetValueKind() == JsonValueKind.String ? text.GetValue<string>() : body!.ToJsonString(),
                            Encoding.UTF8, contentType);
            }
            using var response = await _http.SendAsync(request, Ct);
            var answer = await response.Content.ReadAsStringAsync(Ct);
            if (depth == 0) Tried.Add((c.Doc, c.Key));
            var status = (int)response.StatusCode;
            var ok = c.ExpectedError is { } expected
                ? (int.TryParse(expected, out var code) ? status == code : answer.Contains(expected, StringComparison.Ordinal))
                : status < 400 && !IsBusinessFailure(answer);
            return (ok, $"{c.Key}: {request.Method} {request.RequestUri} answered {status} {Shorten(answer)}", answer);
        }

        private async Task<string> TokenAsync(string doc)
        {
            if (_tokens.TryGetValue(doc, out var token)) return token;
            var tokenUrl = _tokenUrls.GetValueOrDefault(doc) ?? OperationDocs.TokenUrl;
            return _tokens[doc] = await AuthorizeAsync(_http, tokenUrl);
        }

        /// <summary>A 2xx that says FAILED or ERROR (smart transport, SLP, v1 family) is not a success either.</summary>
        private static bool IsBusinessFailure(string answer)
        {
            try
            {
                return JsonNode.Parse(answer) is JsonObject o && o["status"] is JsonValue s && s.GetValueKind() == JsonValueKind.String
                    && s.GetValue<string>() is "FAILED" or "ERROR";
            }
            catch (JsonException)
            {
                return false;
            }
        }

        private static string ReplaceSegment(string url, string template, string name, string value)
        {
            // The path parameter's example was substituted already: replace that segment by position in the template.
            var t = template.Split('/');
            var u = url.Split('/');
            for (var i = 0; i < t.Length && i < u.Length; i++)
                if (t[i] == "{" + name + "}") u[i] = Uri.EscapeDataString(value);
                else if (t[i].StartsWith("{" + name + "}", StringComparison.Ordinal)) u[i] = Uri.EscapeDataString(value) + t[i][(name.Length + 2)..];
            return string.Join('/', u);
        }

        private static JsonNode? Pointer(string json, string pointer)
        {
            if (pointer.Length == 0) return JsonValue.Create(json);
            JsonNode? node = JsonNode.Parse(json);
            foreach (var raw in pointer.Split('/').Skip(1))
            {
                var part = raw.Replace("~1", "/").Replace("~0", "~");
                node = node switch
                {
                    JsonObject o => o[part],
                    JsonArray a when int.TryParse(part, out var i) && i < a.Count => a[i],
                    _ => null,
                };
            }
            return node;
        }

        private static void SetPointer(JsonNode root, string pointer, JsonNode? value)
        {
            var parts = pointer.Split('/').Skip(1).ToArray();
            var node = root;
            foreach (var part in parts[..^1]) node = node[part]!;
            node[parts[^1]] = value;
        }

        private static string Shorten(string s) => s.Length > 400 ? s[..400] + "…" : s;
    }
}
