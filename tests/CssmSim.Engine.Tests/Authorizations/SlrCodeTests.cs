using System.Text;
using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Engine.Signing;
using static CssmSim.Engine.Tests.Authorizations.CodeTestData;

namespace CssmSim.Engine.Tests.Authorizations;

public sealed class SlrCodeTests
{
    // The exact one-line shape of artefacts.md §Reservation and SLAC codes, filled with the
    // values of the real code in seed-002.md lines 583–588; only the signature varies (ECDSA).
    private const string GoldenBeforeSignature =
        "<specificPLR><authorizationCode><flag>A</flag><version>C</version>"
        + "<pid>bcf8d256-97d1-4444-84aa-691315b3a8b3</pid><timestamp>1627512888369</timestamp><entitlements>"
        + "<entitlement><tag>regid.2014-05.com.cisco.ax_10G.1.0_251f937f-655c-427d-b181-222784aae79a</tag><count>1</count>"
        + "<startDate></startDate><endDate></endDate><licenseType>PERPETUAL</licenseType><displayName>CSR 1KV AX 10G</displayName>"
        + "<tagDescription>CSR 1KV AX 10G</tagDescription><subscriptionID></subscriptionID></entitlement>"
        + "<entitlement><tag>regid.2019-03.com.cisco.DNA_HSEC.1.0_509c41ab-05a8-431f-95fe-ec28086e8844</tag><count>1</count>"
        + "<startDate></startDate><endDate></endDate><licenseType>PERPETUAL</licenseType><displayName>Router US Export Lic. for DNA</displayName>"
        + "<tagDescription>U.S. Export Restriction Compliance license for DNA based Routers</tagDescription><subscriptionID></subscriptionID></entitlement>"
        + "</entitlements></authorizationCode><signature>";

    private const string GoldenAfterSignature = "</signature><udi>P:CSR1000V,S:95QS2T1KUJX</udi></specificPLR>";

    // seed-002.md lines 583–588 (source L2452–L2457) with its visible extraction damage repaired:
    // <startDate></startDate><endDate></endDate>, a <licenseType> (value lost; PERPETUAL as the device
    // shows), <subscriptionID></subscriptionID>, the wrapped description re-joined; line breaks
    // between elements kept. A placeholder signature and the UDI of line 618 complete it.
    private const string RepairedReferenceCode =
        "<specificPLR><authorizationCode><flag>A</flag><version>C</version><pid>bcf8d256-97d1-4444-84aa-691315b3a8b3</pid><timestamp>1627512888369</timestamp><entitlements>\n"
        + "<entitlement><tag>regid.2014-05.com.cisco.ax_10G.1.0_251f937f-655c-427d-b181-222784aae79a</tag><count>1</count><startDate></startDate><endDate></endDate>\n"
        + "<licenseType>PERPETUAL</licenseType><displayName>CSR 1KV AX 10G</displayName><tagDescription>CSR 1KV AX 10G</tagDescription><subscriptionID></subscriptionID>\n"
        + "</entitlement><entitlement><tag>regid.2019-03.com.cisco.DNA_HSEC.1.0_509c41ab-05a8-431f-95fe-ec28086e8844</tag><count>1</count><startDate></startDate><endDate></endDate>\n"
        + "<licenseType>PERPETUAL</licenseType><displayName>Router US Export Lic. for DNA</displayName><tagDescription>U.S. Export Restriction Compliance license for DNA based Routers</tagDescription><subscriptionID></subscriptionID></entitlement></entitlements></authorizationCode>"
        + "<signature>AAAA</signature><udi>P:CSR1000V,S:95QS2T1KUJX</udi></specificPLR>";

    [Fact]
    public void Build_writes_the_exact_one_line_specificPLR_shape_with_dot_tags()
    {
        // Arrange
        var signer = Signer(SigningAlgorithm.Ecdsa);

        // Act
        var xml = SlrCode.Build(Piid, CsrUdi, TimestampMs, ReferenceEntitlements, signer);

        // Assert
        var signature = Between(xml, "<signature>", "</signature>");
        xml.ShouldBe(GoldenBeforeSignature + signature + GoldenAfterSignature);
        Convert.FromBase64String(signature).ShouldNotBeEmpty();
    }

    [Theory]
    [InlineData(SigningAlgorithm.Ecdsa)]
    [InlineData(SigningAlgorithm.Rsa)]
    public void Built_code_verifies_against_the_signing_certificate(SigningAlgorithm algorithm)
    {
        // Arrange
        var signer = Signer(algorithm);
        var xml = SlrCode.Build(Piid, CsrUdi, TimestampMs, ReferenceEntitlements, signer);

        // Act
        var code = SlrCode.Parse(xml);

        // Assert
        code.Verify(signer.SigningCertificatePem).ShouldBeTrue();
        code.Verify(signer).ShouldBeTrue();
        ArtefactSigner.VerifyWithCertificate(
            signer.SigningCertificatePem, Encoding.UTF8.GetBytes(AuthorizationCodeElement(xml)), SignatureBytes(xml)).ShouldBeTrue();
    }

    [Fact]
    public void Parse_returns_the_content_with_comma_tags_and_the_exact_signed_element()
    {
        // Arrange
        var signed = SlrCode.Create(Piid, CsrUdi, TimestampMs, ReferenceEntitlements, Signer(SigningAlgorithm.Ecdsa));
        var xml = signed.ToSlrXml();

        // Act
        var code = SlrCode.Parse(xml);

        // Assert
        code.Content.Flag.ShouldBe("A");
        code.Content.Version.ShouldBe("C");
        code.Content.Piid.ShouldBe("bcf8d256-97d1-4444-84aa-691315b3a8b3");
        code.Content.TimestampMs.ShouldBe(TimestampMs);
        code.Content.Entitlements.ShouldBe(ReferenceEntitlements);
        code.Content.Entitlements.Select(e => e.Tag).ShouldBe([Ax10GTag, DnaHsecTag]);
        code.Udi.ShouldBe(CsrUdi);
        code.AuthorizationCodeXml.ShouldBe(AuthorizationCodeElement(xml));
        code.SignatureBase64.ShouldBe(signed.SignatureBase64);
        code.ExpectedConfirmationCode.ShouldBe(signed.ExpectedConfirmationCode);
    }

    [Fact]
    public void Tampered_count_still_parses_but_no_longer_verifies()
    {
        // Arrange
        var signer = Signer(SigningAlgorithm.Ecdsa);
        var xml = SlrCode.Build(Piid, CsrUdi, TimestampMs, ReferenceEntitlements, signer);
        var first = xml.IndexOf("<count>1</count>", StringComparison.Ordinal);
        var tampered = xml[..first] + "<count>2</count>" + xml[(first + "<count>1</count>".Length)..];

        // Act
        var code = SlrCode.Parse(tampered);

        // Assert
        code.Content.Entitlements[0].Count.ShouldBe(2);
        code.Verify(signer.SigningCertificatePem).ShouldBeFalse();
        code.ExpectedConfirmationCode.ShouldNotBe(SlrCode.Parse(xml).ExpectedConfirmationCode);
    }

    [Theory]
    [InlineData(SigningAlgorithm.Ecdsa)]
    [InlineData(SigningAlgorithm.Rsa)]
    public void Code_signed_by_one_key_does_not_verify_with_the_other(SigningAlgorithm algorithm)
    {
        // Arrange
        var other = algorithm == SigningAlgorithm.Ecdsa ? SigningAlgorithm.Rsa : SigningAlgorithm.Ecdsa;
        var code = SlrCode.Create(Piid, CsrUdi, TimestampMs, ReferenceEntitlements, Signer(algorithm));

        // Act
        var verified = code.Verify(Signer(other).SigningCertificatePem);

        // Assert
        verified.ShouldBeFalse();
    }

    [Fact]
    public void Display_names_with_ampersand_and_angle_brackets_are_escaped_and_read_back()
    {
        // Arrange
        var signer = Signer(SigningAlgorithm.Ecdsa);
        CodeEntitlement[] entitlements = [new(DnaHsecTag, 3, "R&D <Lab> \"quoted\" 'x'", "a < b && c > d\r\nline two")];

        // Act
        var xml = SlrCode.Build(Piid, CsrUdi, TimestampMs, entitlements, signer);
        var code = SlrCode.Parse(xml);

        // Assert
        xml.ShouldContain("<displayName>R&amp;D &lt;Lab&gt; \"quoted\" 'x'</displayName>");
        xml.ShouldContain("<tagDescription>a &lt; b &amp;&amp; c &gt; d&#xD;\nline two</tagDescription>");
        code.Content.Entitlements.ShouldHaveSingleItem().ShouldBe(entitlements[0]);
        code.Verify(signer).ShouldBeTrue();
    }

    [Fact]
    public void Building_with_a_character_xml_cannot_carry_is_refused()
    {
        // Arrange
        CodeEntitlement[] entitlements = [new(DnaHsecTag, 1, "bad\u0001name")];

        // Act
        var act = () => SlrCode.Build(Piid, CsrUdi, TimestampMs, entitlements, Signer(SigningAlgorithm.Ecdsa));

        // Assert
        act.ShouldThrow<ArgumentException>().Message.ShouldContain("U+0001");
    }

    [Fact]
    public void An_update_lists_every_reserved_license_again()
    {
        // Arrange: first only ax_10G, then the update adding DNA_HSEC (seed-002.md §2.11 / §3.3).
        var signer = Signer(SigningAlgorithm.Ecdsa);
        var first = SlrCode.Parse(SlrCode.Build(Piid, CsrUdi, TimestampMs, ReferenceEntitlements.Take(1), signer));

        // Act
        var update = SlrCode.Parse(SlrCode.Build(Piid, CsrUdi, TimestampMs + 1, ReferenceEntitlements, signer));

        // Assert
        first.Content.Entitlements.Count.ShouldBe(1);
        update.Content.Entitlements.Select(e => e.Tag).ShouldBe([Ax10GTag, DnaHsecTag]);
        update.ExpectedConfirmationCode.ShouldNotBe(first.ExpectedConfirmationCode);
    }

    [Fact]
    public void The_real_reference_code_parses_once_its_extraction_damage_is_repaired()
    {
        // Act
        var ok = SlrCode.TryParse(RepairedReferenceCode, out var code, out var error);

        // Assert
        ok.ShouldBeTrue(error);
        code!.Content.Piid.ShouldBe("bcf8d256-97d1-4444-84aa-691315b3a8b3");
        code.Content.TimestampMs.ShouldBe(1627512888369);
        code.Content.Entitlements.Select(e => (e.Tag, e.Count, e.DisplayName)).ShouldBe(
        [
            (Ax10GTag, 1, "CSR 1KV AX 10G"),
            (DnaHsecTag, 1, "Router US Export Lic. for DNA"),
        ]);
        code.Udi.ShouldBe(CsrUdi);
        code.Verify(Signer(SigningAlgorithm.Ecdsa).SigningCertificatePem).ShouldBeFalse();
    }

    [Fact]
    public void The_piid_element_name_is_accepted_instead_of_pid()
    {
        // Arrange
        var xml = SlrCode.Build(Piid, CsrUdi, TimestampMs, ReferenceEntitlements, Signer(SigningAlgorithm.Ecdsa))
            .Replace("<pid>", "<piid>", StringComparison.Ordinal).Replace("</pid>", "</piid>", StringComparison.Ordinal);

        // Act
        var code = SlrCode.Parse(xml);

        // Assert
        code.Content.Piid.ShouldBe(Piid.ToString());
    }

    [Fact]
    public void Comma_tags_inside_the_xml_are_read_as_the_same_tag()
    {
        // Arrange
        var xml = RepairedReferenceCode.Replace("DNA_HSEC.1.0_", "DNA_HSEC,1.0_", StringComparison.Ordinal);

        // Act
        var code = SlrCode.Parse(xml);

        // Assert
        code.Content.Entitlements[1].Tag.ShouldBe(DnaHsecTag);
    }

    [Fact]
    public void Surrounding_whitespace_and_a_trailing_crlf_do_not_change_the_signed_bytes()
    {
        // Arrange
        var signer = Signer(SigningAlgorithm.Rsa);
        var xml = SlrCode.Build(Piid, CsrUdi, TimestampMs, ReferenceEntitlements, signer);

        // Act
        var code = SlrCode.Parse("\uFEFF \r\n" + xml + "\r\n\r\n");

        // Assert
        code.Verify(signer.SigningCertificatePem).ShouldBeTrue();
        code.ToSlrXml().ShouldBe(xml);
    }

    [Fact]
    public void A_code_is_bound_to_its_udi_but_the_udi_is_outside_the_signed_bytes()
    {
        // Arrange: the signature covers <authorizationCode> only (artefacts.md), so callers must
        // compare the <udi> with the device they expect.
        var signer = Signer(SigningAlgorithm.Ecdsa);
        var xml = SlrCode.Build(Piid, CsrUdi, TimestampMs, ReferenceEntitlements, signer)
            .Replace("P:CSR1000V,S:95QS2T1KUJX", "P:CSR1000V,S:OTHER", StringComparison.Ordinal);

        // Act
        var code = SlrCode.Parse(xml);

        // Assert
        code.Udi.ShouldBe(new UdiRef("CSR1000V", "OTHER"));
        code.Udi.ShouldNotBe(CsrUdi);
        code.Verify(signer).ShouldBeTrue();
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   \n", "empty")]
    [InlineData("not xml at all", "well-formed")]
    [InlineData("<smartLicense><smartLicenseAuthorization/></smartLicense>", "<specificPLR>")]
    [InlineData("<specificPLR><signature>AAAA</signature><udi>P:A,S:B</udi></specificPLR>", "<authorizationCode>")]
    [InlineData("<specificPLR><authorizationCode><pid>x</pid><timestamp>1</timestamp><entitlements></entitlements></authorizationCode><udi>P:A,S:B</udi></specificPLR>", "<signature>")]
    [InlineData("<specificPLR><authorizationCode><pid>x</pid><timestamp>1</timestamp><entitlements></entitlements></authorizationCode><signature>AAAA</signature></specificPLR>", "<udi>")]
    [InlineData("<specificPLR><authorizationCode><pid>x</pid><timestamp>1</timestamp><entitlements></entitlements></authorizationCode><signature>AAAA</signature><udi>CSR1000V:95QS</udi></specificPLR>", "UDI")]
    [InlineData("<specificPLR><authorizationCode><pid>x</pid><timestamp>1</timestamp><entitlements></entitlements></authorizationCode><signature>not base64!</signature><udi>P:A,S:B</udi></specificPLR>", "base64")]
    [InlineData("<specificPLR><authorizationCode><pid>x</pid><timestamp>-1</timestamp><entitlements></entitlements></authorizationCode><signature>AAAA</signature><udi>P:A,S:B</udi></specificPLR>", "timestamp")]
    [InlineData("<specificPLR><authorizationCode><timestamp>1</timestamp><entitlements></entitlements></authorizationCode><signature>AAAA</signature><udi>P:A,S:B</udi></specificPLR>", "PIID")]
    [InlineData("<specificPLR><authorizationCode><pid>x</pid><piid>y</piid><timestamp>1</timestamp><entitlements></entitlements></authorizationCode><signature>AAAA</signature><udi>P:A,S:B</udi></specificPLR>", "both")]
    [InlineData("<specificPLR><authorizationCode><pid>x</pid><timestamp>1</timestamp><entitlements><entitlement><tag>t</tag><count>-2</count></entitlement></entitlements></authorizationCode><signature>AAAA</signature><udi>P:A,S:B</udi></specificPLR>", "count")]
    [InlineData("<specificPLR><authorizationCode><pid>x</pid><timestamp>1</timestamp><entitlements><entitlement><count>1</count></entitlement></entitlements></authorizationCode><signature>AAAA</signature><udi>P:A,S:B</udi></specificPLR>", "<tag>")]
    [InlineData("<specificPLR><authorizationCode><pid>x</pid><timestamp>1</timestamp><timestamp>2</timestamp><entitlements></entitlements></authorizationCode><signature>AAAA</signature><udi>P:A,S:B</udi></specificPLR>", "more than one")]
    [InlineData("<specificPLR><authorizationCode><flag>U</flag><pid>x</pid><timestamp>1</timestamp><entitlements></entitlements></authorizationCode><signature>AAAA</signature><udi>P:A,S:B</udi></specificPLR>", "PLR flag")]
    [InlineData("<specificPLR><!-- <authorizationCode></authorizationCode> --><authorizationCode><pid>x</pid><timestamp>1</timestamp><entitlements></entitlements></authorizationCode><signature>AAAA</signature><udi>P:A,S:B</udi></specificPLR>", "exactly one")]
    [InlineData("<!DOCTYPE specificPLR [<!ENTITY x \"y\">]><specificPLR>&x;</specificPLR>", "well-formed")]
    public void Malformed_codes_are_rejected_with_a_reason(string text, string reason)
    {
        // Act
        var ok = SlrCode.TryParse(text, out var code, out var error);

        // Assert
        ok.ShouldBeFalse();
        code.ShouldBeNull();
        error!.ShouldContain(reason, Case.Insensitive);
        Should.Throw<FormatException>(() => SlrCode.Parse(text)).Message.ShouldBe(error);
    }
}
