using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace CssmSim.Scenarios.Running;

/// <summary>A request the simulator refused, with its status and the problem it named.</summary>
public sealed class SimulatorRequestException(string message, HttpStatusCode? status = null, string? code = null) : Exception(message)
{
    public HttpStatusCode? Status { get; } = status;
    public string? Code { get; } = code;
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
        using var response = await SendRawAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw Refused(method, path, response.StatusCode, text);
        return text.Length == 0 ? null : TryParse(text);
    }

    public async Task<byte[]> GetBytesAsync(string path, CancellationToken ct)
    {
        using var response = await SendRawAsync(new HttpRequestMessage(HttpMethod.Get, path), ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        if (!response.IsSuccessStatusCode) throw Refused(HttpMethod.Get, path, response.StatusCode, Encoding.UTF8.GetString(bytes));
        return bytes;
    }

    public async Task<JsonNode?> PostBytesAsync(string path, byte[] content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(content) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await SendRawAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw Refused(HttpMethod.Post, path, response.StatusCode, text);
        return TryParse(text);
    }

    /// <summary>An OAuth access token for the CSSM API (client credentials).</summary>
    public async Task<string> AccessTokenAsync(string clientId, string clientSecret, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/as/token.oauth2")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("client_id", clientId), new("client_secret", clientSecret)]),
        };
        using var response = await SendRawAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw Refused(HttpMethod.Post, "/as/token.oauth2", response.StatusCode, text);
        return TryParse(text)?["access_token"]?.GetValue<string>() ?? throw new SimulatorRequestException("the token endpoint answered without an access_token");
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken ct)
    {
        try
        {
            return await Http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new SimulatorRequestException($"cannot reach the simulator at {Http.BaseAddress}: {e.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new SimulatorRequestException($"{request.Method} {request.RequestUri} got no answer within {Http.Timeout.TotalSeconds:0} s");
        }
    }

    private static JsonNode? TryParse(string text)
    {
        try { return JsonNode.Parse(text); }
        catch (System.Text.Json.JsonException) { return JsonValue.Create(text); }
    }

    private static SimulatorRequestException Refused(HttpMethod method, string path, HttpStatusCode status, string text)
    {
        var body = TryParse(text);
        string? code = null, detail = null;
        if (body is JsonObject o)
        {
            code = o["code"]?.ToString() ?? o["message_code"]?.ToString();
            detail = o["detail"]?.ToString() ?? o["title"]?.ToString() ?? o["message"]?.ToString() ?? o["statusMessage"]?.ToString() ?? o["error_description"]?.ToString();
            if (o["errors"] is JsonObject errors)
                detail += " (" + string.Join("; ", errors.Select(kv => $"{kv.Key}: {kv.Value?.ToJsonString()}")) + ")";
        }
        detail ??= text.Length > 300 ? text[..300] + "…" : text;
        return new SimulatorRequestException($"{method} {path} answered {(int)status}{(code is null ? "" : " " + code)}: {detail}", status, code);
    }
}
