using System.Text.RegularExpressions;
using CssmSim.Engine.Authorizations.Codes;
using static CssmSim.Engine.Tests.Authorizations.CodeTestData;

namespace CssmSim.Engine.Tests.Authorizations;

public sealed partial class ReturnCodeTests
{
    // Real device codes, seed-000.md lines 716/728 (active, both spellings seen) and 718/731 (standby).
    private const string RealActive = "CqaUPW-WSPYiq-ZNU2ci-SnWydS-hBCXHP-MuyPqy-PJ1GiG-tPTGQj-S2h";
    private const string RealActiveAsPrinted = "CqaUPW-WSPYiq-ZNU2ci-SnWyds-hBCXHP-MuyPqy-PJ1GiG-tPTGQj-S2h";
    private const string RealStandby = "CNLwxR-eWiAEJ-XaTEQg-j4rrYW-dSRz9j-37VpcP-imjuLD-mNeA4k-TXA";

    // An independent computation (Python: uuid.bytes, hashlib.sha256, big-integer base62) for this id and UDI.
    private static readonly Guid KnownId = Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    private const string KnownCode = "017OUZ-8XVIEv-zsqMs6-lRRnTf-pt1BTo-tzfBSY-FzbGdL-0KXoPW-bBc";
    private const string KnownHashHex = "336388d5bcb09b186c5569ddbe02c5d59ad03658f4";

    [GeneratedRegex("^([0-9A-Za-z]{6}-){8}[0-9A-Za-z]{3}$")]
    private static partial Regex Shape();

    [Fact]
    public void Generate_makes_59_characters_in_eight_groups_of_six_and_one_of_three()
    {
        // Act
        var code = ReturnCode.Generate(Guid.NewGuid(), C9800Udi);

        // Assert
        code.Length.ShouldBe(59);
        Shape().IsMatch(code).ShouldBeTrue(code);
        ReturnCode.IsWellFormed(code).ShouldBeTrue();
    }

    [Fact]
    public void Generate_matches_an_independent_computation()
    {
        // Act
        var code = ReturnCode.Generate(KnownId, C9800Udi);

        // Assert
        code.ShouldBe(KnownCode);
        Convert.ToHexStringLower(ReturnCode.UdiHash(KnownId, C9800Udi)).ShouldBe(KnownHashHex);
    }

    [Fact]
    public void Generated_code_decodes_to_its_id_and_udi_hash()
    {
        // Arrange
        var id = Guid.NewGuid();
        var code = ReturnCode.Generate(id, C9800Udi);

        // Act
        var ok = ReturnCode.TryDecode(code, out var decodedId, out var hash);

        // Assert
        ok.ShouldBeTrue();
        decodedId.ShouldBe(id);
        hash.Length.ShouldBe(21);
        hash.ShouldBe(ReturnCode.UdiHash(id, C9800Udi));
        ReturnCode.Matches(code, C9800Udi).ShouldBeTrue();
        ReturnCode.TryDecode(code, C9800Udi, out var checkedId).ShouldBeTrue();
        checkedId.ShouldBe(id);
    }

    [Fact]
    public void Decoding_trims_surrounding_whitespace()
    {
        // Act
        var ok = ReturnCode.TryDecode("\t " + KnownCode + "\r\n", C9800Udi, out var id);

        // Assert
        ok.ShouldBeTrue();
        id.ShouldBe(KnownId);
    }

    [Fact]
    public void A_code_does_not_match_another_udi()
    {
        // Arrange
        var code = ReturnCode.Generate(KnownId, C9800Udi);
        var standby = new UdiRef("C9800-CL-K9", "9XECPSUU4XN");

        // Act
        var matches = ReturnCode.Matches(code, standby);
        var decodes = ReturnCode.TryDecode(code, standby, out var id);

        // Assert
        matches.ShouldBeFalse();
        decodes.ShouldBeFalse();
        id.ShouldBe(Guid.Empty);
    }

    [Theory]
    [InlineData(RealActive)]
    [InlineData(RealActiveAsPrinted)]
    [InlineData(RealStandby)]
    public void Real_device_codes_are_well_formed_but_not_decodable_as_ours(string code)
    {
        // Act
        var wellFormed = ReturnCode.IsWellFormed(code);
        var decodes = ReturnCode.TryDecode(code, out _, out _);

        // Assert: their 51 digits overflow 37 bytes.
        wellFormed.ShouldBeTrue();
        decodes.ShouldBeFalse();
        ReturnCode.Matches(code, C9800Udi).ShouldBeFalse();
    }

    [Fact]
    public void The_largest_well_formed_value_overflows_and_the_smallest_decodes_without_matching()
    {
        // Arrange
        var allZ = string.Join('-', Enumerable.Repeat("zzzzzz", 8)) + "-zzz";
        var allZero = string.Join('-', Enumerable.Repeat("000000", 8)) + "-000";

        // Act
        var zDecodes = ReturnCode.TryDecode(allZ, out _, out _);
        var zeroDecodes = ReturnCode.TryDecode(allZero, out var zeroId, out var zeroHash);

        // Assert
        zDecodes.ShouldBeFalse();
        zeroDecodes.ShouldBeTrue();
        zeroId.ShouldBe(Guid.Empty);
        zeroHash.ShouldBe(new byte[21]);
        ReturnCode.Matches(allZero, C9800Udi).ShouldBeFalse();
    }

    [Fact]
    public void Changing_any_one_character_of_a_generated_code_breaks_the_match()
    {
        // Arrange
        var code = ReturnCode.Generate(KnownId, C9800Udi);

        for (var i = 0; i < code.Length; i++)
        {
            if (code[i] == '-')
            {
                continue;
            }

            var replacement = code[i] == 'a' ? 'b' : 'a';
            var changed = code[..i] + replacement + code[(i + 1)..];

            // Act
            var matches = ReturnCode.Matches(changed, C9800Udi);

            // Assert
            ReturnCode.IsWellFormed(changed).ShouldBeTrue();
            matches.ShouldBeFalse($"position {i}");
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("CqaUPW-WSPYiq-ZNU2ci-SnWydS-hBCXHP-MuyPqy-PJ1GiG-tPTGQj-S2")]
    [InlineData("CqaUPW-WSPYiq-ZNU2ci-SnWydS-hBCXHP-MuyPqy-PJ1GiG-tPTGQj-S2hh")]
    [InlineData("CqaUPW-WSPYiq-ZNU2ci-SnWydS-hBCXHP-MuyPqy-PJ1GiG-tPTGQjS-2h")]
    [InlineData("CqaUPW_WSPYiq-ZNU2ci-SnWydS-hBCXHP-MuyPqy-PJ1GiG-tPTGQj-S2h")]
    [InlineData("CqaUPW-WSPYiq-ZNU2ci-SnWydS-hBCXHP-MuyPqy-PJ1GiG-tPTGQj-S2+")]
    [InlineData("CqaUPW-WSPYiq-ZNU2ci-SnWydS-hBCXHP-MuyPqy-PJ1GiG-tPTGQj-S\u00e92")]
    [InlineData("CqaUPWWSPYiqZNU2ciSnWydShBCXHPMuyPqyPJ1GiGtPTGQjS2h")]
    [InlineData("CqaUPW WSPYiq ZNU2ci SnWydS hBCXHP MuyPqy PJ1GiG tPTGQj S2h")]
    public void Codes_without_the_exact_grouping_are_not_well_formed(string? code)
    {
        // Act
        var wellFormed = ReturnCode.IsWellFormed(code);
        var decodes = ReturnCode.TryDecode(code, out var id, out var hash);

        // Assert
        wellFormed.ShouldBeFalse();
        decodes.ShouldBeFalse();
        id.ShouldBe(Guid.Empty);
        hash.ShouldBeEmpty();
    }
}
