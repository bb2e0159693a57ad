using CssmSim.Cli.Commands;

namespace CssmSim.Cli.Tests;

/// <summary><c>cssmsim healthcheck</c>, the container image's HEALTHCHECK command, run as a process.</summary>
public sealed class HealthcheckCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cssmsim-health-").FullName;

    [Fact]
    public async Task Healthcheck_exits_0_against_a_ready_simulator_found_through_CSSMSIM__Urls()
    {
        var port = CliProcess.FreePort();
        await using var sim = CliProcess.Start(_dir, null, "serve", "--urls", $"http://127.0.0.1:{port}", "--store", "memory");
        await sim.WaitUntilListeningAsync();

        await using var probe = CliProcess.Start(_dir, new Dictionary<string, string> { ["CSSMSIM__Urls"] = $"http://0.0.0.0:{port}" }, "healthcheck");
        var exit = await probe.WaitForExitAsync();

        exit.ShouldBe(0, probe.Output);
        probe.Output.ShouldContain($"http://127.0.0.1:{port}/_sim/ready 200");
    }

    [Fact]
    public async Task Healthcheck_exits_1_when_nothing_answers()
    {
        var port = CliProcess.FreePort();

        await using var probe = CliProcess.Start(_dir, null, "healthcheck", "--url", $"http://127.0.0.1:{port}/_sim/ready", "--timeout", "2");
        var exit = await probe.WaitForExitAsync();

        exit.ShouldBe(1, probe.Output);
    }

    [Theory]
    [InlineData(null, "http://127.0.0.1:8080/_sim/ready")]
    [InlineData("http://0.0.0.0:8080", "http://127.0.0.1:8080/_sim/ready")]
    [InlineData("https://0.0.0.0:8443;http://+:9000", "http://127.0.0.1:9000/_sim/ready")]
    [InlineData("http://[::]:8080", "http://[::1]:8080/_sim/ready")]
    [InlineData("https://*:8443", "https://127.0.0.1:8443/_sim/ready")]
    [InlineData("http://sim.example:81/", "http://sim.example:81/_sim/ready")]
    public void The_probe_targets_ready_on_the_first_http_address_with_wildcards_as_loopback(string? urls, string expected)
    {
        HealthcheckCommand.ReadyUrl(urls).ToString().ShouldBe(expected);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
