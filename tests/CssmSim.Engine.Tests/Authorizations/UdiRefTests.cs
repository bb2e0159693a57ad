using CssmSim.Engine.Authorizations.Codes;

namespace CssmSim.Engine.Tests.Authorizations;

public sealed class UdiRefTests
{
    [Fact]
    public void The_text_form_is_the_short_code_form()
    {
        // Act
        var text = new UdiRef("C9800-CL-K9", "93BBAH93MGS").ToString();

        // Assert
        text.ShouldBe("P:C9800-CL-K9,S:93BBAH93MGS");
    }

    // Forms seen in the reference: short (seed-002.md line 112, L3684), long display form
    // (seed-000.md line 715), mixed syslog form (seed-002.md line 112, L301).
    [Theory]
    [InlineData("P:ISR4351/K9,S:FDO21512BJB", "ISR4351/K9", "FDO21512BJB")]
    [InlineData("PID:C9800-CL-K9,SN:93BBAH93MGS", "C9800-CL-K9", "93BBAH93MGS")]
    [InlineData("PID:ISR4461/K9,S:FDO222815Y4", "ISR4461/K9", "FDO222815Y4")]
    [InlineData("  P:N9K:C9300,S:FOC-1 \n", "N9K:C9300", "FOC-1")]
    public void Short_long_and_mixed_forms_parse(string text, string pid, string serial)
    {
        // Act
        var ok = UdiRef.TryParse(text, out var udi);

        // Assert
        ok.ShouldBeTrue();
        udi.ShouldBe(new UdiRef(pid, serial));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("C9300:FOC1")]
    [InlineData("P:C9300")]
    [InlineData("P:,S:FOC1")]
    [InlineData("P:C9300,S:")]
    [InlineData("P:C9300,X:FOC1")]
    [InlineData("P:C 9300,S:FOC1")]
    [InlineData("UDI_PID:C9300; UDI_SN:FOC1")]
    public void Other_texts_are_not_udis(string? text)
    {
        // Act
        var ok = UdiRef.TryParse(text, out var udi);

        // Assert
        ok.ShouldBeFalse();
        udi.ShouldBe(default);
    }

    [Theory]
    [InlineData("", "FOC1")]
    [InlineData("C9300", "")]
    [InlineData("C9300,X", "FOC1")]
    [InlineData("C9300", "FOC 1")]
    [InlineData("C9300", "FOC\u00001")]
    public void Invalid_parts_are_refused(string pid, string serial)
    {
        // Act
        var act = () => { _ = new UdiRef(pid, serial); };

        // Assert
        act.ShouldThrow<ArgumentException>();
    }
}
