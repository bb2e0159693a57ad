using CssmSim.Engine.Authorizations.Codes;

namespace CssmSim.Engine.Tests.Authorizations;

public sealed class RequestCodeTests
{
    // The reference files hold no real request code (seed-002.md §1.11 says so; seed-000.md only
    // shows "Request code: <none>", lines 1311/1317). These follow the spec's shape around real
    // UDIs: seed-000.md line 715, seed-002.md lines 108/112, line 618, and a PID with ':'.
    [Theory]
    [InlineData("CB-ZC9800-CL-K9:93BBAH93MGS-AK9A6sMd8-3B", "C9800-CL-K9", "93BBAH93MGS")]
    [InlineData("CC-ZISR4461/K9:FDO222815Y4-Bq1zXw9aQ-6F", "ISR4461/K9", "FDO222815Y4")]
    [InlineData("CB-ZC1111-8PLTEEAWB:FGL214391JK-x7Hh2Lm0p-0A", "C1111-8PLTEEAWB", "FGL214391JK")]
    [InlineData("CE-ZCSR1000V:95QS2T1KUJX-zZ9yY8xX7-E1", "CSR1000V", "95QS2T1KUJX")]
    [InlineData("CB-ZN9K:C9300-48P:FOC1234X0AB-AK9A6sMd8-3B", "N9K:C9300-48P", "FOC1234X0AB")]
    [InlineData("CB-ZC9300-24T:FOC-1234-X0AB-AK9A6sMd8-3B", "C9300-24T", "FOC-1234-X0AB")]
    [InlineData("  CB-ZC9800-CL-K9:93BBAH93MGS-AK9A6sMd8-3B\r\n", "C9800-CL-K9", "93BBAH93MGS")]
    public void Pid_runs_from_dash_z_to_the_last_colon_and_serial_to_the_last_two_dashes(string text, string pid, string serial)
    {
        // Act
        var ok = RequestCode.TryParse(text, out var parsed, out var error);

        // Assert
        ok.ShouldBeTrue(error);
        parsed!.Udi.ShouldBe(new UdiRef(pid, serial));
        parsed.Code.ShouldBe(text.Trim());
    }

    [Fact]
    public void The_parts_around_the_udi_are_kept_but_not_checked()
    {
        // Act
        var parsed = RequestCode.Parse("x!-ZC9300-24P:FOC1234X0AB-r@nd0m-???");

        // Assert
        parsed.Prefix.ShouldBe("x!");
        parsed.Random.ShouldBe("r@nd0m");
        parsed.Suffix.ShouldBe("???");
        parsed.Udi.ToString().ShouldBe("P:C9300-24P,S:FOC1234X0AB");
    }

    [Theory]
    [InlineData(null, "empty")]
    [InlineData("", "empty")]
    [InlineData(" \t\r\n", "empty")]
    [InlineData("CBZC9300:FOC1-abc-3B", "-Z")]
    [InlineData("CB-YC9300:FOC1-abc-3B", "-Z")]
    [InlineData("CB-zC9300:FOC1-abc-3B", "-Z")]
    [InlineData("C-ZC9300:FOC1-abc-3B", "-Z")]
    [InlineData("CB-ZC9300-FOC1-abc-3B", "':'")]
    [InlineData("CB-Z:FOC1-abc-3B", "empty PID")]
    [InlineData("CB-ZC9300:-abc-3B", "empty serial")]
    [InlineData("CB-ZC9300:FOC1-3B", "-<random>-<2 chars>")]
    [InlineData("CB-ZC9300:FOC1", "-<random>-<2 chars>")]
    [InlineData("CB-ZC9300:FOC1--3B", "random")]
    [InlineData("CB-ZC9300:FOC1-abc-", "suffix")]
    [InlineData("CB-ZC9300 24P:FOC1-abc-3B", "whitespace")]
    [InlineData("CB-ZC9300,24P:FOC1-abc-3B", "','")]
    public void Malformed_request_codes_are_rejected_with_a_reason(string? text, string reason)
    {
        // Act
        var ok = RequestCode.TryParse(text, out var parsed, out var error);

        // Assert
        ok.ShouldBeFalse();
        parsed.ShouldBeNull();
        error!.ShouldContain(reason, Case.Insensitive);
    }

    [Fact]
    public void An_overlong_request_code_is_rejected()
    {
        // Arrange
        var text = "CB-Z" + new string('P', 600) + ":SN-abc-3B";

        // Act
        var ok = RequestCode.TryParse(text, out _, out var error);

        // Assert
        ok.ShouldBeFalse();
        error!.ShouldContain("longer");
    }

    [Fact]
    public void Generated_code_has_the_spec_shape_and_parses_back_to_its_udi()
    {
        // Arrange
        var udi = new UdiRef("C9800-CL-K9", "93BBAH93MGS");

        // Act
        var code = RequestCode.Generate(udi, new Random(42));

        // Assert
        code.ShouldMatch("^C[A-Z]-ZC9800-CL-K9:93BBAH93MGS-[0-9A-Za-z]{9}-[0-9A-F]{2}$");
        RequestCode.Parse(code).Udi.ShouldBe(udi);
    }

    [Fact]
    public void The_same_seed_generates_the_same_code()
    {
        // Arrange
        var udi = new UdiRef("ISR4461/K9", "FDO222815Y4");

        // Act
        var first = RequestCode.Generate(udi, new Random(7));
        var second = RequestCode.Generate(udi, new Random(7));

        // Assert
        first.ShouldBe(second);
    }

    [Fact]
    public void A_serial_number_with_a_colon_cannot_be_written_in_a_request_code()
    {
        // Act
        var act = () => RequestCode.Generate(new UdiRef("C9300", "FOC:1"), new Random(1));

        // Assert
        act.ShouldThrow<ArgumentException>();
    }
}
