using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CssmSim.Engine.Signing;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Signing;

public sealed class CertificateBundleTests(GeneratedBundleFixture generated) : IClassFixture<GeneratedBundleFixture>
{
    private const string Sha256WithRsaOid = "1.2.840.113549.1.1.11";
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    private static readonly string[] DefaultNames =
    [
        "localhost", "127.0.0.1", "::1", "cloudsso.cisco.com", "id.cisco.com", "swapi.cisco.com", "apx.cisco.com",
        "apmx.cisco.com", "smartreceiver.cisco.com", "smartreceiver-stage.cisco.com",
    ];

    [Fact]
    public void The_embedded_copies_pass_every_check_a_bundle_from_files_gets()
    {
        // Arrange: the embedded bundle checks its signing pairs only when first used, the CA and TLS pairs never.
        var e = CertificateBundle.LoadEmbedded();

        // Act
        var checkedCopy = new CertificateBundle(e.CaCertificatePem, e.CaKeyPem, e.TlsCertificatePem, e.TlsKeyPem,
            e.EcdsaSigningCertificatePem, e.EcdsaSigningKeyPem, e.RsaSigningCertificatePem, e.RsaSigningKeyPem);

        // Assert
        checkedCopy.CaCertificatePem.ShouldBe(e.CaCertificatePem);
        foreach (var algorithm in new[] { SigningAlgorithm.Ecdsa, SigningAlgorithm.Rsa })
        {
            var data = "checked"u8.ToArray();
            ArtefactSigner.Create(e, algorithm).Sign(data).ShouldNotBeEmpty();
            ArtefactSigner.Create(checkedCopy, algorithm).Verify(data, ArtefactSigner.Create(e, algorithm).Sign(data)).ShouldBeTrue();
        }
    }

    [Fact]
    public void Embedded_tls_certificate_names_every_default_host()
    {
        // Arrange
        using var tls = X509Certificate2.CreateFromPem(CertificateBundle.LoadEmbedded().TlsCertificatePem);

        // Act
        var names = SubjectAltNames(tls);

        // Assert
        names.ShouldBe(DefaultNames, ignoreOrder: true);
    }

    [Fact]
    public void Generate_adds_extra_host_as_dns_name_and_extra_ip_as_ip_address()
    {
        // Arrange
        using var tls = X509Certificate2.CreateFromPem(generated.Bundle.TlsCertificatePem);
        var san = SanExtension(tls);

        // Act
        var dnsNames = san.EnumerateDnsNames().ToList();
        var ips = san.EnumerateIPAddresses().ToList();

        // Assert
        dnsNames.ShouldContain("sim.lab.test");
        dnsNames.ShouldNotContain("10.1.2.3");
        ips.ShouldContain(IPAddress.Parse("10.1.2.3"));
        ips.ShouldContain(IPAddress.IPv6Loopback);
        SubjectAltNames(tls).ShouldBe([.. DefaultNames, .. GeneratedBundleFixture.ExtraSans], ignoreOrder: true);
    }

    [Fact]
    public void Generate_ignores_extra_names_that_are_already_present()
    {
        // Arrange: "LOCALHOST" and "0:0::1" repeat defaults in another spelling.
        var bundle = CertificateBundle.Generate(["LOCALHOST", "0:0::1", "extra.test"], GeneratedBundleFixture.Now);
        using var tls = X509Certificate2.CreateFromPem(bundle.TlsCertificatePem);

        // Act
        var names = SubjectAltNames(tls);

        // Assert
        names.Count.ShouldBe(DefaultNames.Length + 1);
        names.ShouldContain("extra.test");
    }

    [Theory]
    [InlineData("")]
    [InlineData("two words")]
    [InlineData("bad/slash")]
    [InlineData("-leading-dash.test")]
    [InlineData("fe80::1%eth0")]
    public void Generate_rejects_extra_san_that_is_neither_host_nor_ip(string san)
    {
        // Act
        var ex = Should.Throw<ArgumentException>(() => CertificateBundle.Generate([san], GeneratedBundleFixture.Now));

        // Assert
        ex.Message.ShouldContain($"'{san}'");
    }

    [Fact]
    public void Generate_makes_a_self_signed_ca_that_may_only_sign_certificates()
    {
        // Arrange
        using var ca = X509Certificate2.CreateFromPem(generated.Bundle.CaCertificatePem);

        // Act
        var constraints = ca.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        var usage = ca.Extensions.OfType<X509KeyUsageExtension>().Single();

        // Assert
        ca.Subject.ShouldContain("CN=CssmSim Development Root CA (testing only)");
        ca.Issuer.ShouldBe(ca.Subject);
        constraints.CertificateAuthority.ShouldBeTrue();
        constraints.Critical.ShouldBeTrue();
        usage.KeyUsages.ShouldBe(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign);
        ca.GetRSAPublicKey()!.KeySize.ShouldBe(2048);
        ca.SignatureAlgorithm.Value.ShouldBe(Sha256WithRsaOid);
    }

    [Fact]
    public void Generate_backdates_one_day_and_gives_ca_and_signing_twenty_years_and_tls_ten()
    {
        // Arrange
        var notBefore = GeneratedBundleFixture.Now.UtcDateTime.AddDays(-1);
        var bundle = generated.Bundle;

        // Act
        using var ca = X509Certificate2.CreateFromPem(bundle.CaCertificatePem);
        using var tls = X509Certificate2.CreateFromPem(bundle.TlsCertificatePem);
        using var ecdsa = X509Certificate2.CreateFromPem(bundle.EcdsaSigningCertificatePem);
        using var rsa = X509Certificate2.CreateFromPem(bundle.RsaSigningCertificatePem);

        // Assert
        foreach (var certificate in new[] { ca, tls, ecdsa, rsa })
        {
            certificate.NotBefore.ToUniversalTime().ShouldBe(notBefore);
        }

        ca.NotAfter.ToUniversalTime().ShouldBe(notBefore.AddYears(20));
        ecdsa.NotAfter.ToUniversalTime().ShouldBe(notBefore.AddYears(20));
        rsa.NotAfter.ToUniversalTime().ShouldBe(notBefore.AddYears(20));
        tls.NotAfter.ToUniversalTime().ShouldBe(notBefore.AddYears(10));
    }

    [Fact]
    public void Generate_issues_tls_and_signing_certificates_from_the_ca()
    {
        // Arrange
        var bundle = generated.Bundle;
        using var ca = X509Certificate2.CreateFromPem(bundle.CaCertificatePem);
        using var tls = X509Certificate2.CreateFromPem(bundle.TlsCertificatePem);
        using var ecdsa = X509Certificate2.CreateFromPem(bundle.EcdsaSigningCertificatePem);
        using var rsa = X509Certificate2.CreateFromPem(bundle.RsaSigningCertificatePem);

        // Act
        var serials = new[] { ca, tls, ecdsa, rsa }.Select(c => c.SerialNumber).ToHashSet();

        // Assert
        serials.Count.ShouldBe(4);
        foreach (var leaf in new[] { tls, ecdsa, rsa })
        {
            leaf.Issuer.ShouldBe(ca.Subject);
            leaf.SignatureAlgorithm.Value.ShouldBe(Sha256WithRsaOid);
            leaf.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority.ShouldBeFalse();
            ChainsTo(leaf, ca).ShouldBeTrue();
        }

        tls.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages
            .Cast<Oid>().Select(o => o.Value).ShouldBe([ServerAuthOid]);
        tls.GetRSAPublicKey()!.KeySize.ShouldBe(2048);
        ecdsa.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages.ShouldBe(X509KeyUsageFlags.DigitalSignature);
        rsa.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages.ShouldBe(X509KeyUsageFlags.DigitalSignature);
        ecdsa.GetECDsaPublicKey()!.ExportParameters(false).Curve.Oid.Value.ShouldBe(ECCurve.NamedCurves.nistP256.Oid.Value);
        rsa.GetRSAPublicKey()!.KeySize.ShouldBe(2048);
    }

    [Fact]
    public void Write_then_load_from_directory_round_trips_every_text()
    {
        // Arrange
        using var dir = new TempDirectory();
        var original = generated.Bundle;

        // Act
        original.WriteToDirectory(dir.Path);
        var loaded = CertificateBundle.LoadFromDirectory(dir.Path);

        // Assert
        Texts(loaded).ShouldBe(Texts(original));
    }

    [Fact]
    public void Write_to_directory_writes_pem_certificates_and_owner_only_pkcs8_keys()
    {
        // Arrange
        using var dir = new TempDirectory();

        // Act
        generated.Bundle.WriteToDirectory(Path.Combine(dir.Path, "nested", "certs"));

        // Assert
        foreach (var name in CertificateBundle.FileNames)
        {
            var path = Path.Combine(dir.Path, "nested", "certs", name);
            var text = File.ReadAllText(path);
            if (name.EndsWith(".key", StringComparison.Ordinal))
            {
                text.ShouldStartWith("-----BEGIN PRIVATE KEY-----\n");
                text.ShouldEndWith("-----END PRIVATE KEY-----\n");
                if (!OperatingSystem.IsWindows())
                {
                    File.GetUnixFileMode(path).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
            }
            else
            {
                text.ShouldStartWith("-----BEGIN CERTIFICATE-----\n");
            }
        }
    }

    [Fact]
    public void Rewriting_a_world_readable_key_makes_it_owner_only()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix file modes only.");
            return;
        }

        // Arrange
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("signing.key"), "old");
        File.SetUnixFileMode(dir.File("signing.key"), (UnixFileMode)0b110_100_100);

        // Act
        generated.Bundle.WriteToDirectory(dir.Path);

        // Assert
        File.GetUnixFileMode(dir.File("signing.key")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.ReadAllText(dir.File("signing.key")).ShouldBe(generated.Bundle.EcdsaSigningKeyPem);
    }

    [Fact]
    public void Load_from_directory_names_the_missing_file()
    {
        // Arrange
        using var dir = new TempDirectory();
        generated.Bundle.WriteToDirectory(dir.Path);
        File.Delete(dir.File("signing-rsa.key"));

        // Act
        var ex = Should.Throw<FileNotFoundException>(() => CertificateBundle.LoadFromDirectory(dir.Path));

        // Assert
        ex.Message.ShouldContain("signing-rsa.key");
        ex.FileName.ShouldBe(dir.File("signing-rsa.key"));
    }

    [Fact]
    public void Load_from_missing_directory_says_how_to_create_it()
    {
        // Arrange
        using var dir = new TempDirectory();
        var missing = dir.File("nowhere");

        // Act
        var ex = Should.Throw<DirectoryNotFoundException>(() => CertificateBundle.LoadFromDirectory(missing));

        // Assert
        ex.Message.ShouldContain("certs init");
    }

    [Theory]
    [InlineData("tls.crt", "not a certificate")]
    [InlineData("signing.key", "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n")]
    public void Load_from_directory_names_a_file_with_the_wrong_content(string name, string content)
    {
        // Arrange
        using var dir = new TempDirectory();
        generated.Bundle.WriteToDirectory(dir.Path);
        File.WriteAllText(dir.File(name), content);

        // Act
        var ex = Should.Throw<InvalidOperationException>(() => CertificateBundle.LoadFromDirectory(dir.Path));

        // Assert
        ex.Message.ShouldContain(name);
    }

    [Fact]
    public void Bundle_refuses_an_rsa_pair_in_the_ecdsa_slots()
    {
        // Arrange
        var b = generated.Bundle;

        // Act
        var ex = Should.Throw<ArgumentException>(() => new CertificateBundle(
            b.CaCertificatePem, b.CaKeyPem, b.TlsCertificatePem, b.TlsKeyPem,
            b.RsaSigningCertificatePem, b.RsaSigningKeyPem, b.RsaSigningCertificatePem, b.RsaSigningKeyPem));

        // Assert
        ex.Message.ShouldContain("signing.crt must hold an EC key");
    }

    [Theory]
    [InlineData("ca.key")]
    [InlineData("tls.key")]
    [InlineData("signing.key")]
    [InlineData("signing-rsa.key")]
    public void Bundle_refuses_a_key_that_does_not_belong_to_its_certificate(string keyFile)
    {
        // Arrange: the embedded chain with one key taken from the generated chain.
        var texts = Texts(CertificateBundle.LoadEmbedded());
        var index = CertificateBundle.FileNames.ToList().IndexOf(keyFile);
        texts[index] = Texts(generated.Bundle)[index];

        // Act
        var ex = Should.Throw<ArgumentException>(() => new CertificateBundle(
            texts[0], texts[1], texts[2], texts[3], texts[4], texts[5], texts[6], texts[7]));

        // Assert
        ex.Message.ShouldContain($"{keyFile} is not the private key of {CertificateBundle.FileNames[index - 1]}");
    }

    [Fact]
    public void Load_from_directory_names_a_key_swapped_in_from_another_chain()
    {
        // Arrange
        using var dir = new TempDirectory();
        CertificateBundle.LoadEmbedded().WriteToDirectory(dir.Path);
        File.WriteAllText(dir.File("signing.key"), generated.Bundle.EcdsaSigningKeyPem);

        // Act
        var ex = Should.Throw<InvalidOperationException>(() => CertificateBundle.LoadFromDirectory(dir.Path));

        // Assert
        ex.Message.ShouldContain("signing.key is not the private key of signing.crt");
    }

    [Fact]
    public void Embedded_bundle_equals_the_committed_certs_folder()
    {
        // Arrange
        var certs = Path.Combine(RepositoryRoot.Find(), "certs");

        // Act
        var committed = CertificateBundle.LoadFromDirectory(certs);

        // Assert: a mismatch means certs/ was regenerated without rebuilding the engine.
        Texts(CertificateBundle.LoadEmbedded()).ShouldBe(Texts(committed));
    }

    [Fact]
    public void Load_embedded_is_parsed_once_and_shared()
    {
        // Act
        var first = CertificateBundle.LoadEmbedded();
        var second = CertificateBundle.LoadEmbedded();

        // Assert
        second.ShouldBeSameAs(first);
    }

    [Fact]
    public void Embedded_tls_pair_loads_into_dotnet_with_its_private_key()
    {
        // Arrange
        var bundle = CertificateBundle.LoadEmbedded();

        // Act
        using var certificate = X509Certificate2.CreateFromPem(bundle.TlsCertificatePem, bundle.TlsKeyPem);

        // Assert
        certificate.HasPrivateKey.ShouldBeTrue();
        certificate.MatchesHostname("localhost").ShouldBeTrue();
        certificate.MatchesHostname("smartreceiver.cisco.com").ShouldBeTrue();
    }

    [Fact]
    public void Generated_tls_pair_loads_into_dotnet_with_its_private_key()
    {
        // Act
        using var certificate = X509Certificate2.CreateFromPem(generated.Bundle.TlsCertificatePem, generated.Bundle.TlsKeyPem);

        // Assert
        certificate.HasPrivateKey.ShouldBeTrue();
        certificate.MatchesHostname("sim.lab.test").ShouldBeTrue();
    }

    private static X509SubjectAlternativeNameExtension SanExtension(X509Certificate2 certificate)
    {
        var raw = certificate.Extensions["2.5.29.17"].ShouldNotBeNull();
        return new X509SubjectAlternativeNameExtension(raw.RawData, raw.Critical);
    }

    private static List<string> SubjectAltNames(X509Certificate2 certificate)
    {
        var san = SanExtension(certificate);
        return [.. san.EnumerateDnsNames(), .. san.EnumerateIPAddresses().Select(ip => ip.ToString())];
    }

    private static bool ChainsTo(X509Certificate2 leaf, X509Certificate2 root)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = GeneratedBundleFixture.Now.UtcDateTime;
        return chain.Build(leaf);
    }

    private static string[] Texts(CertificateBundle b) =>
    [
        b.CaCertificatePem, b.CaKeyPem, b.TlsCertificatePem, b.TlsKeyPem,
        b.EcdsaSigningCertificatePem, b.EcdsaSigningKeyPem, b.RsaSigningCertificatePem, b.RsaSigningKeyPem,
    ];
}
