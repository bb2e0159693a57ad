using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Engine.Signing;
using static CssmSim.Engine.Tests.Authorizations.CodeTestData;

namespace CssmSim.Engine.Tests.Authorizations;

public sealed class SlacCodeTests
{
    private static readonly CodeEntitlement[] Hsec = [new(DnaHsecTag, 1, "Router US Export Lic. for DNA", "U.S. Export Restriction Compliance license for DNA based Routers")];

    [Fact]
    public void The_file_wraps_the_ack_element_in_smartLicense_without_specificPLR()
    {
        // Arrange
        var slac = SlacCode.Create(Piid, CsrUdi, TimestampMs, Hsec, Signer(SigningAlgorithm.Ecdsa));

        // Act
        var file = slac.ToSlacFileXml();
        var element = slac.ToSlacAckElementXml();

        // Assert
        file.ShouldBe("<smartLicense>" + element + "</smartLicense>");
        element.ShouldBe(
            "<smartLicenseAuthorization>" + slac.AuthorizationCodeXml + "<signature>" + slac.SignatureBase64
            + "</signature><udi>P:CSR1000V,S:95QS2T1KUJX</udi></smartLicenseAuthorization>");
        file.ShouldNotContain("specificPLR");
        slac.AuthorizationCodeXml.ShouldStartWith("<authorizationCode><flag>A</flag><version>C</version><pid>bcf8d256-97d1-4444-84aa-691315b3a8b3</pid>");
        slac.AuthorizationCodeXml.ShouldContain("<tag>regid.2019-03.com.cisco.DNA_HSEC.1.0_509c41ab-05a8-431f-95fe-ec28086e8844</tag>");
    }

    [Theory]
    [InlineData(SigningAlgorithm.Ecdsa)]
    [InlineData(SigningAlgorithm.Rsa)]
    public void Both_renderings_parse_to_the_same_verified_authorization(SigningAlgorithm algorithm)
    {
        // Arrange
        var signer = Signer(algorithm);
        var slac = SlacCode.Create(Piid, CsrUdi, TimestampMs, Hsec, signer);

        // Act
        var fromFile = SlacCode.Parse(slac.ToSlacFileXml());
        var fromAck = SlacCode.Parse(slac.ToSlacAckElementXml());

        // Assert
        foreach (var parsed in new[] { fromFile, fromAck })
        {
            parsed.Verify(signer.SigningCertificatePem).ShouldBeTrue();
            parsed.AuthorizationCodeXml.ShouldBe(slac.AuthorizationCodeXml);
            parsed.Content.Entitlements.ShouldHaveSingleItem().Tag.ShouldBe(DnaHsecTag);
            parsed.Udi.ShouldBe(CsrUdi);
            parsed.ExpectedConfirmationCode.ShouldBe(slac.ExpectedConfirmationCode);
        }
    }

    [Fact]
    public void Tampered_count_in_a_slac_fails_verification()
    {
        // Arrange
        var signer = Signer(SigningAlgorithm.Rsa);
        var file = SlacCode.Create(Piid, CsrUdi, TimestampMs, Hsec, signer).ToSlacFileXml()
            .Replace("<count>1</count>", "<count>9</count>", StringComparison.Ordinal);

        // Act
        var parsed = SlacCode.Parse(file);

        // Assert
        parsed.Content.Entitlements[0].Count.ShouldBe(9);
        parsed.Verify(signer.SigningCertificatePem).ShouldBeFalse();
    }

    [Fact]
    public void A_slac_file_with_pretty_printing_between_elements_still_verifies()
    {
        // Arrange: only the signed element must stay byte-exact.
        var signer = Signer(SigningAlgorithm.Ecdsa);
        var slac = SlacCode.Create(Piid, CsrUdi, TimestampMs, Hsec, signer);
        var pretty = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<smartLicense>\n  <smartLicenseAuthorization>\n    "
            + slac.AuthorizationCodeXml + "\n    <signature>" + slac.SignatureBase64 + "</signature>\n    <udi>P:CSR1000V,S:95QS2T1KUJX</udi>\n  </smartLicenseAuthorization>\n</smartLicense>\n";

        // Act
        var parsed = SlacCode.Parse(pretty);

        // Assert
        parsed.Verify(signer).ShouldBeTrue();
    }

    [Fact]
    public void Slr_and_slac_parsers_refuse_each_others_root()
    {
        // Arrange
        var code = SlacCode.Create(Piid, CsrUdi, TimestampMs, Hsec, Signer(SigningAlgorithm.Ecdsa));

        // Act
        var slacAsSlr = SlrCode.TryParse(code.ToSlacFileXml(), out _, out var slrError);
        var slrAsSlac = SlacCode.TryParse(code.ToSlrXml(), out _, out var slacError);

        // Assert
        slacAsSlr.ShouldBeFalse();
        slrError!.ShouldContain("<specificPLR>");
        slrAsSlac.ShouldBeFalse();
        slacError!.ShouldContain("<smartLicense>");
    }

    [Fact]
    public void A_smartLicense_with_anything_besides_one_authorization_is_not_a_slac_file()
    {
        // Arrange
        var element = SlacCode.Create(Piid, CsrUdi, TimestampMs, Hsec, Signer(SigningAlgorithm.Ecdsa)).ToSlacAckElementXml();
        var withPolicy = "<smartLicense>" + element + "<smartLicensePolicy/></smartLicense>";

        // Act
        var ok = SlacCode.TryParse(withPolicy, out _, out var error);

        // Assert
        ok.ShouldBeFalse();
        error!.ShouldContain("exactly one");
    }
}
