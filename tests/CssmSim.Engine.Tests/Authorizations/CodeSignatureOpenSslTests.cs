using System.Text;
using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Engine.Signing;
using CssmSim.Engine.Tests.Signing;
using static CssmSim.Engine.Tests.Authorizations.CodeTestData;

namespace CssmSim.Engine.Tests.Authorizations;

/// <summary>
/// The artefacts.md recipe applied to codes: take the exact <c>&lt;authorizationCode&gt;</c> bytes
/// out of the file by plain string search and let the system openssl judge the signature.
/// Skipped, with the reason, where openssl is not installed.
/// </summary>
public sealed class CodeSignatureOpenSslTests
{
    public enum Form { Slr, SlacFile, SlacAckElement, UniversalPlr }

    public static TheoryData<SigningAlgorithm, Form> Cases()
    {
        var data = new TheoryData<SigningAlgorithm, Form>();
        foreach (var algorithm in new[] { SigningAlgorithm.Ecdsa, SigningAlgorithm.Rsa })
        {
            foreach (var form in Enum.GetValues<Form>())
            {
                data.Add(algorithm, form);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Openssl_verifies_the_signature_over_the_exact_authorizationCode_bytes(SigningAlgorithm algorithm, Form form)
    {
        // Arrange
        OpenSsl.RequireInstalled();
        var signer = Signer(algorithm);
        var xml = Render(form, signer);
        using var dir = new TempDirectory();
        WriteForOpenSsl(dir, signer, AuthorizationCodeElement(xml), SignatureBytes(xml));

        // Act
        var result = OpenSsl.Run(dir.Path, "dgst", "-sha256", "-verify", "signing.pub", "-signature", "code.sig", "code.bin");

        // Assert
        result.ExitCode.ShouldBe(0, result.Output);
        result.StandardOutput.ShouldContain("Verified OK");
    }

    [Theory]
    [InlineData(SigningAlgorithm.Ecdsa)]
    [InlineData(SigningAlgorithm.Rsa)]
    public void Openssl_rejects_the_signature_once_a_count_is_changed(SigningAlgorithm algorithm)
    {
        // Arrange
        OpenSsl.RequireInstalled();
        var signer = Signer(algorithm);
        var xml = SlrCode.Build(Piid, CsrUdi, TimestampMs, ReferenceEntitlements, signer);
        var tampered = AuthorizationCodeElement(xml).Replace("<count>1</count>", "<count>5</count>", StringComparison.Ordinal);
        using var dir = new TempDirectory();
        WriteForOpenSsl(dir, signer, tampered, SignatureBytes(xml));

        // Act
        var result = OpenSsl.Run(dir.Path, "dgst", "-sha256", "-verify", "signing.pub", "-signature", "code.sig", "code.bin");

        // Assert
        result.ExitCode.ShouldNotBe(0, result.Output);
        result.Output.ShouldContain("Verification failure", Case.Insensitive);
    }

    [Theory]
    [InlineData(SigningAlgorithm.Ecdsa)]
    [InlineData(SigningAlgorithm.Rsa)]
    public void Openssl_verifies_a_code_whose_display_names_needed_escaping(SigningAlgorithm algorithm)
    {
        // Arrange
        OpenSsl.RequireInstalled();
        var signer = Signer(algorithm);
        var xml = SlrCode.Build(Piid, CsrUdi, TimestampMs, [new CodeEntitlement(DnaHsecTag, 2, "R&D <Lab>", "Ünïcødé & more")], signer);
        using var dir = new TempDirectory();
        WriteForOpenSsl(dir, signer, AuthorizationCodeElement(xml), SignatureBytes(xml));

        // Act
        var result = OpenSsl.Run(dir.Path, "dgst", "-sha256", "-verify", "signing.pub", "-signature", "code.sig", "code.bin");

        // Assert
        result.ExitCode.ShouldBe(0, result.Output);
        result.StandardOutput.ShouldContain("Verified OK");
    }

    private static string Render(Form form, ArtefactSigner signer) => form switch
    {
        Form.Slr => SlrCode.Build(Piid, CsrUdi, TimestampMs, ReferenceEntitlements, signer),
        Form.SlacFile => SlacCode.Create(Piid, CsrUdi, TimestampMs, ReferenceEntitlements, signer).ToSlacFileXml(),
        Form.SlacAckElement => SlacCode.Create(Piid, CsrUdi, TimestampMs, ReferenceEntitlements, signer).ToSlacAckElementXml(),
        Form.UniversalPlr => PlrCode.Create(Piid, CsrUdi, TimestampMs, [], signer).ToUniversalPlrXml(),
        _ => throw new ArgumentOutOfRangeException(nameof(form)),
    };

    private static void WriteForOpenSsl(TempDirectory dir, ArtefactSigner signer, string element, byte[] signature)
    {
        File.WriteAllBytes(dir.File("code.bin"), Encoding.UTF8.GetBytes(element));
        File.WriteAllBytes(dir.File("code.sig"), signature);
        File.WriteAllText(dir.File("signing.crt"), signer.SigningCertificatePem);
        var publicKey = OpenSsl.Run(dir.Path, "x509", "-in", "signing.crt", "-pubkey", "-noout");
        publicKey.ExitCode.ShouldBe(0, publicKey.Output);
        File.WriteAllText(dir.File("signing.pub"), publicKey.StandardOutput);
    }
}
