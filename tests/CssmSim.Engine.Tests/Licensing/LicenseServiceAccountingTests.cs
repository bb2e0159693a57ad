using CssmSim.Engine.Accounts;
using CssmSim.Engine.Licensing;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Tests.Support;

namespace CssmSim.Engine.Tests.Licensing;

/// <summary>SPEC §2 "License accounting": consumption = max(reported, authorized); inUse, reserved, available.</summary>
public sealed class LicenseServiceAccountingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly DateTimeOffset T0 = ManualTimeProvider.DefaultStart.AddDays(-1);

    [Theory]
    [InlineData(3, 0, 3, 0, 3)]
    [InlineData(3, 5, 0, 5, 5)]
    [InlineData(7, 5, 2, 5, 7)]
    [InlineData(0, 0, 0, 0, 0)]
    public void An_instance_consumes_the_larger_of_its_reported_and_authorized_counts(long reported, long authorized, long inUse, long reserved, long consumption)
    {
        var split = LicenseAccounting.Of(new InstanceUsage(reported, authorized));

        split.InUse.ShouldBe(inUse);
        split.Reserved.ShouldBe(reserved);
        split.Consumption.ShouldBe(consumption);
    }

    [Fact]
    public void Pending_is_the_part_of_an_authorization_still_in_transition_and_never_more_than_it()
    {
        LicenseAccounting.Of(new InstanceUsage(0, 4, 1)).Pending.ShouldBe(1);
        LicenseAccounting.Of(new InstanceUsage(0, 4, 9)).Pending.ShouldBe(4);
    }

    [Fact]
    public void Instances_without_an_authorization_count_as_reported_in_a_combined_tag()
    {
        // 10 reported in all; one instance reported 3 and holds 5, another reported 4 and holds 1.
        var split = LicenseAccounting.Combine(10, [new InstanceUsage(3, 5), new InstanceUsage(4, 1)]);

        split.InUse.ShouldBe(3 + 0 + 3);
        split.Reserved.ShouldBe(6);
        split.Consumption.ShouldBe(3 + 5 + 4);
        LicenseAccounting.Available(10, split).ShouldBe(-2);
    }

    [Fact]
    public void Available_goes_negative_on_over_use()
    {
        LicenseAccounting.Available(100, LicenseAccounting.Sum([new InstanceUsage(70), new InstanceUsage(45)])).ShouldBe(-15);
    }

    private static NewUsageReport Report(string serial, string key, string tag, long inUse, DateTimeOffset measuredAt) =>
        new($"PID:C9800-CL-K9,SN:{serial}", key, key, true, tag, inUse, measuredAt, "{}", null, "test");

    /// <summary>The default seed with two product instances in DEFAULT and one in Lab.</summary>
    private static async Task<(SeededStore Seeded, VirtualAccount Default, VirtualAccount Lab)> FleetAsync(StoreKind kind)
    {
        var seeded = await SeededStore.StartAsync(kind);
        var va = await seeded.VirtualAccountAsync("example.com", "DEFAULT");
        var lab = await seeded.VirtualAccountAsync("example.com", "Lab");
        foreach (var (serial, vaId) in new[] { ("A1", va.Id), ("A2", va.Id), ("L1", lab.Id) })
        {
            await seeded.Store.Inventory.UpsertProductInstanceAsync(new StoredProductInstance($"PID:C9800-CL-K9,SN:{serial}", "C9800-CL-K9", serial,
                Guid.NewGuid().ToString(), vaId, serial.ToLowerInvariant(), null, null, null, null, null, null, null, null, T0, null), Ct);
        }
        return (seeded, va, lab);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task In_use_is_the_sum_of_each_instances_latest_measurement(StoreKind kind)
    {
        var (seeded, va, _) = await FleetAsync(kind);
        await using var _ = seeded;
        await seeded.Store.Usage.StoreReportsAsync([
            Report("A1", "1", Seeds.NwStackTag, 40, T0),
            Report("A1", "2", Seeds.NwStackTag, 15, T0.AddHours(1)),
            Report("A2", "1", Seeds.NwStackTag, 30, T0),
            Report("A2", "2", Seeds.AirDnaTag, 120, T0),
        ], T0, "ACKED", Ct);
        var service = new LicenseService(seeded.Store, seeded.Clock);

        var balances = await service.BalancesAsync(va, Ct);

        balances.Select(b => b.Tag).ShouldBe([Seeds.AirDnaTag, Seeds.NwStackTag, Seeds.HsecTag, Seeds.EnforcedDemoTag]);
        var nw = balances.Single(b => b.Tag == Seeds.NwStackTag);
        (nw.Purchased, nw.InUse, nw.Reserved, nw.Available, nw.InCompliance).ShouldBe((100L, 45L, 0L, 55L, true));
        var air = balances.Single(b => b.Tag == Seeds.AirDnaTag);
        (air.InUse, air.Available, air.InCompliance).ShouldBe((120L, -20L, false));
        air.Transferable.ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_reported_tag_without_a_pool_entry_is_listed_with_nothing_purchased_under_the_accounts_name_for_it(StoreKind kind)
    {
        var (seeded, _, lab) = await FleetAsync(kind);
        await using var _ = seeded;
        await seeded.Store.Usage.StoreReportsAsync([Report("L1", "1", Seeds.HsecTag, 2, T0)], T0, "ACKED", Ct);

        var balance = (await new LicenseService(seeded.Store, seeded.Clock).BalancesAsync(lab, Ct)).Single();

        balance.Pool.ShouldBeNull();
        balance.DisplayName.ShouldBe("Router US Export Lic. for DNA");
        balance.Enforcement.ShouldBe(Enforcement.ExportControlled);
        (balance.Purchased, balance.InUse, balance.Available).ShouldBe((0L, 2L, -2L));
    }

    private sealed class FixedAuthorizations(params InstanceAuthorization[] authorizations) : IAuthorizationSource
    {
        public Task<IReadOnlyList<InstanceAuthorization>> ActiveAsync(string virtualAccountId, CancellationToken ct = default) =>
            Task.FromResult<IReadOnlyList<InstanceAuthorization>>(authorizations);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Authorized_counts_are_reserved_and_cover_the_reported_use_of_their_instance(StoreKind kind)
    {
        var (seeded, va, _) = await FleetAsync(kind);
        await using var _ = seeded;
        await seeded.Store.Usage.StoreReportsAsync([
            Report("A1", "1", Seeds.EnforcedDemoTag, 1, T0),
            Report("A2", "1", Seeds.EnforcedDemoTag, 3, T0),
        ], T0, "ACKED", Ct);
        // A1 holds 2 (1 of them not yet confirmed), in the dot form codes use; A2 holds 1 and reports 3.
        var authorizations = new FixedAuthorizations(
            new InstanceAuthorization("PID:C9800-CL-K9,SN:A1", Seeds.EnforcedDemoTag.Replace(",1.0_", ".1.0_"), 2, InTransition: 1),
            new InstanceAuthorization("PID:C9800-CL-K9,SN:A2", Seeds.EnforcedDemoTag, 1));
        var service = new LicenseService(seeded.Store, seeded.Clock, authorizations);

        var demo = (await service.BalancesAsync(va, Ct)).Single(b => b.Tag == Seeds.EnforcedDemoTag);

        demo.Reserved.ShouldBe(3);
        demo.Pending.ShouldBe(1);
        demo.InUse.ShouldBe(2, "A1's report is covered by its authorization; A2 reports 2 beyond its own");
        demo.Available.ShouldBe(5 - 2 - 3);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_term_that_starts_later_is_future_entitled_until_its_start_date(StoreKind kind)
    {
        await using var seeded = await SeededStore.StartAsync(kind);
        var start = DateOnly.FromDateTime(seeded.Clock.GetUtcNow().UtcDateTime).AddDays(10);
        await seeded.MergeAsync($$"""
            accounts:
            - domain: example.com
              virtualAccounts:
              - name: Lab
                licenses:
                - {tag: "{{Seeds.AirDnaTag}}", displayName: "Aironet DNA Advantage Term Licenses", enforcement: unenforced, type: TERM, quantity: 8,
                   startDate: "{{start:yyyy-MM-dd}}", endDate: "{{start.AddDays(365):yyyy-MM-dd}}"}
            """);
        var service = new LicenseService(seeded.Store, seeded.Clock);
        var lab = await seeded.VirtualAccountAsync("example.com", "Lab");

        var before = (await service.BalancesAsync(lab, Ct)).Single();
        seeded.Clock.Advance(TimeSpan.FromDays(10));
        var after = (await service.BalancesAsync(lab, Ct)).Single();

        (before.Entitled, before.FutureEntitled).ShouldBe((0L, 8L));
        (after.Entitled, after.FutureEntitled).ShouldBe((8L, 0L));
    }
}
