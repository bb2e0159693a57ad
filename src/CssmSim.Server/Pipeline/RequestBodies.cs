using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CssmSim.Server.Pipeline;

/// <summary>
/// Reads request bodies with a size cap and a content-type check, turning every way a body can be
/// wrong into an <see cref="ApiException"/> (413, 415, 400) that the family renderer answers.
/// </summary>
public static class RequestBodies
{
    public const long JsonLimit = 1024 * 1024;
    public const int MaxJsonDepth = 64;

    /// <summary>Reads the whole body, at most <paramref name="maxBytes"/>.</summary>
    public static async Task<byte[]> ReadBytesAsync(HttpContext ctx, long maxBytes)
    {
        if (ctx.Request.ContentLength > maxBytes) throw TooLarge(maxBytes);
        using var ms = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await ctx.Request.Body.ReadAsync(buffer, ctx.RequestAborted)) > 0)
        {
            if (ms.Length + n > maxBytes) throw TooLarge(maxBytes);
            ms.Write(buffer, 0, n);
        }
        return ms.ToArray();
    }

    /// <summary>
    /// A JSON body: content type JSON (or absent), at most <paramref name="maxBytes"/>, well-formed
    /// UTF-8 JSON no deeper than <see cref="MaxJsonDepth"/>.
    /// </summary>
    public static async Task<JsonNode> ReadJsonAsync(HttpContext ctx, long maxBytes = JsonLimit)
    {
        RequireJsonContentType(ctx);
        var bytes = await ReadBytesAsync(ctx, maxBytes);
        return ParseJson(bytes);
    }

    public static JsonNode ParseJson(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty || bytes.Trim((byte)' ').IsEmpty) throw new ApiException(400, "request body is empty; expected JSON");
        // The parser leaves bad bytes inside strings for later reads to trip on (a 500 then, or never
        // for an ignored key): JSON is UTF-8, so refuse the whole body up front.
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw new ApiException(400, "request body is not valid UTF-8");
        JsonNode node;
        try
        {
            node = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = MaxJsonDepth, AllowDuplicateProperties = false })
                ?? throw new ApiException(400, "request body is JSON null; expected an object");
        }
        catch (JsonException e)
        {
            throw new ApiException(400, "request body is not valid JSON: " + e.Message);
        }
        // One check for every JSON route: a lone-surrogate escape would throw wherever the string is read.
        if (Engine.Validation.JsonEscapes.FindLoneSurrogate(bytes, new JsonReaderOptions { MaxDepth = MaxJsonDepth }) is { } bad)
            throw new ApiException(400, "request body is not valid JSON: " + bad);
        return node;
    }

    public static void RequireJsonContentType(HttpContext ctx)
    {
        var ct = ctx.Request.ContentType;
        if (ct is null) return;
        if (!IsJson(ct)) throw new ApiException(415, $"content type '{ct}' is not supported; send application/json");
    }

    public static bool IsJson(string? contentType)
    {
        if (contentType is null) return false;
        var media = contentType.Split(';')[0].Trim();
        return media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    public static bool IsForm(string? contentType) =>
        contentType is not null && contentType.Split(';')[0].Trim().Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);

    public static bool IsYaml(string? contentType)
    {
        var media = contentType?.Split(';')[0].Trim() ?? "";
        return media.Equals("application/yaml", StringComparison.OrdinalIgnoreCase)
            || media.Equals("application/x-yaml", StringComparison.OrdinalIgnoreCase)
            || media.Equals("text/yaml", StringComparison.OrdinalIgnoreCase)
            || media.Equals("text/x-yaml", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Strict UTF-8 decoding: invalid bytes are the client's error, not silently replaced.</summary>
    public static string DecodeUtf8(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new ApiException(400, "request body is not valid UTF-8");
        }
    }

    private static ApiException TooLarge(long max) => new(413, $"request body is larger than the {max}-byte limit of this route");
}
