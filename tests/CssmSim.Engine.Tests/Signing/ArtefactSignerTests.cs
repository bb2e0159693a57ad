using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CssmSim.Engine.Signing;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Signing;

public sealed class ArtefactSignerTests(GeneratedBundleFixture generated) : IClassFixture<GeneratedBundleFixture>
{
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("""{"version":"1.0","policy_name":"Cisco default"}""");

    [Theory]
    [InlineData(SigningAlgorithm.Ecdsa, "SHA256withECDSA")]
    [InlineData(SigningAlgorithm.Rsa, "SHA256withRSA")]
    public void Create_exposes_the_algorithm_and_the_published_certificates(SigningAlgorithm algorithm, string jcaName)
    {
        // Arrange
        var bundle = CertificateBundle.LoadEmbedded();

        // Act
        var signer = ArtefactSigner.Create(bundle, algorithm);

        // Assert
        signer.Algorithm.ShouldBe(algorithm);
        signer.AlgorithmName.ShouldBe(jcaName);
        signer.SigningCertificatePem.ShouldBe(
            algorithm == SigningAlgorithm.Ecdsa ? bundle.EcdsaSigningCertificatePem : bundle.RsaSigningCertificatePem);
        signer.CaCertificatePem.ShouldBe(bundle.CaCertificatePem);
        signer.TlsCertificatePem.ShouldBe(bundle.TlsCertificatePem);
    }

    [Theory]
    [InlineData(SigningAlgorithm.Ecdsa)]
    [InlineData(SigningAlgorithm.Rsa)]
    public void Key_id_is_the_first_eight_bytes_of_the_certificate_sha256_in_lowercase_hex(SigningAlgorithm algorithm)
    {
        // Arrange
        var signer = ArtefactSigner.Create(CertificateBundle.LoadEmbedded(), algorithm);
        using var certificate = X509Certificate2.CreateFromPem(signer.SigningCertificatePem);

        // Act
        var expected = Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)[..8]);

        // Assert
        signer.KeyId.ShouldMatch("^[0-9a-f]{16}$");
        signer.KeyId.ShouldBe(expected);
    }

    [Fact]
    public void Key_ids_differ_between_the_two_signing_certificates()
    {
        // Arrange
        var bundle = CertificateBundle.LoadEmbedded();

        // Act
        var ecdsa = ArtefactSigner.Create(bundle, SigningAlgorithm.Ecdsa).KeyId;
        var rsa = ArtefactSigner.Create(bundle, SigningAlgorithm.Rsa).KeyId;

        // Assert
        ecdsa.ShouldNotBe(rsa);
    }

    [Theory]
    [InlineData(SigningAlgorithm.Ecdsa)]
    [InlineData(SigningAlgorithm.Rsa)]
    public void Signature_verifies_and_fails_once_data_or_signature_change(SigningAlgorithm algorithm)
    {
        // Arrange
        var signer = ArtefactSigner.Create(CertificateBundle.LoadEmbedded(), algorithm);
        var otherData = Payload.ToArray();
        otherData[^1] ^= 0x20;

        // Act
        var signature = signer.Sign(Payload);
        var otherSignature = signature.ToArray();
        otherSignature[signature.Length / 2] ^= 0x01;

        // Assert
        signer.Verify(Payload, signature).ShouldBeTrue();
        signer.Verify(otherData, signature).ShouldBeFalse();
        signer.Verify(Payload, otherSignature).ShouldBeFalse();
    }

    [Theory]
    [InlineData(SigningAlgorithm.Ecdsa)]
    [InlineData(SigningAlgorithm.Rsa)]
    public void Malformed_signatures_are_rejected_without_throwing(SigningAlgorithm algorithm)
    {
        // Arrange
        var signer = ArtefactSigner.Create(CertificateBundle.LoadEmbedded(), algorithm);
        byte[][] garbage = [[], [0x30], [0x30, 0x02, 0x01], RandomNumberGenerator.GetBytes(64), RandomNumberGenerator.GetBytes(256)];

        // Act
        var results = garbage.Select(g => signer.Verify(Payload, g)).ToList();

        // Assert
        results.ShouldAllBe(ok => !ok);
    }

    [Theory]
    [InlineData(SigningAlgorithm.Ecdsa, 0)]
    [InlineData(SigningAlgorithm.Ecdsa, 100_000)]
    [InlineData(SigningAlgorithm.Rsa, 0)]
    [InlineData(SigningAlgorithm.Rsa, 100_000)]
    public void Signature_is_what_dotnet_expects_for_the_named_algorithm(SigningAlgorithm algorithm, int size)
    {
        // Arrange: empty data and data larger than the signer's copy buffer.
        var data = RandomNumberGenerator.GetBytes(size);
        var signer = ArtefactSigner.Create(CertificateBundle.LoadEmbedded(), algorithm);

        // Act
        var signature = signer.Sign(data);

        // Assert
        VerifyWithDotNet(signer.SigningCertificatePem, data, signature).ShouldBeTrue();
    }

    [Fact]
    public void Ecdsa_signatures_are_randomised_yet_all_verify()
    {
        // Arrange
        var signer = ArtefactSigner.Create(CertificateBundle.LoadEmbedded(), SigningAlgorithm.Ecdsa);

        // Act
        var first = signer.Sign(Payload);
        var second = signer.Sign(Payload);

        // Assert
        first.ShouldNotBe(second);
        signer.Verify(Payload, first).ShouldBeTrue();
        signer.Verify(Payload, second).ShouldBeTrue();
    }

    [Theory]
    [InlineData(SigningAlgorithm.Ecdsa)]
    [InlineData(SigningAlgorithm.Rsa)]
    public void Verify_with_certificate_takes_the_algorithm_from_the_certificate_key(SigningAlgorithm algorithm)
    {
        // Arrange
        var bundle = CertificateBundle.LoadEmbedded();
        var signer = ArtefactSigner.Create(bundle, algorithm);
        var otherCertificate = algorithm == SigningAlgorithm.Ecdsa ? bundle.RsaSigningCertificatePem : bundle.EcdsaSigningCertificatePem;
        var signature = signer.Sign(Payload);

        // Act
        var withOwn = ArtefactSigner.VerifyWithCertificate(signer.SigningCertificatePem, Payload, signature);
        var withOther = ArtefactSigner.VerifyWithCertificate(otherCertificate, Payload, signature);
        var withTampered = ArtefactSigner.VerifyWithCertificate(signer.SigningCertificatePem, Payload.AsSpan(1), signature);

        // Assert
        withOwn.ShouldBeTrue();
        withOther.ShouldBeFalse();
        withTampered.ShouldBeFalse();
    }

    [Fact]
    public void Verify_with_certificate_uses_the_first_certificate_of_a_chain()
    {
        // Arrange: /_sim/certs publishes the signing certificate first, then CA and TLS.
        var signer = ArtefactSigner.Create(CertificateBundle.LoadEmbedded(), SigningAlgorithm.Ecdsa);
        var published = signer.SigningCertificatePem + signer.CaCertificatePem + signer.TlsCertificatePem;

        // Act
        var ok = ArtefactSigner.VerifyWithCertificate(published, Payload, signer.Sign(Payload));

        // Assert
        ok.ShouldBeTrue();
    }

    [Fact]
    public void Verify_with_certificate_refuses_text_without_a_certificate()
    {
        // Act
        var ex = Should.Throw<ArgumentException>(() => ArtefactSigner.VerifyWithCertificate("hello", Payload, [1, 2, 3]));

        // Assert
        ex.Message.ShouldContain("CERTIFICATE");
    }

    [Fact]
    public void Signer_from_a_generated_bundle_is_not_trusted_by_the_embedded_certificate()
    {
        // Arrange
        var signer = ArtefactSigner.Create(generated.Bundle, SigningAlgorithm.Ecdsa);

        // Act
        var ok = ArtefactSigner.VerifyWithCertificate(
            CertificateBundle.LoadEmbedded().EcdsaSigningCertificatePem, Payload, signer.Sign(Payload));

        // Assert
        ok.ShouldBeFalse();
    }

    [Theory]
    [InlineData(SigningAlgorithm.Ecdsa)]
    [InlineData(SigningAlgorithm.Rsa)]
    public async Task Two_hundred_payloads_signed_from_eight_threads_at_once_all_verify(SigningAlgorithm algorithm)
    {
        // Arrange
        const int Threads = 8;
        const int Payloads = 200;
        var signer = ArtefactSigner.Create(CertificateBundle.LoadEmbedded(), algorithm);
        var payloads = Enumerable.Range(0, Payloads).Select(i => Encoding.UTF8.GetBytes($$"""{"payload":{{i}}}""")).ToArray();
        using var start = new Barrier(Threads);

        // Act: thread t signs payloads t, t+8, t+16, ...; the barrier makes them overlap.
        var workers = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait(TestContext.Current.CancellationToken);
            return payloads.Where((_, i) => i % Threads == t).Select(data => (Data: data, Signature: signer.Sign(data))).ToList();
        }, TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        var signed = (await Task.WhenAll(workers)).SelectMany(w => w).ToList();

        // Assert: checked by .NET so a shared-state bug in the BouncyCastle path cannot hide itself.
        signed.Count.ShouldBe(Payloads);
        signed.Where(s => !VerifyWithDotNet(signer.SigningCertificatePem, s.Data, s.Signature)).ShouldBeEmpty();
    }

    private static bool VerifyWithDotNet(string certificatePem, byte[] data, byte[] signature)
    {
        using var certificate = X509Certificate2.CreateFromPem(certificatePem);
        using var ecdsa = certificate.GetECDsaPublicKey();
        if (ecdsa is not null)
        {
            return ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }

        using var rsa = certificate.GetRSAPublicKey()!;
        return rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }
}
