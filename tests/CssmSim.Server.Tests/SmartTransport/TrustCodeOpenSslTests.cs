using System.Diagnostics;
using CssmSim.Engine.Signing;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.SmartTransport;

public sealed class TrustCodeOpenSslTests
{
    [Theory]
    [InlineData(SigningAlgorithm.Ecdsa)]
    [InlineData(SigningAlgorithm.Rsa)]
    public async Task A_trust_code_verifies_with_plain_openssl_and_the_published_certificate(SigningAlgorithm algorithm)
    {
        Assert.SkipWhen(!OnPath("openssl"), "openssl is not installed (./run-sim.sh test installs it)");
        await using var sim = await TestSimulator.StartAsync(o => o.SigningAlgorithm = algorithm);
        var device = sim.Device("OPENSSL-1");
        await device.EstablishTrustAsync((await sim.CreateTokenAsync())["token"]!.GetValue<string>());
        var artefact = SignedArtefact.Read(device.TrustCode!.File, "smartLicenseTrustCode");
        var dir = Directory.CreateTempSubdirectory("cssmsim-openssl-").FullName;
        try
        {
            // The artefacts.md recipe, step by step.
            await File.WriteAllTextAsync(Path.Combine(dir, "signing.crt"), await sim.Http.GetStringAsync("/_sim/certs/signing.pem", TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
            await File.WriteAllBytesAsync(Path.Combine(dir, "data.bin"), artefact.Data, TestContext.Current.CancellationToken);
            await File.WriteAllBytesAsync(Path.Combine(dir, "sig.bin"), artefact.Signature, TestContext.Current.CancellationToken);

            Run(dir, "x509 -in signing.crt -pubkey -noout -out signing.pub").ExitCode.ShouldBe(0);
            var verify = Run(dir, "dgst -sha256 -verify signing.pub -signature sig.bin data.bin");

            verify.ExitCode.ShouldBe(0, verify.Output);
            verify.Output.ShouldContain("Verified OK");
            artefact.Algorithm.ShouldBe(algorithm == SigningAlgorithm.Ecdsa ? "SHA256withECDSA" : "SHA256withRSA");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (int ExitCode, string Output) Run(string dir, string args)
    {
        var psi = new ProcessStartInfo("openssl", args) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, tool)));
}
