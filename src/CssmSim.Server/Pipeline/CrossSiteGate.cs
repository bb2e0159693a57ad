using System.Net;
using CssmSim.Server.Hosting;

namespace CssmSim.Server.Pipeline;

/// <summary>
/// Keeps web pages from driving the control API of a simulator on the loopback (control.md
/// §Security). A browser sends <c>Origin</c> on cross-origin writes and cannot forge it, and a
/// DNS-rebinding page reaches the loopback under its own host name, so the control API answers
/// only requests whose <c>Host</c> is a name the simulator listens as and whose <c>Origin</c>
/// (when sent) is that same origin. Its body routes take only JSON or YAML: the types a page can
/// post without a CORS preflight (<c>text/plain</c>, forms) are refused. No CORS header is ever
/// served, so no other origin can read an answer either.
/// </summary>
public sealed class CrossSiteGate(RequestDelegate next, SimulatorOptions options)
{
    private readonly HashSet<string>? _hosts = HostNames(options.Urls);

    public Task InvokeAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "";
        if (!path.StartsWith("/_sim", StringComparison.OrdinalIgnoreCase)) return next(ctx);
        if (Refusal(ctx, path) is { } reason) return ApiErrors.WriteAsync(ctx, ApiFamily.Control, reason.Status, reason.Message);
        return next(ctx);
    }

    private (int Status, string Message)? Refusal(HttpContext ctx, string path)
    {
        var request = ctx.Request;
        var host = request.Host.Host;
        if (_hosts is not null && !_hosts.Contains(host.Trim('[', ']')))
            return (403, $"the control API does not answer for host '{request.Host}'; use the address the simulator listens on");
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && !SameOrigin(origin, request))
            return (403, $"cross-origin requests to the control API are refused (Origin '{origin}')");
        if (request.Headers["Sec-Fetch-Site"].ToString() is "cross-site" or "same-site")
            return (403, "cross-site requests to the control API are refused (Sec-Fetch-Site)");
        if (HasBody(request) && !path.StartsWith("/_sim/usage-files", StringComparison.OrdinalIgnoreCase)
            && !(RequestBodies.IsJson(request.ContentType) || RequestBodies.IsYaml(request.ContentType)))
            return (415, $"the control API takes application/json (or application/yaml for seeds); got '{request.ContentType ?? "no content type"}'");
        return null;
    }

    private static bool HasBody(HttpRequest r) => r.ContentLength > 0 || (r.ContentLength is null && r.Headers.TransferEncoding.Count > 0);

    private static bool SameOrigin(string origin, HttpRequest request)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var o)) return false; // "null" included
        if (!Uri.TryCreate($"{request.Scheme}://{request.Host.Value}", UriKind.Absolute, out var self)) return false;
        return o.Scheme.Equals(self.Scheme, StringComparison.OrdinalIgnoreCase)
            && o.IdnHost.Equals(self.IdnHost, StringComparison.OrdinalIgnoreCase)
            && o.Port == self.Port;
    }

    /// <summary>Loopback names plus every host in the listen URLs; null (any host) when one listens on all addresses.</summary>
    private static HashSet<string>? HostNames(IEnumerable<string> urls)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "localhost", "127.0.0.1", "::1" };
        foreach (var url in urls)
        {
            var rest = url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..];
            var end = rest.StartsWith('[') ? rest.IndexOf(']') + 1 : rest.IndexOfAny([':', '/']);
            var host = (end <= 0 ? rest : rest[..end]).Trim('[', ']');
            // A wildcard listener answers any name; beyond the loopback a control key is required anyway.
            if (host is "*" or "+" or "0.0.0.0" or "::" || (IPAddress.TryParse(host, out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))))
                return null;
            names.Add(host);
        }
        return names;
    }
}
