using System.Net;
using CssmSim.Testing.Devices;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace CssmSim.Testing.Tests;

/// <summary>
/// A simulated product instance against a CSSM that misbehaves (WireMock, not the simulator): each
/// kind of bad answer ends the call with a <see cref="SmartTransportException"/> that says which
/// request, where, and what came back, never a hang, a JsonException or a NullReferenceException.
/// </summary>
public sealed class MisbehavingCssmTests : IDisposable
{
    private const string Transport = "/licservice/license";
    private readonly WireMockServer _cssm = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{FreePort()}"] });
    private readonly HttpClient _http;

    public MisbehavingCssmTests() => _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri(_cssm.Url!) };

    public void Dispose()
    {
        _http.Dispose();
        _cssm.Stop();
        _cssm.Dispose();
    }

    private SimulatedProductInstance Device() => new(_http, "C9800-CL-K9", "WIREMOCK1");

    private void Answer(IResponseBuilder response, string path = Transport) =>
        _cssm.Given(Request.Create().WithPath(path).UsingAnyMethod()).RespondWith(response);

    [Fact]
    public async Task Malformed_json_is_an_invalid_reply_that_names_the_request()
    {
        Answer(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{"status": COMPLETE, """));

        var e = await Should.ThrowAsync<SmartTransportException>(() => Device().EstablishTrustAsync("token"));

        e.Failure.ShouldBe(TransportFailure.InvalidReply);
        e.Status.ShouldBe(HttpStatusCode.OK);
        e.Message.ShouldContain("TRUST_ESTABLISHMENT to " + _cssm.Url + Transport);
        e.Message.ShouldContain("not JSON or was cut off");
    }

    [Fact]
    public async Task A_reply_cut_off_mid_body_is_an_invalid_reply()
    {
        Answer(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{"header":{"version":"1.0"},"status":"COMP"""));

        var e = await Should.ThrowAsync<SmartTransportException>(() => Device().ReportUsageAsync([("regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896", 1)]));

        e.Failure.ShouldBe(TransportFailure.InvalidReply);
        e.Message.ShouldContain("USAGE_REPORTING to ");
        e.Message.ShouldContain("cut off");
    }

    [Fact]
    public async Task Garbage_then_a_closed_connection_is_an_invalid_reply()
    {
        Answer(Response.Create().WithStatusCode(200).WithBody("""{"status":"COMPLETE","data":{}}""").WithFault(FaultType.MALFORMED_RESPONSE_CHUNK));

        var e = await Should.ThrowAsync<SmartTransportException>(() => Device().EstablishTrustAsync("token"));

        e.Failure.ShouldBe(TransportFailure.InvalidReply);
        e.Message.ShouldContain("TRUST_ESTABLISHMENT to ");
        e.Message.ShouldContain("not JSON or was cut off");
        e.Message.ShouldNotContain("\u000b");
        e.Message.Any(c => c < ' ' && c != '\n').ShouldBeFalse();
    }

    [Fact]
    public async Task An_empty_response_is_an_invalid_reply()
    {
        Answer(Response.Create().WithFault(FaultType.EMPTY_RESPONSE));

        var e = await Should.ThrowAsync<SmartTransportException>(() => Device().EstablishTrustAsync("token"));

        e.Failure.ShouldBe(TransportFailure.InvalidReply);
        e.Message.ShouldContain("with an empty body");
    }

    [Fact]
    public async Task A_connection_reset_before_any_reply_is_a_connection_failure()
    {
        // WireMock always answers something; a listener that resets each connection is a CSSM behind a failing load balancer.
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
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
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}") };

        var e = await Should.ThrowAsync<SmartTransportException>(() => new SimulatedProductInstance(http, "C9800-CL-K9", "RESET1").EstablishTrustAsync("token"));
        await stop.CancelAsync();
        try { await resets; } catch (OperationCanceledException) { }

        e.Failure.ShouldBe(TransportFailure.ConnectionFailed);
        e.Message.ShouldContain("the connection failed or was dropped");
        e.InnerException.ShouldBeOfType<HttpRequestException>();
    }

    [Fact]
    public async Task A_cssm_that_is_gone_is_a_connection_failure()
    {
        var device = Device();
        _cssm.Stop();

        var e = await Should.ThrowAsync<SmartTransportException>(() => device.EstablishTrustAsync("token"));

        e.Failure.ShouldBe(TransportFailure.ConnectionFailed);
        e.Message.ShouldContain("TRUST_ESTABLISHMENT to ");
    }

    [Fact]
    public async Task A_429_with_retry_after_says_how_long_to_wait()
    {
        Answer(Response.Create().WithStatusCode(429).WithHeader("Retry-After", "30").WithHeader("Content-Type", "text/html").WithBody("<html>Too Many Requests</html>"));

        var e = await Should.ThrowAsync<SmartTransportException>(() => Device().EstablishTrustAsync("token"));

        e.Failure.ShouldBe(TransportFailure.HttpStatus);
        e.Status.ShouldBe(HttpStatusCode.TooManyRequests);
        e.RetryAfter.ShouldBe(TimeSpan.FromSeconds(30));
        e.Message.ShouldContain("answered 429 TooManyRequests (Retry-After 30 s)");
        e.Message.ShouldContain("Too Many Requests");
    }

    [Fact]
    public async Task A_slow_answer_ends_at_the_devices_timeout()
    {
        Answer(Response.Create().WithStatusCode(200).WithBody("""{"status":"COMPLETE"}""").WithDelay(TimeSpan.FromSeconds(5)));
        var device = Device();
        device.RequestTimeout = TimeSpan.FromMilliseconds(300);

        var e = await Should.ThrowAsync<SmartTransportException>(() => device.EstablishTrustAsync("token"));

        e.Failure.ShouldBe(TransportFailure.Timeout);
        e.Message.ShouldContain("got no whole reply within 0.3 s");
    }

    [Fact]
    public async Task Cancelling_the_call_is_a_cancellation_not_a_timeout()
    {
        Answer(Response.Create().WithStatusCode(200).WithBody("""{"status":"COMPLETE"}""").WithDelay(TimeSpan.FromSeconds(5)));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Should.ThrowAsync<OperationCanceledException>(() => Device().EstablishTrustAsync("token", ct: cts.Token));
    }

    [Fact]
    public async Task A_complete_reply_without_its_trust_codes_is_an_invalid_reply_not_a_null_reference()
    {
        Answer(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
            .WithBody("""{"status":"COMPLETE","data":{"trust_codes":[{"sudi":{}}]}}"""));
        Answer(Response.Create().WithStatusCode(200).WithBody("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"), "/_sim/certs/signing.pem");

        var e = await Should.ThrowAsync<SmartTransportException>(() => Device().EstablishTrustAsync("token"));

        e.Failure.ShouldBe(TransportFailure.InvalidReply);
        e.Message.ShouldContain("a COMPLETE trust reply does not read");
    }

    [Fact]
    public async Task An_error_page_instead_of_the_signing_certificate_is_an_http_failure()
    {
        Answer(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
            .WithBody("""{"status":"COMPLETE","data":{"trust_codes":[]}}"""));
        Answer(Response.Create().WithStatusCode(503).WithHeader("Retry-After", "5").WithBody("maintenance"), "/_sim/certs/signing.pem");

        var e = await Should.ThrowAsync<SmartTransportException>(() => Device().EstablishTrustAsync("token"));

        e.Failure.ShouldBe(TransportFailure.HttpStatus);
        e.RetryAfter.ShouldBe(TimeSpan.FromSeconds(5));
        e.Message.ShouldContain("/_sim/certs/signing.pem answered 503");
    }

    [Fact]
    public async Task A_failed_reply_object_is_still_the_answer_whatever_its_status()
    {
        Answer(Response.Create().WithStatusCode(503).WithHeader("Content-Type", "application/json")
            .WithBody("""{"status":"FAILED","error":{"code":"SERVICE_UNAVAILABLE","message":"down"}}"""));

        var result = await Device().EstablishTrustAsync("token");

        result.Trusted.ShouldBeFalse();
        result.ErrorCode.ShouldBe("SERVICE_UNAVAILABLE");
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
