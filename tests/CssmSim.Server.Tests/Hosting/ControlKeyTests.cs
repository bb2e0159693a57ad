using System.Net;
using CssmSim.Engine.Storage;
using CssmSim.Server.Hosting;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.Hosting;

public sealed class ControlKeyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_a_key_configured_the_control_api_requires_it_but_health_stays_open()
    {
        await using var sim = await TestSimulator.StartAsync(o => o.ControlApiKey = "s3cret");

        using var without = await sim.Http.GetAsync("/_sim/journal", Ct);
        using var wrong = await Send(sim, "/_sim/journal", "nope");
        using var right = await Send(sim, "/_sim/journal", "s3cret");
        using var health = await sim.Http.GetAsync("/_sim/health", Ct);

        without.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        without.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        wrong.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        right.StatusCode.ShouldBe(HttpStatusCode.OK);
        health.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task On_loopback_without_a_configured_key_the_control_api_is_open()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.GetAsync("/_sim/journal", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        sim.Server.ControlKey.Value.ShouldBeNull();
    }

    [Fact]
    public async Task Listening_beyond_loopback_generates_a_key_once_saves_it_private_and_reuses_it()
    {
        // Built but never started: nothing binds to a public address in tests.
        var dir = Directory.CreateTempSubdirectory("cssmsim-key-").FullName;
        var keyFile = Path.Combine(dir, "data", "control.key");
        SimulatorOptions Options() => new() { Urls = ["http://0.0.0.0:0"], Store = StoreLocation.Memory, ControlKeyFile = keyFile };
        try
        {
            string? firstKey;
            await using (var first = await SimulatorApp.CreateAsync(Options(), ct: Ct))
            {
                first.ControlKey.Generated.ShouldBeTrue();
                firstKey = first.ControlKey.Value;
            }
            await using var second = await SimulatorApp.CreateAsync(Options(), ct: Ct);

            firstKey.ShouldNotBeNullOrWhiteSpace();
            second.ControlKey.Generated.ShouldBeFalse();
            second.ControlKey.Value.ShouldBe(firstKey);
            File.ReadAllText(keyFile).Trim().ShouldBe(firstKey);
            if (!OperatingSystem.IsWindows())
                File.GetUnixFileMode(keyFile).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080", false)]
    [InlineData("http://localhost:8080", false)]
    [InlineData("http://[::1]:8080", false)]
    [InlineData("http://0.0.0.0:8080", true)]
    [InlineData("https://sim.lab.test:8443", true)]
    [InlineData("http://10.1.2.3:8080", true)]
    public void Loopback_addresses_are_told_from_the_rest(string url, bool beyond) =>
        SimulatorApp.ListensBeyondLoopback([url]).ShouldBe(beyond);

    [Fact]
    public void Https_adds_port_8443_on_each_host() =>
        SimulatorApp.ListenUrls(["http://127.0.0.1:8080", "http://localhost:9000"], https: true)
            .ShouldBe(["http://127.0.0.1:8080", "http://localhost:9000", "https://127.0.0.1:8443", "https://localhost:8443"]);

    private static Task<HttpResponseMessage> Send(TestSimulator sim, string path, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-CssmSim-Key", key);
        return sim.Http.SendAsync(request, Ct);
    }
}
