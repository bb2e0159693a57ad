using System.Globalization;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Authorizations;
using CssmSim.Engine.Licensing;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Tests.Support;

namespace CssmSim.Engine.Tests.Licensing;

/// <summary>
/// Balances read from <c>latest_usage</c> (migration 10: the latest counted report of each
/// instance and tag, kept by triggers) give what the accounting rules give by hand, and the same
/// sums as the window over every report they replaced.
/// </summary>
public sealed class LatestUsageAccountingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly DateTimeOffset T0 = ManualTimeProvider.DefaultStart.AddDays(-1);
    private static readonly string NwStackDotForm = Seeds.NwStackTag.Replace(",1.0_", ".1.0_", StringComparison.Ordinal);

    private static string Udi(string serial) => $"PID:C9800-CL-K9,SN:{serial}";

    private static NewUsageReport Report(string serial, string key, string tag, long inUse, DateTimeOffset? measuredAt) =>
        new(Udi(serial), key, key, true, tag, inUse, measuredAt, "{\"k\":" + key + "}", null, "test");

    private static Task AddInstanceAsync(SeededStore seeded, string serial, string vaId) =>
        seeded.Store.Inventory.UpsertProductInstanceAsync(new StoredProductInstance(Udi(serial), "C9800-CL-K9", serial,
            Guid.NewGuid().ToString(), vaId, serial.ToLowerInvariant(), null, null, null, null, null, null, null, null, T0, null), Ct);

    private static async Task AuthorizeAsync(SeededStore seeded, string serial, string vaId, long count, string state)
    {
        var issued = await seeded.Store.Authorizations.IssueAsync(new AuthorizationIssue(Guid.NewGuid().ToString(), "SLAC", Udi(serial), vaId,
            [new AuthorizedCount(Seeds.EnforcedDemoTag, count)], "SLAC", state, T0, _ => ("<slac/>", "c0ffee")), Ct);
        issued.Authorization.ShouldNotBeNull();
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_mixed_fleet_balances_to_the_values_the_accounting_rules_give_by_hand(StoreKind kind)
    {
        await using var seeded = await SeededStore.StartAsync(kind);
        var va = await seeded.VirtualAccountAsync("example.com", "DEFAULT");
        var lab = await seeded.VirtualAccountAsync("example.com", "Lab");
        foreach (var serial in new[] { "A1", "A2", "A3", "A4" }) await AddInstanceAsync(seeded, serial, va.Id);
        await AddInstanceAsync(seeded, "L1", lab.Id);
        var usage = seeded.Store.Usage;
        await usage.StoreReportsAsync([
            // A1: 40 then 15 an hour later (15 counts); 70 without a measurement time is the oldest;
            // and 5 in the tag's dot form, a tag of its own before normalising.
            Report("A1", "1", Seeds.NwStackTag, 40, T0),
            Report("A1", "2", Seeds.NwStackTag, 15, T0.AddHours(1)),
            Report("A1", "4", Seeds.NwStackTag, 70, null),
            Report("A1", "5", NwStackDotForm, 5, T0.AddHours(3)),
            Report("A2", "1", Seeds.NwStackTag, 30, T0),
            // A3 moves to Lab below; A4 is removed.
            Report("A3", "1", Seeds.NwStackTag, 7, T0),
            Report("A4", "1", Seeds.NwStackTag, 50, T0),
            Report("L1", "1", Seeds.HsecTag, 2, T0),
            Report("A1", "6", Seeds.EnforcedDemoTag, 1, T0),
            Report("A2", "6", Seeds.EnforcedDemoTag, 3, T0),
        ], T0, "ACKED", Ct);
        // The newest measurement, but dropped: never counted.
        await usage.StoreReportsAsync([Report("A1", "3", Seeds.NwStackTag, 99, T0.AddHours(2))], T0, "DROPPED", Ct);
        // Same measurement time as A2's first, received later: the later one counts.
        await usage.StoreReportsAsync([Report("A2", "2", Seeds.NwStackTag, 33, T0)], T0.AddMinutes(1), "ACKED", Ct);
        // A later report that measured earlier: the earlier-received, later-measured one still counts.
        await usage.StoreReportsAsync([Report("A2", "3", Seeds.NwStackTag, 80, T0.AddMinutes(-5))], T0.AddMinutes(2), "ACKED", Ct);
        (await seeded.Store.Inventory.MoveProductInstanceAsync(Udi("A3"), va.Id, lab.Id, Ct)).ShouldBeTrue();
        (await seeded.Store.Inventory.DeleteProductInstanceAsync(Udi("A4"), Ct)).ShouldBeTrue();
        // A1 holds 2 of the enforced demo (not yet confirmed), A2 holds 1 and reports 3.
        await AuthorizeAsync(seeded, "A1", va.Id, 2, "IN_TRANSITION");
        await AuthorizeAsync(seeded, "A2", va.Id, 1, "CONFIRMED");
        var service = new LicenseService(seeded.Store, seeded.Clock, new StoreAuthorizationSource(seeded.Store));

        var balances = (await service.BalancesAsync(va, Ct)).ToDictionary(b => b.Tag);
        var labBalances = (await service.BalancesAsync(lab, Ct)).ToDictionary(b => EntitlementTag.Normalize(b.Tag));

        var nw = balances[Seeds.NwStackTag];
        (nw.Purchased, nw.InUse, nw.Reserved, nw.Available).ShouldBe((100L, 15 + 5 + 33L, 0L, 100 - 53L));
        var demo = balances[Seeds.EnforcedDemoTag];
        (demo.InUse, demo.Reserved, demo.Pending, demo.Available).ShouldBe((2L, 3L, 2L, 0L), "A1's 1 is covered by its 2; A2 reports 2 beyond its 1");
        labBalances.Keys.Order(StringComparer.Ordinal).ShouldBe(new[] { Seeds.HsecTag, Seeds.NwStackTag }.Order(StringComparer.Ordinal));
        (labBalances[Seeds.NwStackTag].InUse, labBalances[Seeds.NwStackTag].Purchased).ShouldBe((7L, 0L), "A3's use moved with it");
        labBalances[Seeds.HsecTag].InUse.ShouldBe(2);

        var devices = await service.DevicesAsync(va, await seeded.Store.Inventory.ListProductInstancesAsync([va.Id], Ct), Ct);
        devices.Keys.Order(StringComparer.Ordinal).ShouldBe([Udi("A1"), Udi("A2")]);
        devices[Udi("A1")].Licenses.Single(l => l.Tag == Seeds.NwStackTag).Quantity.ShouldBe(20, "15 and 5 in two forms of one tag");
        devices[Udi("A2")].Licenses.Single(l => l.Tag == Seeds.EnforcedDemoTag).Quantity.ShouldBe(3);
    }

    // The windowed query the balances ran before migration 10, per Virtual Account.
    private const string WindowedInUse = """
        SELECT p.va_id, tag, SUM(in_use) FROM (
            SELECT r.udi, r.tag, r.in_use,
                   ROW_NUMBER() OVER (PARTITION BY r.udi, r.tag ORDER BY r.measured_at DESC, r.received_at DESC, r.report_key DESC) AS rn
            FROM usage_reports r WHERE r.status <> 'DROPPED' AND r.tag IS NOT NULL AND r.in_use IS NOT NULL
        ) AS latest JOIN product_instances p ON p.udi = latest.udi WHERE rn = 1 GROUP BY p.va_id, tag ORDER BY p.va_id, tag
        """;

    // The latest counted report of each (instance, tag) the window picks, worked out by hand from
    // what was stored: measured_at (none is oldest), then received_at, then report_key (ordinal).
    private static List<string> WindowByHand(IEnumerable<(NewUsageReport Report, DateTimeOffset ReceivedAt, string Status)> stored, IReadOnlyDictionary<string, string> vaOf) =>
        stored.Where(s => s.Status != "DROPPED" && s.Report.Tag is not null && s.Report.InUse is not null && vaOf.ContainsKey(s.Report.Udi))
            .GroupBy(s => (s.Report.Udi, s.Report.Tag))
            .Select(g => g.OrderByDescending(s => s.Report.MeasuredAt ?? DateTimeOffset.MinValue).ThenByDescending(s => s.ReceivedAt)
                .ThenByDescending(s => s.Report.ReportKey, StringComparer.Ordinal).First())
            .GroupBy(s => (Va: vaOf[s.Report.Udi], s.Report.Tag!))
            .OrderBy(g => g.Key.Va, StringComparer.Ordinal).ThenBy(g => g.Key.Item2, StringComparer.Ordinal)
            .Select(g => $"{g.Key.Va} {g.Key.Item2} {g.Sum(s => s.Report.InUse!.Value)}").ToList();

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public async Task Random_reports_moves_and_removals_sum_as_the_window_over_every_report_does(StoreKind kind)
    {
        await using var seeded = await SeededStore.StartAsync(kind);
        var vas = new[] { await seeded.VirtualAccountAsync("example.com", "DEFAULT"), await seeded.VirtualAccountAsync("example.com", "Lab") };
        var random = new Random(21);
        var serials = Enumerable.Range(0, 12).Select(i => "R" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        foreach (var s in serials) await AddInstanceAsync(seeded, s, vas[random.Next(2)].Id);
        var tags = new[] { Seeds.NwStackTag, NwStackDotForm, Seeds.HsecTag };
        var stored = new List<(NewUsageReport, DateTimeOffset, string)>();
        var key = 0;
        for (var batch = 0; batch < 20; batch++)
        {
            var reports = Enumerable.Range(0, 15).Select(_ => Report(serials[random.Next(serials.Count)], (++key).ToString(CultureInfo.InvariantCulture),
                tags[random.Next(tags.Length)], random.Next(0, 50),
                // Few distinct times, some missing: ties fall to the receipt time, then the report key.
                random.Next(5) == 0 ? null : T0.AddHours(random.Next(4)))).ToList();
            var (receivedAt, status) = (T0.AddMinutes(random.Next(3)), random.Next(6) == 0 ? "DROPPED" : "ACKED");
            await seeded.Store.Usage.StoreReportsAsync(reports, receivedAt, status, Ct);
            stored.AddRange(reports.Select(r => (r, receivedAt, status)));
            if (batch % 5 == 4)
            {
                var pi = serials[random.Next(serials.Count)];
                var current = await seeded.Store.Inventory.FindProductInstanceAsync(Udi(pi), Ct);
                if (current is not null)
                {
                    var other = vas.Single(v => v.Id != current.VirtualAccountId);
                    await seeded.Store.Inventory.MoveProductInstanceAsync(Udi(pi), current.VirtualAccountId, other.Id, Ct);
                }
            }
        }
        await seeded.Store.Inventory.DeleteProductInstanceAsync(Udi(serials[0]), Ct);
        var vaOf = (await seeded.Store.Inventory.ListProductInstancesAsync(vas.Select(v => v.Id).ToList(), Ct)).ToDictionary(p => p.Udi, p => p.VirtualAccountId);

        var expected = WindowByHand(stored, vaOf);
        var actual = new List<string>();
        foreach (var va in vas.OrderBy(v => v.Id, StringComparer.Ordinal))
            actual.AddRange((await seeded.Store.Usage.InUseAsync(va.Id, Ct)).Select(u => $"{va.Id} {u.Tag} {u.InUse}"));

        expected.Count.ShouldBeGreaterThan(2);
        actual.ShouldBe(expected);
        if (kind != StoreKind.SqliteFile) return;
        // On a file, also the windowed query the balances ran before migration 10, on the rows themselves.
        using var raw = seeded.Test.OpenRawConnection();
        using var cmd = raw.CreateCommand();
        cmd.CommandText = WindowedInUse;
        var windowed = new List<string>();
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read()) windowed.Add($"{r.GetString(0)} {r.GetString(1)} {r.GetInt64(2)}");
        }
        windowed.ShouldBe(expected);
        // The per-VA sums the balances read (migration 12) equal latest_usage summed afresh, pool sum included.
        Rows(raw, "SELECT va_id, tag, in_use, in_use_counted, instances FROM va_tag_usage WHERE instances > 0 ORDER BY va_id, tag")
            .ShouldBe(Rows(raw, "SELECT va_id, tag, SUM(in_use), SUM(MAX(in_use, 0)), COUNT(*) FROM latest_usage GROUP BY va_id, tag ORDER BY va_id, tag"));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public async Task The_per_virtual_account_sums_are_rebuilt_by_a_snapshot_import_and_emptied_by_a_reset(StoreKind kind)
    {
        await using var seeded = await SeededStore.StartAsync(kind);
        var va = await seeded.VirtualAccountAsync("example.com", "DEFAULT");
        foreach (var serial in new[] { "S1", "S2" }) await AddInstanceAsync(seeded, serial, va.Id);
        await seeded.Store.Usage.StoreReportsAsync([Report("S1", "1", Seeds.NwStackTag, 4, T0), Report("S2", "1", Seeds.NwStackTag, 6, T0)], T0, "ACKED", Ct);
        var snapshot = await seeded.Store.State.ExportAsync(Ct);

        await seeded.Store.State.ResetAsync(CssmSim.Engine.Seeding.SeedPlan.Empty, null, Ct);
        var afterReset = await seeded.Store.Usage.InUseAsync(va.Id, Ct);
        await seeded.Store.State.ImportAsync(snapshot, Ct);
        var afterImport = await seeded.Store.Usage.InUseAsync(va.Id, Ct);

        afterReset.ShouldBeEmpty();
        afterImport.Select(u => $"{u.Tag} {u.InUse}").ShouldBe([$"{Seeds.NwStackTag} 10"]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public async Task A_smart_account_reset_drops_the_sums_of_its_virtual_accounts(StoreKind kind)
    {
        await using var seeded = await SeededStore.StartAsync(kind);
        var va = await seeded.VirtualAccountAsync("example.com", "DEFAULT");
        await AddInstanceAsync(seeded, "S1", va.Id);
        await seeded.Store.Usage.StoreReportsAsync([Report("S1", "1", Seeds.NwStackTag, 4, T0)], T0, "ACKED", Ct);

        await seeded.Store.State.ResetAsync(CssmSim.Engine.Seeding.SeedPlan.Empty, "example.com", Ct);

        (await seeded.Store.Usage.InUseAsync(va.Id, Ct)).ShouldBeEmpty();
        if (kind != StoreKind.SqliteFile) return;
        using var raw = seeded.Test.OpenRawConnection();
        Rows(raw, $"SELECT va_id, tag, in_use FROM va_tag_usage WHERE va_id = '{va.Id}'").ShouldBeEmpty();
    }

    private static List<string> Rows(Microsoft.Data.Sqlite.SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var rows = new List<string>();
        while (r.Read()) rows.Add(string.Join(" ", Enumerable.Range(0, r.FieldCount).Select(i => Convert.ToString(r.GetValue(i), CultureInfo.InvariantCulture))));
        return rows;
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_page_of_instances_is_the_same_slice_of_the_whole_list_across_virtual_accounts(StoreKind kind)
    {
        await using var seeded = await SeededStore.StartAsync(kind);
        var va = await seeded.VirtualAccountAsync("example.com", "DEFAULT");
        var lab = await seeded.VirtualAccountAsync("example.com", "Lab");
        for (var i = 0; i < 25; i++) await AddInstanceAsync(seeded, "P" + (i * 7 % 25).ToString("D2", CultureInfo.InvariantCulture), i % 3 == 0 ? lab.Id : va.Id);
        var all = await seeded.Store.Inventory.ListProductInstancesAsync([va.Id, lab.Id], Ct);

        foreach (var (offset, limit) in new[] { (0, 10), (7, 5), (20, 10), (25, 3), (40, 1) })
        {
            var page = await seeded.Store.Inventory.PageProductInstancesAsync([va.Id, lab.Id], offset, limit, Ct);
            page.Total.ShouldBe(25);
            page.Items.Select(p => p.Udi).ShouldBe(all.Skip(offset).Take(limit).Select(p => p.Udi));
        }
        var labOnly = await seeded.Store.Inventory.PageProductInstancesAsync([lab.Id], 2, 100, Ct);
        labOnly.Items.Select(p => p.Udi).ShouldBe(all.Where(p => p.VirtualAccountId == lab.Id).Skip(2).Select(p => p.Udi));
    }
}
