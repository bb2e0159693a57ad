using System.Text;
using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Engine.Signing;
using static CssmSim.Engine.Tests.Authorizations.CodeTestData;

namespace CssmSim.Engine.Tests.Authorizations;

public sealed class ConfirmationCodeTests
{
    // The element of SlrCodeTests' golden code; expected value from `printf '%s' "$E" | sha256sum | cut -c1-8`.
    private const string FixedElement =
        "<authorizationCode><flag>A</flag><version>C</version><pid>bcf8d256-97d1-4444-84aa-691315b3a8b3</pid><timestamp>1627512888369</timestamp><entitlements>"
        + "<entitlement><tag>regid.2014-05.com.cisco.ax_10G.1.0_251f937f-655c-427d-b181-222784aae79a</tag><count>1</count><startDate></startDate><endDate></endDate><licenseType>PERPETUAL</licenseType><displayName>CSR 1KV AX 10G</displayName><tagDescription>CSR 1KV AX 10G</tagDescription><subscriptionID></subscriptionID></entitlement>"
        + "<entitlement><tag>regid.2019-03.com.cisco.DNA_HSEC.1.0_509c41ab-05a8-431f-95fe-ec28086e8844</tag><count>1</count><startDate></startDate><endDate></endDate><licenseType>PERPETUAL</licenseType><displayName>Router US Export Lic. for DNA</displayName><tagDescription>U.S. Export Restriction Compliance license for DNA based Routers</tagDescription><subscriptionID></subscriptionID></entitlement>"
        + "</entitlements></authorizationCode>";

    [Fact]
    public void The_code_is_the_first_eight_hex_characters_of_sha256_over_the_element()
    {
        // Act
        var fromText = ConfirmationCode.For(FixedElement);
        var fromBytes = ConfirmationCode.For(Encoding.UTF8.GetBytes(FixedElement));

        // Assert
        fromText.ShouldBe("d91600c5");
        fromBytes.ShouldBe("d91600c5");
        ConfirmationCode.For("<authorizationCode></authorizationCode>").ShouldBe("8254b0c3");
    }

    [Fact]
    public void A_built_code_expects_the_confirmation_of_its_exact_element_bytes()
    {
        // Arrange
        var xml = SlrCode.Build(Piid, CsrUdi, TimestampMs, ReferenceEntitlements, Signer(SigningAlgorithm.Ecdsa));

        // Act
        var expected = SlrCode.Parse(xml).ExpectedConfirmationCode;

        // Assert
        AuthorizationCodeElement(xml).ShouldBe(FixedElement);
        expected.ShouldBe("d91600c5");
    }

    [Theory]
    [InlineData("102fc949")] // seed-000.md line 707
    [InlineData("ad4382fe")] // seed-000.md line 710
    [InlineData("3290c177")] // seed-002.md line 619
    [InlineData(" 76c6a69b\n")] // seed-002.md §1.8 (source L3947), with whitespace around
    public void Real_confirmation_codes_are_well_formed(string code)
    {
        // Act
        var ok = ConfirmationCode.IsWellFormed(code);

        // Assert
        ok.ShouldBeTrue();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("102fc94")]
    [InlineData("102fc9490")]
    [InlineData("102FC949")]
    [InlineData("102fc94g")]
    [InlineData("102f c949")]
    public void Anything_but_eight_lowercase_hex_characters_is_not_well_formed(string? code)
    {
        // Act
        var ok = ConfirmationCode.IsWellFormed(code);

        // Assert
        ok.ShouldBeFalse();
    }

    [Fact]
    public void Only_the_expected_value_confirms()
    {
        // Act & Assert
        ConfirmationCode.Matches(" d91600c5\r\n", "d91600c5").ShouldBeTrue();
        ConfirmationCode.Matches("d91600c6", "d91600c5").ShouldBeFalse();
        ConfirmationCode.Matches(null, "d91600c5").ShouldBeFalse();
    }
}
