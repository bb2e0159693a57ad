using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace CssmSim.Server.Control;

/// <summary>
/// What the control API's OpenAPI document needs for Swagger UI's "Try it out" to work: the
/// <c>X-CssmSim-Key</c> security scheme (an Authorize button), path and query parameters with
/// example values, and request bodies with an example that succeeds against the demo seed.
/// Kept in one table by operation name, so the route files stay as they are.
/// </summary>
public static class ControlApiDocs
{
    public const string KeyScheme = "CssmSimKey";

    /// <summary>An example request of one operation: its route and query values and its body.</summary>
    public sealed record Example(string? Body = null, string ContentType = "application/json",
        IReadOnlyDictionary<string, string>? Route = null, IReadOnlyDictionary<string, string>? Query = null);

    private static readonly Dictionary<string, string> DemoAccount = new() { ["domain"] = "example.com" };
    private static readonly Dictionary<string, string> DemoVa = new() { ["domain"] = "example.com", ["va"] = "DEFAULT" };

    /// <summary>The example of each documented operation that takes input (the others take none).</summary>
    public static readonly IReadOnlyDictionary<string, Example> Examples = new Dictionary<string, Example>
    {
        ["SetClock"] = new("""{"advance": "P1D"}"""),
        ["MergeSeed"] = new("accounts:\n  - domain: docs-example.test\n    virtualAccounts: [DEFAULT]\n", "application/yaml"),
        ["Reset"] = new(Query: new Dictionary<string, string> { ["smartAccount"] = "example.com" }),
        ["Journal"] = new(Query: new Dictionary<string, string> { ["operation"] = "TRUST_ESTABLISHMENT" }),
        ["Certificate"] = new(Route: new Dictionary<string, string> { ["name"] = "ca.pem" }),
        ["AddFault"] = new("""{"name": "docs example", "match": {"surface": "smart-transport", "operation": "TRUST_ESTABLISHMENT"}, "when": {"nth": [1]}, "effect": {"error": "LS_LICENGINE_FAIL_TO_CONNECT"}, "enabled": false}"""),
        ["PatchFault"] = new("""{"enabled": true}""", Route: new Dictionary<string, string> { ["id"] = "token-max-uses-bottleneck" }),
        ["GetFault"] = new(Route: new Dictionary<string, string> { ["id"] = "token-max-uses-bottleneck" }),
        ["SetPollTransition"] = new("""{"action": "usage-files", "progression": "polls", "times": 2}"""),
        ["SetTimingProfile"] = new("""{"profile": "realistic"}"""),
        ["GetAccountPolicy"] = new(Route: DemoAccount),
        ["SetAccountPolicy"] = new("""{"policy_name": "Docs example", "unenforced_perpetual": {"reporting_frequency_days": 60}}""", Route: DemoAccount),
        ["ClearAccountPolicy"] = new(Route: DemoAccount),
        ["GetVirtualAccountPolicy"] = new(Route: DemoVa),
        ["SetVirtualAccountPolicy"] = new("""{"policy_name": "Docs example VA", "enforced": {"reporting_frequency_days": 90}}""", Route: DemoVa),
        ["ClearVirtualAccountPolicy"] = new(Route: DemoVa),
        ["DownloadVirtualAccountPolicyFile"] = new(Route: DemoVa),
        ["SimListLicenses"] = new(Route: DemoVa),
        ["SimListTokens"] = new(Route: DemoVa),
        ["SimCreateToken"] = new("""{"description": "docs example", "expiresAfterDays": 30, "maxUses": 5}""", Route: DemoVa),
        ["SimListProductInstances"] = new(Route: DemoVa),
        ["SimTrustCode"] = new("""{"udi_pid": "C9800-CL-K9", "udi_serial_number": "DOCS-EXAMPLE-1"}""", Route: DemoVa),
    };

    /// <summary>Adds the security scheme and the examples to <c>/_sim/openapi.json</c>.</summary>
    public static void Configure(OpenApiOptions o)
    {
        o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Components ??= new OpenApiComponents();
            doc.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            doc.Components.SecuritySchemes[KeyScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = "X-CssmSim-Key",
                Description = "The control API key, when one is configured (Control:ApiKey, or generated when listening beyond loopback).",
            };
            doc.Security ??= [];
            doc.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(KeyScheme, doc)] = [] });
            return Task.CompletedTask;
        });
        o.AddOperationTransformer((operation, context, _) =>
        {
            var name = context.Description.ActionDescriptor.EndpointMetadata.OfType<IEndpointNameMetadata>().FirstOrDefault()?.EndpointName;
            if (name is null || !Examples.TryGetValue(name, out var example)) return Task.CompletedTask;
            operation.Parameters ??= [];
            foreach (var (param, value) in example.Route ?? new Dictionary<string, string>())
            {
                if (operation.Parameters.FirstOrDefault(p => p.Name == param && p.In == ParameterLocation.Path) is OpenApiParameter existing)
                    existing.Example = JsonValue.Create(value);
                else
                    operation.Parameters.Add(new OpenApiParameter { Name = param, In = ParameterLocation.Path, Required = true, Example = JsonValue.Create(value), Schema = new OpenApiSchema { Type = JsonSchemaType.String } });
            }
            foreach (var (param, value) in example.Query ?? new Dictionary<string, string>())
                operation.Parameters.Add(new OpenApiParameter { Name = param, In = ParameterLocation.Query, Example = JsonValue.Create(value), Schema = new OpenApiSchema { Type = JsonSchemaType.String } });
            if (example.Body is { } body)
            {
                var json = example.ContentType == "application/json";
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        [example.ContentType] = new()
                        {
                            Schema = new OpenApiSchema { Type = json ? JsonSchemaType.Object : JsonSchemaType.String },
                            Example = json ? JsonNode.Parse(body) : JsonValue.Create(body),
                        },
                    },
                };
            }
            return Task.CompletedTask;
        });
    }
}
