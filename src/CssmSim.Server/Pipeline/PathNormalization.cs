using System.Text;

namespace CssmSim.Server.Pipeline;

/// <summary>The path as the client sent it, for the journal.</summary>
internal sealed record OriginalPathFeature(string Path);

/// <summary>
/// Routes the paths real clients send (cssm-api.md §Hosts, paths, transport): repeated slashes
/// collapse, a trailing slash is ignored, and Cisco samples' doubled
/// <c>/services/api/services/api/</c> prefix is undone. Rewrites in place: never a redirect,
/// because some clients refuse to follow one.
/// </summary>
internal sealed class PathNormalization(RequestDelegate next)
{
    private const string Doubled = "/services/api/services/api/";

    public Task InvokeAsync(HttpContext ctx)
    {
        var original = ctx.Request.Path.Value ?? "/";
        var normalized = Normalize(original);
        if (!ReferenceEquals(normalized, original))
        {
            ctx.Features.Set(new OriginalPathFeature(original));
            ctx.Request.Path = new PathString(normalized);
        }
        return next(ctx);
    }

    public static string Normalize(string path)
    {
        if (path.Length <= 1) return path;
        var needsWork = path.Contains("//", StringComparison.Ordinal) || path[^1] == '/'
            || path.StartsWith(Doubled, StringComparison.OrdinalIgnoreCase);
        if (!needsWork) return path;
        var sb = new StringBuilder(path.Length);
        foreach (var ch in path)
        {
            if (ch == '/' && sb.Length > 0 && sb[^1] == '/') continue;
            sb.Append(ch);
        }
        while (sb.Length > 1 && sb[^1] == '/') sb.Length--;
        var result = sb.ToString();
        while (result.StartsWith(Doubled, StringComparison.OrdinalIgnoreCase))
            result = "/services/api/" + result[Doubled.Length..];
        return result;
    }
}
