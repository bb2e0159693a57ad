using CssmSim.Engine.Ids;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Ids;

public sealed class DerivedIdsTests
{
    [Fact]
    public void A_decimal_id_is_the_same_for_the_same_seed_and_name()
    {
        new DerivedIds(42).Decimal("sa/acme.test").ShouldBe(new DerivedIds(42).Decimal("sa/acme.test"));
    }

    [Fact]
    public void A_decimal_id_differs_between_seeds()
    {
        new DerivedIds(1).Decimal("sa/acme.test").ShouldNotBe(new DerivedIds(2).Decimal("sa/acme.test"));
    }

    [Fact]
    public void A_decimal_id_differs_between_names()
    {
        var ids = new DerivedIds(1);

        ids.Decimal("sa/a.test").ShouldNotBe(ids.Decimal("sa/b.test"));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(6)]
    [InlineData(9)]
    [InlineData(12)]
    [InlineData(18)]
    public void A_decimal_id_has_the_requested_digit_count_and_no_leading_zero(int digits)
    {
        var ids = new DerivedIds(7);

        for (var i = 0; i < 500; i++)
        {
            var id = ids.Decimal("n/" + i, digits);

            id.Length.ShouldBe(digits);
            id.ShouldAllBe(c => c >= '0' && c <= '9');
            id[0].ShouldNotBe('0');
        }
    }

    [Fact]
    public void A_decimal_id_has_nine_digits_by_default()
    {
        new DerivedIds(0).Decimal("x").Length.ShouldBe(9);
    }

    [Fact]
    public void Two_digit_ids_cover_the_whole_range_10_to_99()
    {
        var ids = new DerivedIds(3);

        var seen = Enumerable.Range(0, 3000).Select(i => int.Parse(ids.Decimal("n/" + i, 2), System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();

        seen.Min().ShouldBe(10);
        seen.Max().ShouldBe(99);
        seen.Count.ShouldBe(90);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(19)]
    [InlineData(0)]
    public void A_digit_count_outside_2_to_18_is_refused(int digits)
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new DerivedIds(1).Decimal("x", digits));
    }

    [Fact]
    public void The_namespace_and_uuids_are_stable_for_a_seed_and_differ_between_seeds()
    {
        new DerivedIds(5).Namespace.ShouldBe(new DerivedIds(5).Namespace);
        new DerivedIds(5).Namespace.ShouldNotBe(new DerivedIds(6).Namespace);
        new DerivedIds(5).Uuid5("pi/C9800-CL-K9:93BBAH93MGS").ShouldBe(new DerivedIds(5).Uuid5("pi/C9800-CL-K9:93BBAH93MGS"));
        new DerivedIds(5).Uuid5("pi/C9800-CL-K9:93BBAH93MGS").ShouldNotBe(new DerivedIds(6).Uuid5("pi/C9800-CL-K9:93BBAH93MGS"));
    }

    [Fact]
    public void Uuid5_is_a_version_5_uuid_in_the_seed_namespace()
    {
        var ids = new DerivedIds(9);

        ids.Uuid5("pi/X").ShouldBe(Uuid.V5(ids.Namespace, "pi/X"));
    }

    [Fact]
    public void Hmac_is_32_bytes_stable_for_a_seed_and_differs_between_seeds()
    {
        var a = new DerivedIds(11).Hmac("token/234567/1");

        a.Length.ShouldBe(32);
        a.ShouldBe(new DerivedIds(11).Hmac("token/234567/1"));
        a.ShouldNotBe(new DerivedIds(12).Hmac("token/234567/1"));
        a.ShouldNotBe(new DerivedIds(11).Hmac("token/234567/2"));
    }

    [Fact]
    public void Negative_and_extreme_random_seeds_are_usable()
    {
        new DerivedIds(-1).Decimal("x").ShouldNotBe(new DerivedIds(1).Decimal("x"));
        new DerivedIds(long.MinValue).Decimal("x").Length.ShouldBe(9);
        new DerivedIds(long.MaxValue).Decimal("x").Length.ShouldBe(9);
    }
}
