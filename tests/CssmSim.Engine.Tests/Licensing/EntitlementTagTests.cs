using CssmSim.Engine.Licensing;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Licensing;

public sealed class EntitlementTagTests
{
    private const string Comma = "regid.2019-03.com.cisco.DNA_HSEC,1.0_509c41ab-05a8-431f-95fe-ec28086e8844";
    private const string Dot = "regid.2019-03.com.cisco.DNA_HSEC.1.0_509c41ab-05a8-431f-95fe-ec28086e8844";

    [Fact]
    public void The_dot_form_normalises_to_the_comma_form()
    {
        EntitlementTag.Normalize(Dot).ShouldBe(Comma);
    }

    [Fact]
    public void The_comma_form_is_already_normal()
    {
        EntitlementTag.Normalize(Comma).ShouldBe(Comma);
    }

    [Theory]
    [InlineData(Comma)]
    [InlineData(Dot)]
    public void Either_form_converts_to_the_dot_form(string tag)
    {
        EntitlementTag.ToDotForm(tag).ShouldBe(Dot);
    }

    [Theory]
    [InlineData(Comma)]
    [InlineData(Dot)]
    public void Converting_to_the_dot_form_and_back_gives_the_comma_form(string tag)
    {
        EntitlementTag.Normalize(EntitlementTag.ToDotForm(tag)).ShouldBe(Comma);
    }

    [Fact]
    public void Both_forms_name_the_same_tag()
    {
        EntitlementTag.AreSame(Comma, Dot).ShouldBeTrue();
        EntitlementTag.AreSame(Dot, Comma).ShouldBeTrue();
    }

    [Fact]
    public void Tags_with_different_uuids_or_versions_are_not_the_same()
    {
        EntitlementTag.AreSame(Comma, Comma.Replace("8844", "8845", StringComparison.Ordinal)).ShouldBeFalse();
        EntitlementTag.AreSame(Comma, Comma.Replace(",1.0_", ",2.0_", StringComparison.Ordinal)).ShouldBeFalse();
    }

    [Fact]
    public void Surrounding_spaces_are_trimmed()
    {
        EntitlementTag.Normalize("  " + Dot + "\t").ShouldBe(Comma);
    }

    [Fact]
    public void A_tag_with_an_upper_case_uuid_keeps_its_case()
    {
        var upper = "regid.2019-03.com.cisco.DNA_HSEC.1.0_509C41AB-05A8-431F-95FE-EC28086E8844";

        EntitlementTag.Normalize(upper).ShouldBe("regid.2019-03.com.cisco.DNA_HSEC,1.0_509C41AB-05A8-431F-95FE-EC28086E8844");
    }

    [Theory]
    [InlineData("DNA_HSEC")]
    [InlineData("regid.2019-03.com.cisco.DNA_HSEC")]
    [InlineData("regid.2019-03.com.cisco.DNA_HSEC.1.0")]
    [InlineData("regid.2019-03.com.cisco.DNA_HSEC.1.0_not-a-uuid")]
    [InlineData("my.custom.tag")]
    [InlineData("")]
    public void A_tag_that_is_not_a_regid_with_version_and_uuid_is_kept_as_it_is(string tag)
    {
        EntitlementTag.Normalize(tag).ShouldBe(tag);
        EntitlementTag.ToDotForm(tag).ShouldBe(tag);
    }

    [Fact]
    public void Only_the_separator_before_the_version_changes()
    {
        // The dots inside "regid.2019-03.com.cisco" and inside the version "1.0" stay dots.
        var dot = EntitlementTag.ToDotForm(Comma);

        dot.Count(c => c == ',').ShouldBe(0);
        EntitlementTag.Normalize(dot).Count(c => c == ',').ShouldBe(1);
        EntitlementTag.Normalize(dot).ShouldEndWith(",1.0_509c41ab-05a8-431f-95fe-ec28086e8844");
    }
}
