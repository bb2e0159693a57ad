using System.Text;
using CssmSim.Engine.Signing;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Signing;

/// <summary>The artefacts.md recipe, run for real: what a user's openssl accepts is the contract.</summary>
public sealed class OpenSslInteropTests
{
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes(
        """{"version":"1.0","trust_code_id":"4242","piid":"8d3f","sudi":{"udi_pid":"C9300-24T","udi_serial_number":"FOC1234X0AB"}}""");

    [Theory]
    [InlineData(SigningAlgorithm.Ecdsa)]
    [InlineData(SigningAlgorithm.Rsa)]
    public void Signature_from_embedded_key_is_verified_by_openssl(SigningAlgorithm algorithm)
    {
        // Arrange
        using var dir = new TempDirectory();
        var signer = ArtefactSigner.Create(CertificateBundle.LoadEmbedded(), algorithm);
        WriteArtefact(dir, signer, Payload, signer.Sign(Payload));

        // Act
        var result = VerifyWithOpenSsl(dir);

        // Assert
        result.ExitCode.ShouldBe(0, result.Output);
        result.StandardOutput.ShouldContain("Verified OK");
    }

    [Theory]
    [InlineData(SigningAlgorithm.Ecdsa)]
    [InlineData(SigningAlgorithm.Rsa)]
    public void Signature_over_data_with_one_flipped_byte_is_rejected_by_openssl(SigningAlgorithm algorithm)
    {
        // Arrange
        using var dir = new TempDirectory();
        var signer = ArtefactSigner.Create(CertificateBundle.LoadEmbedded(), algorithm);
        var signature = signer.Sign(Payload);
        var tampered = Payload.ToArray();
        tampered[10] ^= 0x01;
        WriteArtefact(dir, signer, tampered, signature);

        // Act
        var result = VerifyWithOpenSsl(dir);

        // Assert
        result.ExitCode.ShouldNotBe(0, result.Output);
        result.Output.ShouldContain("Verification failure", Case.Insensitive);
    }

    [Fact]
    public void Embedded_signing_and_tls_certificates_chain_to_the_ca_under_strict_checks()
    {
        // Arrange
        using var dir = new TempDirectory();
        CertificateBundle.LoadEmbedded().WriteToDirectory(dir.Path);

        // Act: -x509_strict is what Python 3.13+ applies to every TLS handshake.
        var result = OpenSsl.Run(dir.Path, "verify", "-x509_strict", "-CAfile", "ca.crt", "signing.crt", "signing-rsa.crt", "tls.crt");

        // Assert
        result.ExitCode.ShouldBe(0, result.Output);
        result.StandardOutput.ShouldContain("signing.crt: OK");
        result.StandardOutput.ShouldContain("signing-rsa.crt: OK");
        result.StandardOutput.ShouldContain("tls.crt: OK");
    }

    [Fact]
    public void Generated_chain_verifies_with_openssl_under_strict_checks()
    {
        // Arrange
        using var dir = new TempDirectory();
        CertificateBundle.Generate([], DateTimeOffset.UtcNow).WriteToDirectory(dir.Path);

        // Act
        var result = OpenSsl.Run(dir.Path, "verify", "-x509_strict", "-CAfile", "ca.crt", "signing.crt", "signing-rsa.crt", "tls.crt");

        // Assert
        result.ExitCode.ShouldBe(0, result.Output);
    }

    [Theory]
    [InlineData("ca")]
    [InlineData("tls")]
    [InlineData("signing")]
    [InlineData("signing-rsa")]
    public void Embedded_key_is_readable_by_openssl_and_matches_its_certificate(string name)
    {
        // Arrange
        using var dir = new TempDirectory();
        CertificateBundle.LoadEmbedded().WriteToDirectory(dir.Path);

        // Act
        var fromKey = OpenSsl.Run(dir.Path, "pkey", "-in", name + ".key", "-pubout");
        var fromCertificate = OpenSsl.Run(dir.Path, "x509", "-in", name + ".crt", "-pubkey", "-noout");

        // Assert
        fromKey.ExitCode.ShouldBe(0, fromKey.Output);
        fromCertificate.ExitCode.ShouldBe(0, fromCertificate.Output);
        fromKey.StandardOutput.ShouldBe(fromCertificate.StandardOutput);
    }

    private static void WriteArtefact(TempDirectory dir, ArtefactSigner signer, byte[] data, byte[] signature)
    {
        File.WriteAllBytes(dir.File("data.bin"), data);
        File.WriteAllBytes(dir.File("sig.bin"), signature);
        File.WriteAllText(dir.File("signing.crt"), signer.SigningCertificatePem);
    }

    private static OpenSslResult VerifyWithOpenSsl(TempDirectory dir)
    {
        var pubkey = OpenSsl.Run(dir.Path, "x509", "-in", "signing.crt", "-pubkey", "-noout", "-out", "signing.pub");
        pubkey.ExitCode.ShouldBe(0, pubkey.Output);
        return OpenSsl.Run(dir.Path, "dgst", "-sha256", "-verify", "signing.pub", "-signature", "sig.bin", "data.bin");
    }
}
