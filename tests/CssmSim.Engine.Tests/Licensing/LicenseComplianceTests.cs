using CssmSim.Engine.Licensing;

namespace CssmSim.Engine.Tests.Licensing;

/// <summary>Issue 15 items 7 and 8: compliance and the Insufficient Licenses alert derived from the accounting; TERM/DEMO expiry.</summary>
public sealed class LicenseComplianceTests
{
    private static License Pool(Enforcement enforcement = Enforcement.Unenforced, LicenseType type = LicenseType.Perpetual, long quantity = 10,
        DateOnly? start = null, DateOnly? end = null) => new("va", "tag", "License", enforcement, type, quantity, start, end);

    private static LicenseBalance Balance(License pool, UsageSplit usage, bool expired = false) =>
        new("va", pool.Tag, pool.DisplayName, pool.Enforcement, pool, usage, false, expired);

    [Fact]
    public void A_balance_at_or_above_zero_is_in_compliance_without_alerts()
    {
        var b = Balance(Pool(quantity: 10), new UsageSplit(10, 0, 0));

        b.Available.ShouldBe(0);
        b.InCompliance.ShouldBeTrue();
        b.Alerts.ShouldBeEmpty();
    }

    [Fact]
    public void A_negative_balance_is_out_of_compliance_with_the_insufficient_licenses_alert()
    {
        var b = Balance(Pool(quantity: 1), new UsageSplit(2, 0, 0));

        b.Available.ShouldBe(-1);
        b.InCompliance.ShouldBeFalse();
        b.Alerts.ShouldBe(["Insufficient Licenses"]);
    }

    [Theory]
    [InlineData(Enforcement.Enforced)]
    [InlineData(Enforcement.ExportControlled)]
    public void Enforced_use_beyond_its_authorizations_is_out_of_compliance_even_with_licenses_left(Enforcement enforcement)
    {
        var covered = Balance(Pool(enforcement, quantity: 10), new UsageSplit(0, 2, 0));
        var uncovered = Balance(Pool(enforcement, quantity: 10), new UsageSplit(1, 2, 0));

        covered.InCompliance.ShouldBeTrue();
        uncovered.InCompliance.ShouldBeFalse();
        uncovered.Alerts.ShouldBeEmpty("the balance is still positive");
    }

    [Theory]
    [InlineData(LicenseType.Term, "2027-01-31", "2027-01-31", false)]
    [InlineData(LicenseType.Term, "2027-01-31", "2027-02-01", true)]
    [InlineData(LicenseType.Demo, "2027-01-31", "2027-02-01", true)]
    [InlineData(LicenseType.Perpetual, "2027-01-31", "2030-01-01", false)]
    public void A_term_or_demo_license_expires_the_day_after_its_end_date(LicenseType type, string end, string today, bool expired)
    {
        var license = Pool(type: type, end: DateOnly.Parse(end, System.Globalization.CultureInfo.InvariantCulture));

        LicenseService.IsExpired(license, DateOnly.Parse(today, System.Globalization.CultureInfo.InvariantCulture)).ShouldBe(expired);
    }

    [Fact]
    public void An_expired_license_leaves_the_pool_so_its_use_is_a_negative_balance()
    {
        var b = Balance(Pool(type: LicenseType.Term, quantity: 100), new UsageSplit(5, 0, 0), expired: true);

        b.Purchased.ShouldBe(0);
        b.Entitled.ShouldBe(0);
        b.Available.ShouldBe(-5);
        b.InCompliance.ShouldBeFalse();
        b.Alerts.ShouldBe(["Insufficient Licenses"]);
    }
}
