namespace CssmSim.Cli.Tests;

/// <summary>
/// What the <c>serve</c> banner tells a user (issue 18): what real clients can use, that real Cisco
/// devices cannot (SPEC §1), and the timing profile in force (<c>--timing</c>).
/// </summary>
public sealed class BannerClaimsTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _dir = Directory.CreateTempSubdirectory("cssmsim-banner-").FullName;

    [Fact]
    public async Task The_banner_says_what_real_clients_can_use_and_that_real_devices_cannot()
    {
        var port = CliProcess.FreePort();
        await using var sim = CliProcess.Start(_dir, null, "serve", "--urls", $"http://127.0.0.1:{port}", "--store", "memory");

        await sim.WaitUntilListeningAsync();
        await sim.WaitForOutputAsync("CssmSim's own device protocol");

        var output = sim.Output;
        output.ShouldContain("for real clients: the CSSM REST APIs, OAuth and the offline files");
        output.ShouldContain("the hosts file and certs/ca.crt");
        output.ShouldContain("not for real Cisco devices: they check Cisco's signatures on what they install and smart transport's message bodies are not public");
        output.ShouldContain("timing: fast; usage reports answer OK_POLL and their ACK comes on the first RESULT_POLLING");
    }

    [Fact]
    public async Task Timing_realistic_at_start_is_in_force_shown_and_what_a_reset_returns_to()
    {
        var port = CliProcess.FreePort();
        var url = $"http://127.0.0.1:{port}";
        await using var sim = CliProcess.Start(_dir, null, "serve", "--urls", url, "--store", "memory", "--timing", "realistic");

        await sim.WaitUntilListeningAsync();
        await sim.WaitForOutputAsync("timing: realistic");
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        (await http.PostAsync("/_sim/reset", null, Ct)).EnsureSuccessStatusCode();
        var timing = await http.GetStringAsync("/_sim/timing", Ct);

        sim.Output.ShouldContain("timing: realistic; a usage report's ACK comes on RESULT_POLLING 300 s of simulator time after it");
        sim.Output.ShouldContain("a reset returns to realistic");
        timing.ShouldContain("\"profile\":\"realistic\"");
    }

    [Fact]
    public async Task An_unknown_timing_profile_is_refused_with_exit_code_2()
    {
        await using var sim = CliProcess.Start(_dir, null, "serve", "--urls", $"http://127.0.0.1:{CliProcess.FreePort()}", "--store", "memory", "--timing", "slow");

        var code = await sim.WaitForExitAsync();

        code.ShouldBe(2);
        sim.Output.ShouldContain("Polling:Timing: 'slow' is not a timing profile (fast or realistic)");
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }
}
