using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace CssmSim.Server.ApiDocs;

/// <summary>
/// A value an example takes from an earlier call's answer: <see cref="Target"/> (<c>path:name</c>,
/// <c>query:name</c>, <c>header:name</c>, <c>body:/json/pointer</c>, or <c>body</c> for the whole
/// body; null when the earlier call only has to happen first) is set from the JSON pointer
/// <see cref="Pointer"/> ("" for the whole body) of the answer of <see cref="From"/> (an operation
/// id, or <c>operationId#example</c>); <see cref="Match"/>, when set, is a regular expression whose first
/// group picks the value out of that string (a field inside a returned file), and <see cref="DecodedPointer"/>,
/// when set, reads that match as base64 of JSON (a signed artefact's <c>&lt;data&gt;</c>) and takes this pointer in it. <c>bearer</c> as the
/// target sends the value as <c>Authorization: Bearer</c>. Published as <c>x-cssmsim-inputs</c>, so Swagger UI users
/// read what to paste and the example test can run the chain.
/// </summary>
public sealed record Input(string? Target, string From, string Pointer = "", string? Match = null, string? DecodedPointer = null);

/// <summary>One of several named request examples of an operation (Swagger UI's example selector).</summary>
/// <remarks><see cref="ExpectedError"/>: the documented business failure the example gets as written (its value is one only a device can compute).</remarks>
public sealed record NamedExample(string Summary, string Body, IReadOnlyList<Input>? Inputs = null, string? ExpectedError = null);

/// <summary>What one operation's documentation adds to the generated path: input examples, schemas and answers.</summary>
public sealed record OperationDoc
{
    public string? Description { get; init; }
    /// <summary>The request body example: JSON (or a form, written as a JSON object), or text for other content types.</summary>
    public string? Body { get; init; }
    public string ContentType { get; init; } = "application/json";
    public IReadOnlyDictionary<string, NamedExample>? Examples { get; init; }
    public IReadOnlyDictionary<string, string>? Route { get; init; }
    public IReadOnlyDictionary<string, string>? Query { get; init; }
    public IReadOnlyDictionary<string, string>? Headers { get; init; }
    public IReadOnlyList<Input>? Inputs { get; init; }
    /// <summary>The documented business failure (error code) the example gets as written: its input is one only a device can compute.</summary>
    public string? ExpectedError { get; init; }
    public int Status { get; init; } = 200;
    /// <summary>An example of the success answer (JSON, unless <see cref="ResponseContentType"/> says otherwise): its schema is derived from it.</summary>
    public string? Response { get; init; }
    public string ResponseContentType { get; init; } = "application/json";
    /// <summary>Error answers of this operation when they differ from the document's (status → example body).</summary>
    public IReadOnlyDictionary<int, string>? Errors { get; init; }
}

/// <summary>How a document is secured in Swagger UI.</summary>
public enum DocSecurity { None, ControlKey, Bearer }

/// <summary>One OpenAPI document: its routes (by group name), its operations' docs and its family's error shapes.</summary>
public sealed record DocumentDefinition(
    string Name,
    string GroupName,
    string Title,
    string Description,
    IReadOnlyDictionary<string, OperationDoc> Operations,
    IReadOnlyDictionary<int, string> Errors,
    DocSecurity Security,
    IReadOnlySet<string>? Unsecured = null);

/// <summary>Applies a <see cref="DocumentDefinition"/> to Microsoft.AspNetCore.OpenApi's generated document.</summary>
public static class OperationDocs
{
    public const string ControlKeyScheme = "CssmSimKey";
    public const string OAuthScheme = "OAuth2";
    public const string BearerScheme = "Bearer";
    public const string InputsExtension = "x-cssmsim-inputs";
    public const string ExpectedErrorExtension = "x-cssmsim-expected-error";
    /// <summary>The client-credentials token URL Swagger UI's Authorize calls.</summary>
    public const string TokenUrl = "/as/token.oauth2";

    public static void Configure(OpenApiOptions o, DocumentDefinition def)
    {
        o.ShouldInclude = d => d.GroupName == def.GroupName;
        o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = def.Title;
            doc.Info.Description = def.Description;
            AddSecurity(doc, def.Security);
            return Task.CompletedTask;
        });
        o.AddOperationTransformer((operation, context, _) =>
        {
            var name = context.Description.ActionDescriptor.EndpointMetadata.OfType<IEndpointNameMetadata>().FirstOrDefault()?.EndpointName;
            if (name is not null && def.Security == DocSecurity.Bearer && def.Unsecured?.Contains(name) == true) operation.Security = [];
            var doc = name is null ? null : def.Operations.GetValueOrDefault(name);
            Apply(operation, doc ?? new OperationDoc(), def.Errors);
            return Task.CompletedTask;
        });
    }

    private static void AddSecurity(OpenApiDocument doc, DocSecurity security)
    {
        if (security == DocSecurity.None) return;
        doc.Components ??= new OpenApiComponents();
        doc.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        doc.Security ??= [];
        if (security == DocSecurity.ControlKey)
        {
            doc.Components.SecuritySchemes[ControlKeyScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = "X-CssmSim-Key",
                Description = "The control API key, when one is configured (Control:ApiKey, or generated when listening beyond loopback).",
            };
            doc.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ControlKeyScheme, doc)] = [] });
            return;
        }
        doc.Components.SecuritySchemes[OAuthScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.OAuth2,
            Description = "OAuth2 client credentials at /as/token.oauth2: the demo seed's client is cssmsim / cssmsim.",
            Flows = new OpenApiOAuthFlows
            {
                ClientCredentials = new OpenApiOAuthFlow { TokenUrl = new Uri(TokenUrl, UriKind.Relative), Scopes = new Dictionary<string, string>() },
            },
        };
        doc.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An access_token from POST /as/token.oauth2 (or /oauth2/default/v1/token), pasted as is.",
        };
        // Either scheme authorizes a call.
        doc.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(OAuthScheme, doc)] = [] });
        doc.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, doc)] = [] });
    }

    private static void Apply(OpenApiOperation operation, OperationDoc doc, IReadOnlyDictionary<int, string> errors)
    {
        if (doc.Description is { } description) operation.Description = description;
        operation.Parameters ??= [];
        SetParameters(operation, ParameterLocation.Path, doc.Route);
        SetParameters(operation, ParameterLocation.Query, doc.Query);
        SetParameters(operation, ParameterLocation.Header, doc.Headers);
        if (doc.Inputs is { Count: > 0 } inputs)
        {
            operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            operation.Extensions[InputsExtension] = new JsonNodeExtension(InputsNode(inputs));
            operation.Description = Join(operation.Description, Describe(inputs));
        }
        if (doc.ExpectedError is { } expected)
        {
            operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            operation.Extensions[ExpectedErrorExtension] = new JsonNodeExtension(JsonValue.Create(expected));
        }
        if (doc.Body is not null || doc.Examples is not null) operation.RequestBody = RequestBody(doc);

        operation.Responses ??= new OpenApiResponses();
        var success = doc.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (doc.Response is not null || !operation.Responses.ContainsKey(success))
        {
            // The handlers write their answers themselves, so the generated "200 OK" says nothing: replaced by the documented one.
            if (doc.Response is not null) operation.Responses.Clear();
            operation.Responses[success] = Response("Success", doc.Response, doc.ResponseContentType);
        }
        foreach (var (status, example) in doc.Errors ?? errors)
            operation.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Response(ErrorDescription(status), example, "application/json");
    }

    private static void SetParameters(OpenApiOperation operation, ParameterLocation where, IReadOnlyDictionary<string, string>? values)
    {
        foreach (var (param, value) in values ?? new Dictionary<string, string>())
        {
            if (operation.Parameters!.FirstOrDefault(p => string.Equals(p.Name, param, StringComparison.OrdinalIgnoreCase) && p.In == where) is OpenApiParameter existing)
                existing.Example = JsonValue.Create(value);
            else
                operation.Parameters!.Add(new OpenApiParameter
                {
                    Name = param, In = where, Required = where != ParameterLocation.Query,
                    Example = JsonValue.Create(value), Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                });
        }
    }

    private static OpenApiRequestBody RequestBody(OperationDoc doc)
    {
        var media = new OpenApiMediaType();
        if (doc.Examples is { } examples)
        {
            media.Examples = new Dictionary<string, IOpenApiExample>();
            JsonNode? first = null;
            foreach (var (key, ex) in examples)
            {
                var value = Value(ex.Body, doc.ContentType);
                first ??= value;
                var example = new OpenApiExample { Summary = ex.Summary, Value = value, Extensions = new Dictionary<string, IOpenApiExtension>() };
                if (ex.Inputs is { Count: > 0 } inputs)
                {
                    example.Description = Describe(inputs);
                    example.Extensions[InputsExtension] = new JsonNodeExtension(InputsNode(inputs));
                }
                if (ex.ExpectedError is { } expected)
                {
                    example.Description = Join(example.Description, $"As written it gets the documented failure `{expected}`: the value is one the device computes.");
                    example.Extensions[ExpectedErrorExtension] = new JsonNodeExtension(JsonValue.Create(expected));
                }
                media.Examples[key] = example;
            }
            media.Schema = SchemaOf(first, doc.ContentType);
        }
        else
        {
            media.Example = Value(doc.Body!, doc.ContentType);
            media.Schema = SchemaOf(media.Example, doc.ContentType);
        }
        return new OpenApiRequestBody { Required = true, Content = new Dictionary<string, OpenApiMediaType> { [doc.ContentType] = media } };
    }

    private static OpenApiResponse Response(string description, string? example, string contentType)
    {
        var response = new OpenApiResponse { Description = description };
        if (example is null) return response;
        var value = Value(example, contentType);
        response.Content = new Dictionary<string, OpenApiMediaType> { [contentType] = new() { Schema = SchemaOf(value, contentType), Example = value } };
        return response;
    }

    private static bool IsStructured(string contentType) =>
        contentType.Contains("json", StringComparison.OrdinalIgnoreCase) || contentType == "application/x-www-form-urlencoded";

    private static JsonNode? Value(string text, string contentType) => IsStructured(contentType) ? JsonNode.Parse(text) : JsonValue.Create(text);

    /// <summary>A JSON Schema derived from an example: the types and members a client can rely on.</summary>
    public static OpenApiSchema SchemaOf(JsonNode? node, string contentType = "application/json")
    {
        if (!IsStructured(contentType)) return new OpenApiSchema { Type = JsonSchemaType.String };
        switch (node)
        {
            case JsonObject o:
                var schema = new OpenApiSchema { Type = JsonSchemaType.Object, Properties = new Dictionary<string, IOpenApiSchema>() };
                foreach (var (k, v) in o) schema.Properties[k] = SchemaOf(v);
                return schema;
            case JsonArray a:
                return new OpenApiSchema { Type = JsonSchemaType.Array, Items = a.Count > 0 ? SchemaOf(a[0]) : new OpenApiSchema() };
            case JsonValue v:
                return v.GetValueKind() switch
                {
                    JsonValueKind.String => new OpenApiSchema { Type = JsonSchemaType.String },
                    JsonValueKind.True or JsonValueKind.False => new OpenApiSchema { Type = JsonSchemaType.Boolean },
                    JsonValueKind.Number => new OpenApiSchema { Type = v.ToJsonString().Contains('.') ? JsonSchemaType.Number : JsonSchemaType.Integer },
                    _ => new OpenApiSchema(),
                };
            default:
                // An example null: the member is present and may be null; its type is not shown by the example.
                return new OpenApiSchema { Type = JsonSchemaType.Null | JsonSchemaType.String };
        }
    }

    private static JsonArray InputsNode(IEnumerable<Input> inputs) => new(inputs.Select(i => (JsonNode)new JsonObject
    {
        ["target"] = i.Target, ["from"] = i.From, ["pointer"] = i.Pointer, ["match"] = i.Match, ["decodedPointer"] = i.DecodedPointer,
    }).ToArray());

    private static string Describe(IEnumerable<Input> inputs) => string.Join(" ", inputs.Select(i => i.Target is null
        ? $"Run `{i.From}` first."
        : $"`{i.Target}` comes from the answer of `{i.From}`{(i.Pointer.Length > 0 ? $" (`{i.Pointer}`)" : " (its whole body)")}"
            + (i.DecodedPointer is null ? "" : $", base64-decoding its `<data>` and taking `{i.DecodedPointer}`")
            + ": run it first and paste the value."));

    private static string Join(string? a, string b) => string.IsNullOrEmpty(a) ? b : a + "\n\n" + b;

    private static string ErrorDescription(int status) => status switch
    {
        400 => "Bad request (the HTTP layer, or a business error of the family)",
        401 => "Missing, unknown or expired credentials",
        403 => "The caller may not act on that account",
        404 => "Unknown account, Virtual Account or object",
        409 => "Refused: the state does not allow it",
        413 => "Body over the size limit",
        415 => "Wrong content type",
        _ => Pipeline.ApiErrors.TitleFor(status),
    };
}
