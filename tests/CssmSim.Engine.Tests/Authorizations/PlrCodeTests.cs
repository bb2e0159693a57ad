using System.Text.RegularExpressions;
using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Engine.Signing;
using static CssmSim.Engine.Tests.Authorizations.CodeTestData;

namespace CssmSim.Engine.Tests.Authorizations;

public sealed partial class PlrCodeTests
{
    [GeneratedRegex("^[0-9A-Za-z]{6}(-[0-9A-Za-z]{6}){5}$")]
    private static partial Regex Shape();

    [Fact]
    public void The_visible_code_is_six_groups_of_six_alphanumerics()
    {
        // Arrange
        var plr = PlrCode.Create(Piid, CsrUdi, TimestampMs, [], Signer(SigningAlgorithm.Ecdsa));

        // Act
        var code = PlrCode.From(plr);

        // Assert
        code.Length.ShouldBe(41);
        Shape().IsMatch(code).ShouldBeTrue(code);
        PlrCode.IsWellFormed(code).ShouldBeTrue();
    }

    [Fact]
    public void The_same_signature_always_gives_the_same_code()
    {
        // Arrange
        byte[] signature = [0x30, 0x45, 0x02, 0x20, 0x01, 0x02, 0x03];

        // Act
        var first = PlrCode.FromSignature(signature);
        var second = PlrCode.FromSignature(signature.ToArray());

        // Assert
        first.ShouldBe(second);
        PlrCode.FromSignature([0x30, 0x45, 0x02, 0x20, 0x01, 0x02, 0x04]).ShouldNotBe(first);
    }

    [Fact]
    public void The_code_of_a_known_signature_is_stable()
    {
        // Arrange: SHA-256("") = e3b0c442…b855, reduced modulo 62^36 and written in base62.
        // Act
        var code = PlrCode.FromSignature([]);

        // Assert
        code.ShouldBe(PlrCode.FromSignature(ReadOnlySpan<byte>.Empty));
        code.ShouldBe(KnownEmptySignatureCode);
    }

    // Computed once by an independent script (Python big integers) from SHA-256 of the empty input.
    private const string KnownEmptySignatureCode = "JelxEe-MmeB0E-iiEGkA-Yggupn-SUjWEe-pHLxI5";

    [Theory]
    [InlineData(SigningAlgorithm.Ecdsa)]
    [InlineData(SigningAlgorithm.Rsa)]
    public void The_stored_universal_form_round_trips_verifies_and_matches_its_visible_code(SigningAlgorithm algorithm)
    {
        // Arrange
        var signer = Signer(algorithm);
        var plr = PlrCode.Create(Piid, C9800Udi, TimestampMs, [], signer);
        var visible = PlrCode.From(plr);

        // Act
        var stored = PlrCode.Parse(plr.ToUniversalPlrXml());

        // Assert
        plr.ToUniversalPlrXml().ShouldStartWith("<universalPLR><authorizationCode><flag>U</flag><version>C</version>");
        stored.Content.Flag.ShouldBe(AuthorizationCodeContent.UniversalFlag);
        stored.Content.Entitlements.ShouldBeEmpty();
        stored.Udi.ShouldBe(C9800Udi);
        stored.Verify(signer.SigningCertificatePem).ShouldBeTrue();
        PlrCode.Matches(stored, visible).ShouldBeTrue();
        PlrCode.Matches(stored, "  " + visible + "\n").ShouldBeTrue();
    }

    [Fact]
    public void A_code_from_another_authorization_does_not_match()
    {
        // Arrange
        var signer = Signer(SigningAlgorithm.Ecdsa);
        var mine = PlrCode.Create(Piid, C9800Udi, TimestampMs, [], signer);
        var other = PlrCode.Create(Piid, C9800Udi, TimestampMs, [], signer);

        // Act
        var matches = PlrCode.Matches(mine, PlrCode.From(other));

        // Assert: ECDSA signatures differ each time, and so do their codes.
        matches.ShouldBeFalse();
    }

    [Fact]
    public void An_slr_code_does_not_pass_for_a_plr_authorization_nor_the_reverse()
    {
        // Arrange
        var signer = Signer(SigningAlgorithm.Ecdsa);
        var slr = SlrCode.Create(Piid, C9800Udi, TimestampMs, [], signer);
        var plr = PlrCode.Create(Piid, C9800Udi, TimestampMs, [], signer);
        var slrRewrapped = slr.ToSlrXml().Replace("specificPLR>", "universalPLR>", StringComparison.Ordinal);
        var plrRewrapped = plr.ToUniversalPlrXml().Replace("universalPLR>", "specificPLR>", StringComparison.Ordinal);

        // Act
        var slrAsPlr = PlrCode.TryParse(slrRewrapped, out _, out var plrError);
        var plrAsSlr = SlrCode.TryParse(plrRewrapped, out _, out var slrError);

        // Assert
        slrAsPlr.ShouldBeFalse();
        plrError!.ShouldContain("flag");
        plrAsSlr.ShouldBeFalse();
        slrError!.ShouldContain("flag");
    }

    [Theory]
    [InlineData("abcdef-ABCDEF-012345-uvwxyz-UVWXYZ-6789ab", true)]
    [InlineData(" abcdef-ABCDEF-012345-uvwxyz-UVWXYZ-6789ab\r\n", true)]
    [InlineData("abcdef-ABCDEF-012345-uvwxyz-UVWXYZ-6789a", false)]
    [InlineData("abcdef-ABCDEF-012345-uvwxyz-UVWXYZ6789ab", false)]
    [InlineData("abcdef-ABCDEF-012345-uvwxyz-UVWXYZ-6789a_", false)]
    [InlineData("abcdef-ABCDEF-012345-uvwxyz-UVWXYZ-6789ab-", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Well_formedness_is_the_exact_grouping(string? code, bool expected)
    {
        // Act
        var ok = PlrCode.IsWellFormed(code);

        // Assert
        ok.ShouldBe(expected);
    }
}
