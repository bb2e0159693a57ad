using System.Globalization;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Tests.Support;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Storage;

/// <summary>
/// The store members the device paths added (an upload's ACKs in one go, PIID look-ups, use per
/// instance, the derived latest_usage through a full reset and concurrent moves), on every engine.
/// </summary>
public sealed class DeviceStoreContractTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string Tag = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    private const string OtherTag = "regid.2019-03.com.cisco.HSEC,1.0_b4a6d2a8-1f4b-4c3e-9a9b-6a5a33b61b1a";
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static string Udi(string serial) => $"PID:C9800-CL-K9,SN:{serial}";

    private static Task AddInstanceAsync(ISimulatorStore store, string serial, string vaId, string? piid = null) =>
        store.Inventory.UpsertProductInstanceAsync(new StoredProductInstance(Udi(serial), "C9800-CL-K9", serial,
            piid ?? "piid-" + serial, vaId, serial.ToLowerInvariant(), null, null, null, null, null, null, null, null, T0, null), Ct);

    private static NewUsageReport Report(string serial, long key, string tag, long inUse, DateTimeOffset measuredAt) =>
        new(Udi(serial), key.ToString(CultureInfo.InvariantCulture), key.ToString(CultureInfo.InvariantCulture), true, tag, inUse, measuredAt,
            "{\"k\":" + key.ToString(CultureInfo.InvariantCulture) + "}", null, "test");

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public async Task An_uploads_acks_come_back_in_order_each_after_its_devices_last_and_a_retry_adds_none(StoreKind kind)
    {
        await using var seeded = await SeededStore.StartAsync(kind);
        var va = await seeded.VirtualAccountAsync("example.com", "DEFAULT");
        foreach (var s in new[] { "U1", "U2", "U3" }) await AddInstanceAsync(seeded.Store, s, va.Id);
        // U2 was acknowledged online a minute after the upload's time: its next ACK comes after that one.
        var (_, earlier) = await seeded.Store.Usage.RecordAckAsync(Udi("U2"), va.Id, T0.AddMinutes(1), ["1"], n => $"online-{n}", Ct);
        var acks = new[] { new AckToRecord(Udi("U3"), va.Id, ["7"]), new AckToRecord(Udi("U1"), va.Id, ["8", "9"]), new AckToRecord(Udi("U2"), va.Id, ["2"]) };

        var recorded = await seeded.Store.Usage.RecordAcksAsync(acks, T0, (udi, n) => $"{udi[^2..]}-{n}", Ct, uploadId: "upload-1");
        var again = await seeded.Store.Usage.RecordAcksAsync(acks, T0.AddHours(1), (udi, n) => $"again-{n}", Ct, uploadId: "upload-1");

        recorded.ShouldBe([("U3-1", T0), ("U1-1", T0), ("U2-2", earlier.AddMilliseconds(1))]);
        again.ShouldBe(recorded, "the same upload sent again is answered with the ACKs it already has");
        (await seeded.Store.State.ExportAsync(Ct)).Tables["acks"].Count.ShouldBe(4);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public async Task A_product_instance_is_found_by_its_piid_until_it_is_removed(StoreKind kind)
    {
        await using var seeded = await SeededStore.StartAsync(kind);
        var va = await seeded.VirtualAccountAsync("example.com", "DEFAULT");
        await AddInstanceAsync(seeded.Store, "P1", va.Id, piid: "0f1e2d3c");
        await AddInstanceAsync(seeded.Store, "P2", va.Id, piid: "4b5a6978");

        var found = await seeded.Store.Inventory.FindProductInstanceByPiidAsync("4b5a6978", Ct);
        (await seeded.Store.Inventory.DeleteProductInstanceAsync(Udi("P2"), Ct)).ShouldBeTrue();

        found.ShouldNotBeNull().Udi.ShouldBe(Udi("P2"));
        (await seeded.Store.Inventory.FindProductInstanceByPiidAsync("4b5a6978", Ct)).ShouldBeNull();
        (await seeded.Store.Inventory.FindProductInstanceByPiidAsync("nothing", Ct)).ShouldBeNull();
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public async Task Use_of_each_instance_is_its_latest_counted_report_per_tag(StoreKind kind)
    {
        await using var seeded = await SeededStore.StartAsync(kind);
        var va = await seeded.VirtualAccountAsync("example.com", "DEFAULT");
        foreach (var s in new[] { "E1", "E2", "E3" }) await AddInstanceAsync(seeded.Store, s, va.Id);
        await seeded.Store.Usage.StoreReportsAsync([
            Report("E1", 1, Tag, 4, T0), Report("E1", 2, Tag, 6, T0.AddHours(1)), Report("E1", 3, OtherTag, 1, T0),
            Report("E2", 1, Tag, 9, T0), Report("E3", 1, Tag, 5, T0)], T0, "ACKED", Ct);
        await seeded.Store.Usage.StoreReportsAsync([Report("E2", 2, Tag, 50, T0.AddHours(2))], T0, "DROPPED", Ct);

        var each = await seeded.Store.Usage.InUseOfEachAsync([Udi("E1"), Udi("E2"), Udi("E1"), Udi("nowhere")], Ct);

        each.OrderBy(u => u.Udi, StringComparer.Ordinal).ThenBy(u => u.Tag, StringComparer.Ordinal).ShouldBe([
            new InstanceTagUsage(Udi("E1"), Tag, 6), new InstanceTagUsage(Udi("E1"), OtherTag, 1), new InstanceTagUsage(Udi("E2"), Tag, 9)]);
        (await seeded.Store.Usage.InUseOfEachAsync([], Ct)).ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public async Task A_full_reset_leaves_no_license_use_behind(StoreKind kind)
    {
        await using var seeded = await SeededStore.StartAsync(kind);
        var va = await seeded.VirtualAccountAsync("example.com", "DEFAULT");
        await AddInstanceAsync(seeded.Store, "R1", va.Id);
        await seeded.Store.Usage.StoreReportsAsync([Report("R1", 1, Tag, 12, T0)], T0, "ACKED", Ct);
        (await seeded.Store.Usage.InUseAsync(va.Id, Ct)).ShouldBe([new TagUsage(Tag, 12)]);

        await seeded.Seeds.ResetAsync(null, Ct);
        var after = await seeded.VirtualAccountAsync("example.com", "DEFAULT");
        await AddInstanceAsync(seeded.Store, "R1", after.Id);

        (await seeded.Store.Usage.InUseAsync(after.Id, Ct)).ShouldBeEmpty();
        (await seeded.Store.Usage.InUseOfAsync(Udi("R1"), Ct)).ShouldBeEmpty();
        (await seeded.Store.Usage.CountReportsAsync(null, Ct)).ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Shared), MemberType = typeof(StoreKinds))]
    public async Task A_full_reset_tells_another_process_the_fault_rules_changed(StoreKind kind)
    {
        await using var seeded = await SeededStore.StartAsync(kind);
        var other = seeded.Test.Open();
        await seeded.Store.Faults.SaveAsync(new StoredFaultRule("user-rule", 1, false, """{"match":{"surface":"oauth"},"effect":{"status":503}}"""), ct: Ct);
        var before = await other.State.ReadVersionsAsync(Ct);

        await seeded.Seeds.ResetAsync(null, Ct);

        (await other.State.ReadVersionsAsync(Ct)).FaultRules.ShouldNotBe(before.FaultRules);
        (await other.Faults.ListAsync(Ct)).ShouldNotContain(r => r.Id == "user-rule");
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Shared), MemberType = typeof(StoreKinds))]
    public async Task Reports_stored_by_one_process_while_another_moves_the_instance_count_where_it_ends_up(StoreKind kind)
    {
        await using var seeded = await SeededStore.StartAsync(kind);
        var vas = new[] { (await seeded.VirtualAccountAsync("example.com", "DEFAULT")).Id, (await seeded.VirtualAccountAsync("example.com", "Lab")).Id };
        var reporter = seeded.Store;
        var mover = seeded.Test.Open();
        await AddInstanceAsync(reporter, "M1", vas[0]);

        // A tag of its own per report: each is the first (udi, tag) use, which a move must carry along
        // too. Two reporting loops and one moving, so stores and moves overlap often.
        var reporting = Enumerable.Range(0, 2).Select(loop => Task.Run(async () =>
        {
            for (var i = loop; i < 200; i += 2)
                await reporter.Usage.StoreReportsAsync([Report("M1", i, TagNo(i), 1, T0)], T0, "ACKED", Ct);
        }, Ct));
        var moving = Task.Run(async () =>
        {
            for (var i = 0; i < 100; i++)
                await mover.Inventory.MoveProductInstanceAsync(Udi("M1"), vas[i % 2], vas[(i + 1) % 2], Ct);
        }, Ct);
        await Task.WhenAll([.. reporting, moving]);

        static string TagNo(int i) => $"{Tag}_{i:D3}";

        var now = (await reporter.Inventory.FindProductInstanceAsync(Udi("M1"), Ct)).ShouldNotBeNull().VirtualAccountId;
        (await reporter.Usage.InUseAsync(now, Ct)).ShouldBe(Enumerable.Range(0, 200).Select(i => new TagUsage(TagNo(i), 1)).OrderBy(u => u.Tag, StringComparer.Ordinal));
        (await reporter.Usage.InUseAsync(vas.Single(v => v != now), Ct)).ShouldBeEmpty();
    }
}
