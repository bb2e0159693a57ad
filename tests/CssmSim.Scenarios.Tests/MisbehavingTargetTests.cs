using System.Net;
using CssmSim.Scenarios.Loading;
using CssmSim.Scenarios.Running;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace CssmSim.Scenarios.Tests;

/// <summary>
/// The scenario runner's control client against a target that misbehaves (WireMock standing in for
/// <c>--target URL</c>): every bad answer ends the run with an error that names the request and
/// what came back, never a hang, a crash or an exception out of <see cref="ScenarioRunner.RunAsync"/>.
/// </summary>
public sealed class MisbehavingTargetTests : IDisposable
{
    private const string Yaml = """
        name: against a misbehaving target
        steps:
          - createToken: { as: t }
        """;

    private readonly WireMockServer _target = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{FreePort()}"] });

    public void Dispose()
    {
        _target.Stop();
        _target.Dispose();
    }

    private Uri Target => new(_target.Url!);

    private void Answer(IResponseBuilder response, string path = "/*", int priority = 10) =>
        _target.Given(Request.Create().WithPath(path).UsingAnyMethod()).AtPriority(priority).RespondWith(response);

    // The reset a run starts with succeeds; what comes after misbehaves.
    private void ResetSucceeds() =>
        Answer(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{"reset":true}"""), "/_sim/reset", priority: 1);

    private Task<ScenarioResult> RunAsync(TimeSpan? timeout = null) =>
        Run.AgainstAsync(Target, ScenarioLoader.Load(Yaml, "test.yaml"), t => new RunOptions { Target = t, RequestTimeout = timeout ?? TimeSpan.FromSeconds(60) });

    [Fact]
    public async Task Malformed_json_from_the_control_api_fails_the_step_and_says_so()
    {
        ResetSucceeds();
        Answer(Response.Create().WithStatusCode(201).WithHeader("Content-Type", "application/json").WithBody("""{"id": "tok-1", "value": """));

        var result = await RunAsync();

        result.Passed.ShouldBeFalse();
        result.Error.ShouldNotBeNull().ShouldStartWith("step 'createToken' (line 3) failed: POST ");
        result.Error.ShouldContain("answered 201 with application/json that does not parse");
        result.ErrorLine.ShouldBe(3);
    }

    [Fact]
    public async Task A_truncated_body_fails_the_run_with_a_clear_error()
    {
        Answer(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{"reset":true}""").WithFault(FaultType.MALFORMED_RESPONSE_CHUNK));

        var result = await RunAsync();

        result.Passed.ShouldBeFalse();
        result.Error.ShouldNotBeNull().ShouldStartWith("POST /_sim/reset answered 200 with application/json that does not parse");
    }

    [Fact]
    public async Task A_429_names_the_request_and_the_retry_after()
    {
        Answer(Response.Create().WithStatusCode(429).WithHeader("Retry-After", "7").WithHeader("Content-Type", "text/plain").WithBody("slow down"));

        var result = await RunAsync();

        result.Passed.ShouldBeFalse();
        result.Error.ShouldBe("POST /_sim/reset answered 429 (Retry-After 7 s): slow down");
    }

    [Fact]
    public async Task A_slow_answer_ends_at_the_request_timeout()
    {
        Answer(Response.Create().WithStatusCode(200).WithBody("{}").WithDelay(TimeSpan.FromSeconds(5)));

        var result = await RunAsync(TimeSpan.FromMilliseconds(300));

        result.Passed.ShouldBeFalse();
        result.Error.ShouldNotBeNull().ShouldContain("got no answer within 0.3 s");
    }

    [Fact]
    public async Task An_empty_json_answer_where_a_token_was_expected_fails_the_step_instead_of_crashing()
    {
        ResetSucceeds();
        Answer(Response.Create().WithStatusCode(200).WithFault(FaultType.EMPTY_RESPONSE));

        var result = await RunAsync();

        result.Passed.ShouldBeFalse();
        result.Error.ShouldNotBeNull().ShouldStartWith("step 'createToken' (line 3) failed");
    }

    [Fact]
    public async Task A_dropped_connection_fails_the_run_and_names_the_target()
    {
        // A listener that resets every connection: the target's address answers, nothing comes back.
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Run.Ct);
        var resets = Task.Run(async () =>
        {
            // Every connection, should the client retry on a new one.
            while (!stop.IsCancellationRequested)
            {
                using var socket = await listener.AcceptSocketAsync(stop.Token);
                socket.LingerState = new System.Net.Sockets.LingerOption(true, 0);
                socket.Close();
            }
        });
        var target = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");

        var result = await Run.AgainstAsync(target, ScenarioLoader.Load(Yaml, "test.yaml"));
        await stop.CancelAsync();
        try { await resets; } catch (OperationCanceledException) { }

        result.Passed.ShouldBeFalse();
        result.Error.ShouldNotBeNull().ShouldContain(target.ToString());
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
