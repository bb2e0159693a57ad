using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Validation;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Seeding;

/// <summary>JSON and YAML into one tree, with hostile documents refused cheaply.</summary>
public sealed class StructuredTextTests
{
    private static JsonValueKind KindOf(string yaml) =>
        StructuredText.Parse(yaml)!.AsObject()["v"]?.GetValueKind() ?? JsonValueKind.Null;

    [Theory]
    [InlineData("v: '123456'")]
    [InlineData("v: \"123456\"")]
    [InlineData("v: '1.5'")]
    [InlineData("v: 'true'")]
    [InlineData("v: 'null'")]
    [InlineData("v: |\n  42\n")]
    public void A_quoted_or_block_YAML_scalar_is_a_string(string yaml)
    {
        KindOf(yaml).ShouldBe(JsonValueKind.String);
    }

    [Fact]
    public void A_quoted_YAML_number_keeps_its_exact_text_including_leading_zeros()
    {
        StructuredText.Parse("v: '007'")!["v"]!.GetValue<string>().ShouldBe("007");
    }

    [Theory]
    [InlineData("v: 123456", JsonValueKind.Number)]
    [InlineData("v: -7", JsonValueKind.Number)]
    [InlineData("v: 1.5", JsonValueKind.Number)]
    [InlineData("v: 3.0e1", JsonValueKind.Number)]
    [InlineData("v: true", JsonValueKind.True)]
    [InlineData("v: False", JsonValueKind.False)]
    [InlineData("v: null", JsonValueKind.Null)]
    [InlineData("v: ~", JsonValueKind.Null)]
    [InlineData("v:", JsonValueKind.Null)]
    [InlineData("v: yes", JsonValueKind.String)]
    [InlineData("v: 0x1F", JsonValueKind.String)]
    [InlineData("v: 1_000", JsonValueKind.String)]
    [InlineData("v: 2026-01-01", JsonValueKind.String)]
    public void A_plain_YAML_scalar_follows_the_YAML_1_2_core_schema(string yaml, JsonValueKind expected)
    {
        KindOf(yaml).ShouldBe(expected);
    }

    [Fact]
    public void A_plain_YAML_integer_is_read_as_its_value()
    {
        StructuredText.Parse("v: 123456")!["v"]!.GetValue<long>().ShouldBe(123456);
    }

    [Fact]
    public void YAML_aliases_within_the_budget_are_expanded()
    {
        var node = StructuredText.Parse("base: &b {x: 1}\ncopy: *b\n")!;

        node["copy"]!.ToJsonString().ShouldBe("""{"x":1}""");
    }

    /// <summary>The classic "billion laughs": nine levels of nine aliases, 9^9 values once expanded.</summary>
    private static string BillionLaughs()
    {
        var sb = new StringBuilder("a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (var i = 1; i <= 9; i++)
        {
            sb.Append($"a{i}: &a{i} [");
            sb.Append(string.Join(",", Enumerable.Repeat($"*a{i - 1}", 9)));
            sb.Append("]\n");
        }
        return sb.ToString();
    }

    [Fact]
    public void A_YAML_alias_bomb_is_refused_quickly_without_expanding_it()
    {
        var text = BillionLaughs();
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();

        var ex = Should.Throw<EngineValidationException>(() => SeedReader.Parse(text));

        watch.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        ex.Errors.Keys.ShouldBe(["$"]);
        ex.Errors["$"].ShouldHaveSingleItem().ShouldContain("aliases");
        allocated.ShouldBeLessThan(200L * 1024 * 1024, "the bomb must be refused before it is expanded in memory");
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10), "the bomb must be refused before it is expanded");
    }

    [Fact]
    public void A_YAML_alias_bomb_is_refused_by_StructuredText_with_a_FormatException()
    {
        Should.Throw<StructuredText.FormatException>(() => StructuredText.ParseYaml(BillionLaughs()))
            .Message.ShouldContain(StructuredText.MaxNodes.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void YAML_nested_100_deep_is_refused_with_a_depth_error()
    {
        var text = "v: " + new string('[', 100) + new string(']', 100) + "\n";

        var ex = Should.Throw<EngineValidationException>(() => SeedReader.Parse(text));

        ex.Errors.Keys.ShouldBe(["$"]);
        ex.Errors["$"].ShouldHaveSingleItem().ShouldContain("nested deeper than 64");
    }

    [Fact]
    public void YAML_mappings_nested_100_deep_are_refused_with_a_depth_error()
    {
        var sb = new StringBuilder();
        for (var i = 0; i < 100; i++) sb.Append(' ', i).Append('k').Append(i).Append(":\n");
        sb.Append(' ', 100).Append("leaf: 1\n");

        var ex = Should.Throw<EngineValidationException>(() => SeedReader.Parse(sb.ToString()));

        ex.Errors.Keys.ShouldBe(["$"]);
        ex.Errors["$"].ShouldHaveSingleItem().ShouldContain("nested deeper than 64");
    }

    [Fact]
    public void JSON_nested_100_deep_is_refused_at_path_dollar()
    {
        var text = "{\"v\": " + new string('[', 100) + new string(']', 100) + "}";

        var ex = Should.Throw<EngineValidationException>(() => SeedReader.Parse(text));

        ex.Errors.Keys.ShouldBe(["$"]);
        ex.Errors["$"].ShouldHaveSingleItem().ShouldStartWith("not valid JSON");
    }

    [Fact]
    public void YAML_nested_up_to_the_limit_is_accepted()
    {
        // The root mapping is depth 0, so 63 brackets put the innermost list at depth 64.
        var text = "v: " + new string('[', 63) + new string(']', 63) + "\n";

        StructuredText.Parse(text).ShouldBeOfType<JsonObject>();
    }

    [Fact]
    public void A_YAML_mapping_key_that_is_not_a_scalar_is_refused()
    {
        Should.Throw<StructuredText.FormatException>(() => StructuredText.ParseYaml("? [a, b]\n: 1\n"));
    }
}
