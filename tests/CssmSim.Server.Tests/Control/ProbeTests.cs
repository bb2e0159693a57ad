using System.Collections.Concurrent;
using System.Net;
using CssmSim.Engine.Storage;
using CssmSim.Server.Hosting;
using CssmSim.Server.Tests.Support;
using CssmSim.Testing;
using Microsoft.Extensions.Logging;

namespace CssmSim.Server.Tests.Control;

/// <summary>
/// <c>/_sim/health</c> and <c>/_sim/ready</c> are answered right after routing: they keep their
/// request ids, but pass no further middleware, so a probe every few seconds writes no request log
/// line and is not refused for the host name a container runtime uses.
/// </summary>
public sealed class ProbeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_probes_carry_request_ids_but_write_no_request_log_line()
    {
        var lines = new ConcurrentQueue<string>();
        var certsLogged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Write(string line)
        {
            lines.Enqueue(line);
            if (line.Contains("RequestLogging: GET /_sim/certs 200", StringComparison.Ordinal)) certsLogged.TrySetResult();
        }
        var options = new SimulatorOptions { Urls = ["http://127.0.0.1:0"], Store = StoreLocation.Memory, MinimumLogLevel = LogLevel.Information };
        await using var server = await SimulatorApp.CreateAsync(options, b => b.Logging.AddProvider(new LineLoggerProvider(Write)), Ct);
        await server.StartAsync(Ct);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        using var health = await http.GetAsync("/_sim/health", Ct);
        using var ready = await http.GetAsync("/_sim/ready", Ct);
        // One connection answers one request after the other, so the probes' lines would come before this one's.
        using var certs = await http.GetAsync("/_sim/certs", Ct);
        await certsLogged.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        health.StatusCode.ShouldBe(HttpStatusCode.OK);
        ready.StatusCode.ShouldBe(HttpStatusCode.OK);
        health.Headers.GetValues("X-Request-Id").Single().ShouldNotBeNullOrEmpty();
        ready.Headers.GetValues("X-Correlation-Id").Single().ShouldBe(ready.Headers.GetValues("X-Request-Id").Single());
        lines.ShouldNotContain(l => l.Contains("RequestLogging:", StringComparison.Ordinal) && l.Contains("/_sim/health", StringComparison.Ordinal));
        lines.ShouldNotContain(l => l.Contains("RequestLogging:", StringComparison.Ordinal) && l.Contains("/_sim/ready", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/_sim/health")]
    [InlineData("/_sim/ready")]
    public async Task A_probe_answers_under_a_host_name_the_control_api_refuses(string path)
    {
        await using var sim = await TestSimulator.StartAsync();
        using var probe = new HttpRequestMessage(HttpMethod.Get, path);
        probe.Headers.Host = "probe.cluster.internal:8080";
        using var control = new HttpRequestMessage(HttpMethod.Get, "/_sim/journal");
        control.Headers.Host = "probe.cluster.internal:8080";

        using var probed = await sim.Http.SendAsync(probe, Ct);
        using var refused = await sim.Http.SendAsync(control, Ct);

        probed.StatusCode.ShouldBe(HttpStatusCode.OK, await probed.Content.ReadAsStringAsync(Ct));
        refused.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }
}
