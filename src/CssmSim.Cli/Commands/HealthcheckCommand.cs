using System.CommandLine;

namespace CssmSim.Cli.Commands;

/// <summary>
/// <c>cssmsim healthcheck</c>: exit 0 when the simulator answers <c>/_sim/ready</c> with a success
/// status, 1 otherwise. The container image's HEALTHCHECK runs it, so the image needs no curl.
/// </summary>
public static class HealthcheckCommand
{
    private const string DefaultUrls = "http://127.0.0.1:8080";

    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "The URL to probe (default /_sim/ready on the first address of Urls, as serve reads it: appsettings.json, then CSSMSIM__Urls; wildcard hosts become loopback)." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the answer (default 5).", DefaultValueFactory = _ => 5 };
        var cmd = new Command("healthcheck", "Exit 0 when the simulator answers /_sim/ready, 1 otherwise (for container health checks).") { url, timeout };
        cmd.SetAction(async (parse, ct) =>
        {
            var target = parse.GetValue(url) is { Length: > 0 } u
                ? new Uri(u)
                : ReadyUrl(ServeCommand.BuildConfiguration(new Dictionary<string, string?>())["Urls"]);
            // The probe only reads a status; the simulator's own dev certificate need not be trusted.
            using var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(timeout))) };
            try
            {
                using var response = await http.GetAsync(target, ct);
                Console.WriteLine($"{target} {(int)response.StatusCode}");
                return response.IsSuccessStatusCode ? 0 : 1;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Console.Error.WriteLine($"cssmsim: {target}: {e.Message}");
                return 1;
            }
        });
        return cmd;
    }

    /// <summary>
    /// <c>/_sim/ready</c> on the first listen address (an http one when there is one), with a wildcard
    /// host (<c>0.0.0.0</c>, <c>*</c>, <c>+</c>, <c>[::]</c>) replaced by the loopback address.
    /// </summary>
    public static Uri ReadyUrl(string? urls)
    {
        var all = (string.IsNullOrWhiteSpace(urls) ? DefaultUrls : urls)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var url = all.FirstOrDefault(u => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) ?? all.FirstOrDefault() ?? DefaultUrls;
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var scheme = schemeEnd < 0 ? "http" : url[..schemeEnd];
        var rest = schemeEnd < 0 ? url : url[(schemeEnd + 3)..];
        var slash = rest.IndexOf('/');
        var hostPort = slash < 0 ? rest : rest[..slash];
        var portAt = hostPort.StartsWith('[') ? hostPort.IndexOf(']') + 1 : hostPort.LastIndexOf(':');
        var host = portAt <= 0 ? hostPort : hostPort[..portAt];
        var port = portAt <= 0 ? "" : hostPort[portAt..];
        host = host switch
        {
            "0.0.0.0" or "*" or "+" => "127.0.0.1",
            "[::]" => "[::1]",
            _ => host,
        };
        return new Uri($"{scheme}://{host}{port}/_sim/ready");
    }
}
