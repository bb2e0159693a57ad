using System.Security.Cryptography.X509Certificates;
using CssmSim.Engine.Signing;

namespace CssmSim.Cli.Tests;

public sealed class CertsCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cssmsim-certs-").FullName;

    [Fact]
    public async Task Certs_init_writes_a_loadable_chain_with_the_extra_names()
    {
        var output = Path.Combine(_dir, "certs");

        var code = await CliApp.Create().Parse(["certs", "init", "--out", output, "--san", "sim.lab.test", "--san", "10.9.8.7"])
            .InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);

        code.ShouldBe(0);
        Directory.GetFiles(output).Select(Path.GetFileName).ShouldBe(CertificateBundle.FileNames, ignoreOrder: true);
        var bundle = CertificateBundle.LoadFromDirectory(output);
        using var tls = X509Certificate2.CreateFromPem(bundle.TlsCertificatePem);
        var sans = tls.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        sans.EnumerateDnsNames().ShouldContain("sim.lab.test");
        sans.EnumerateIPAddresses().Select(ip => ip.ToString()).ShouldContain("10.9.8.7");
        ArtefactSigner.Create(bundle, SigningAlgorithm.Ecdsa).KeyId
            .ShouldNotBe(ArtefactSigner.Create(CertificateBundle.LoadEmbedded(), SigningAlgorithm.Ecdsa).KeyId, "fresh keys");
    }

    [Fact]
    public async Task Certs_init_will_not_overwrite_keys_without_force()
    {
        var output = Path.Combine(_dir, "certs");
        await CliApp.Create().Parse(["certs", "init", "--out", output]).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);
        var before = File.ReadAllText(Path.Combine(output, "signing.key"));

        var refused = await CliApp.Create().Parse(["certs", "init", "--out", output]).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);
        var unchanged = File.ReadAllText(Path.Combine(output, "signing.key"));
        var forced = await CliApp.Create().Parse(["certs", "init", "--out", output, "--force"]).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);

        refused.ShouldBe(2);
        unchanged.ShouldBe(before);
        forced.ShouldBe(0);
        File.ReadAllText(Path.Combine(output, "signing.key")).ShouldNotBe(before);
    }

    [Fact]
    public async Task Help_lists_the_commands()
    {
        var writer = new StringWriter();
        var code = await CliApp.Create().Parse(["--help"]).InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = writer },
            TestContext.Current.CancellationToken);

        code.ShouldBe(0);
        writer.ToString().ShouldContain("serve");
        writer.ToString().ShouldContain("certs");
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
