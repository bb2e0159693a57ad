using CssmSim.Engine.Storage;
using CssmSim.Engine.Tests.Support;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Storage;

/// <summary>Bulk loading (for <c>cssmsim bench populate</c>): rows the online paths then read as their own.</summary>
public sealed class BulkInsertTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string Tag = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    private static readonly DateTimeOffset At = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static BulkBatch Batch(string vaId, int instances, int reportsEach)
    {
        var pis = Enumerable.Range(1, instances).Select(i => new StoredProductInstance($"PID:C9800-CL-K9,SN:BULK{i:D4}", "C9800-CL-K9", $"BULK{i:D4}",
            $"piid-{i}", vaId, $"bulk{i}", null, null, null, null, null, null, null, null, At, At)).ToList();
        var reports = pis.SelectMany(p => Enumerable.Range(1, reportsEach).Select(n => new BulkReport(
            new NewUsageReport(p.Udi, n.ToString(System.Globalization.CultureInfo.InvariantCulture), n.ToString(System.Globalization.CultureInfo.InvariantCulture),
                true, Tag, n, At.AddDays(n), $"{{\"report_id\":{n}}}", null, "bench"), At.AddDays(n), "ACKED"))).ToList();
        var acks = pis.Select(p => new BulkAck("ack-" + p.Serial, p.Udi, vaId, At.AddDays(reportsEach),
            Enumerable.Range(1, reportsEach).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList())).ToList();
        return new BulkBatch(pis, reports, acks);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Bulk_loaded_instances_reports_and_acks_are_read_by_the_online_paths(StoreKind kind)
    {
        await using var seeded = await SeededStore.StartAsync(kind);
        var va = await seeded.VirtualAccountAsync("example.com", "DEFAULT");

        var added = await seeded.Store.Bulk.InsertAsync(Batch(va.Id, instances: 3, reportsEach: 4), Ct);

        added.ShouldBe((3, 12, 3));
        (await seeded.Store.Inventory.FindProductInstanceAsync("PID:C9800-CL-K9,SN:BULK0002", Ct)).ShouldNotBeNull().VirtualAccountId.ShouldBe(va.Id);
        (await seeded.Store.Usage.CountReportsAsync(null, Ct)).ShouldBe(12);
        // The latest report of each instance (in use 4) counts: 3 instances × 4.
        (await seeded.Store.Usage.InUseAsync(va.Id, Ct)).ShouldContain(new TagUsage(Tag, 12));
        // A device's next online ACK comes after its synthetic one.
        var (_, next) = await seeded.Store.Usage.RecordAckAsync("PID:C9800-CL-K9,SN:BULK0001", va.Id, At, ["99"], n => $"real-{n}", Ct);
        next.ShouldBe(At.AddDays(4).AddMilliseconds(1));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Bulk_acks_are_marked_synthetic_and_online_acks_are_not(StoreKind kind)
    {
        await using var seeded = await SeededStore.StartAsync(kind);
        var va = await seeded.VirtualAccountAsync("example.com", "DEFAULT");
        await seeded.Store.Bulk.InsertAsync(Batch(va.Id, instances: 1, reportsEach: 1), Ct);
        await seeded.Store.Usage.RecordAckAsync("PID:C9800-CL-K9,SN:BULK0001", va.Id, At.AddDays(9), ["2"], n => $"real-{n}", Ct);

        var acks = (await seeded.Store.State.ExportAsync(Ct)).Tables["acks"];

        acks.Select(a => (a["id"]!.GetValue<string>(), a["synthetic"]!.GetValue<long>())).ShouldBe([("ack-BULK0001", 1L), ("real-1", 0L)], ignoreOrder: true);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Loading_the_same_batch_again_adds_nothing_and_online_reporting_sees_the_duplicates(StoreKind kind)
    {
        await using var seeded = await SeededStore.StartAsync(kind);
        var va = await seeded.VirtualAccountAsync("example.com", "DEFAULT");
        var batch = Batch(va.Id, instances: 2, reportsEach: 2);
        await seeded.Store.Bulk.InsertAsync(batch, Ct);

        var again = await seeded.Store.Bulk.InsertAsync(batch, Ct);
        var online = await seeded.Store.Usage.StoreReportsAsync([batch.Reports[0].Report], At, "ACKED", Ct);

        again.ShouldBe((0, 0, 0));
        (await seeded.Store.Usage.CountReportsAsync(null, Ct)).ShouldBe(4);
        online.Single().Duplicate.ShouldBeTrue();
    }
}
