using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace CssmSim.Scenarios.Running;

/// <summary>A request the simulator refused, with its status and the problem it named.</summary>
public sealed class SimulatorRequestException(string message, HttpStatusCode? status = null, string? code = null, TimeSpan? retryAfter = null) : Exception(message)
{
    public HttpStatusCode? Status { get; } = status;
    public string? Code { get; } = code;

    /// <summary>How long the simulator asked to wait before retrying (<c>Retry-After</c>), when it said.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>The control API (<c>/_sim/*</c>) and the few CSSM API calls a scenario needs, over HTTP.</summary>
internal sealed class ControlClient(HttpClient http)
{
    public HttpClient Http { get; } = http;

    public Task<JsonNode?> GetAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, ct);

    public Task<JsonNode?> PostAsync(string path, JsonNode? body, CancellationToken ct) => SendAsync(HttpMethod.Post, path, body, ct);

    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct, string? bearer = null,
        IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>()) request.Headers.TryAddWithoutValidation(name, value);
        var reply = await SendRawAsync(request, ct);
        var text = Encoding.UTF8.GetString(reply.Body);
        if (!reply.Succeeded) throw Refused(method, path, reply, text);
        return text.Length == 0 ? null : Parse(method, path, reply, text);
    }

    public async Task<byte[]> GetBytesAsync(string path, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        var reply = await SendRawAsync(request, ct);
        if (!reply.Succeeded) throw Refused(HttpMethod.Get, path, reply, Encoding.UTF8.GetString(reply.Body));
        return reply.Body;
    }

    public async Task<JsonNode?> PostBytesAsync(string path, byte[] content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(content) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var reply = await SendRawAsync(request, ct);
        var text = Encoding.UTF8.GetString(reply.Body);
        if (!reply.Succeeded) throw Refused(HttpMethod.Post, path, reply, text);
        return Parse(HttpMethod.Post, path, reply, text);
    }

    /// <summary>An OAuth access token for the CSSM API (client credentials).</summary>
    public async Task<string> AccessTokenAsync(string clientId, string clientSecret, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/as/token.oauth2")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("client_id", clientId), new("client_secret", clientSecret)]),
        };
        var reply = await SendRawAsync(request, ct);
        var text = Encoding.UTF8.GetString(reply.Body);
        if (!reply.Succeeded) throw Refused(HttpMethod.Post, "/as/token.oauth2", reply, text);
        return Parse(HttpMethod.Post, "/as/token.oauth2", reply, text) is JsonObject o && o["access_token"] is JsonValue token && token.TryGetValue<string>(out var value)
            ? value
            : throw new SimulatorRequestException("the token endpoint answered without an access_token", reply.Status);
    }

    private sealed record Reply(HttpStatusCode Status, string? MediaType, TimeSpan? RetryAfter, byte[] Body)
    {
        public bool Succeeded => (int)Status is >= 200 and < 300;
    }

    // The whole reply is read inside the timeout and the error handling: a body cut off by a dropped
    // connection is a failed request that says so, not an exception from whoever reads it later.
    private async Task<Reply> SendRawAsync(HttpRequestMessage request, CancellationToken ct)
    {
        try
        {
            using var response = await Http.SendAsync(request, ct);
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            var retryAfter = response.Headers.RetryAfter is { } r ? r.Delta ?? (r.Date - DateTimeOffset.UtcNow) : null;
            return new Reply(response.StatusCode, response.Content.Headers.ContentType?.MediaType, retryAfter, body);
        }
        catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse)
        {
            throw new SimulatorRequestException($"{request.Method} {request.RequestUri}: the simulator at {Http.BaseAddress} dropped the connection before a whole reply ({Innermost(e)})");
        }
        catch (HttpRequestException e)
        {
            throw new SimulatorRequestException($"cannot reach the simulator at {Http.BaseAddress}: {Innermost(e)}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new SimulatorRequestException($"{request.Method} {request.RequestUri} got no answer within {Http.Timeout.TotalSeconds:0.###} s");
        }
    }

    private static string Innermost(Exception e)
    {
        var messages = new List<string>();
        for (var x = e; x is not null; x = x.InnerException) messages.Add(x.Message);
        return string.Join(" <- ", messages.Distinct());
    }

    // A JSON reply that does not parse (cut off, or not JSON at all) is an error; a text reply is its text.
    private static JsonNode? Parse(HttpMethod method, string path, Reply reply, string text)
    {
        if (text.Length > 0 && reply.MediaType is { } type && (type.EndsWith("/json", StringComparison.OrdinalIgnoreCase) || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase)))
        {
            try
            {
                return JsonNode.Parse(text);
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new SimulatorRequestException(
                    $"{method} {path} answered {(int)reply.Status} with {type} that does not parse, cut off or malformed ({text.Length} characters; {e.Message}): {Snippet(text)}", reply.Status);
            }
        }
        return TryParse(text);
    }

    private static string Snippet(string text) => text.Length <= 300 ? text : text[..300] + "…";

    private static JsonNode? TryParse(string text)
    {
        try { return JsonNode.Parse(text); }
        catch (System.Text.Json.JsonException) { return JsonValue.Create(text); }
    }

    private static SimulatorRequestException Refused(HttpMethod method, string path, Reply reply, string text)
    {
        var status = reply.Status;
        var body = TryParse(text);
        string? code = null, detail = null;
        if (body is JsonObject o)
        {
            code = o["code"]?.ToString() ?? o["message_code"]?.ToString();
            detail = o["detail"]?.ToString() ?? o["title"]?.ToString() ?? o["message"]?.ToString() ?? o["statusMessage"]?.ToString() ?? o["error_description"]?.ToString();
            if (o["errors"] is JsonObject errors)
                detail += " (" + string.Join("; ", errors.Select(kv => $"{kv.Key}: {kv.Value?.ToJsonString()}")) + ")";
        }
        detail ??= Snippet(text);
        var retry = reply.RetryAfter is { } r ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $" (Retry-After {Math.Max(0, r.TotalSeconds):0} s)") : "";
        return new SimulatorRequestException($"{method} {path} answered {(int)status}{(code is null ? "" : " " + code)}{retry}: {detail}", status, code, reply.RetryAfter);
    }
}
