using CssmSim.Engine.Storage;
using CssmSim.Engine.Tests.Support;

namespace CssmSim.Engine.Tests.Storage;

/// <summary>The persisted journal (<c>Journal:Persist</c>) on every engine: one id sequence, filters, the cap, clearing.</summary>
public sealed class JournalStoreContractTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static NewJournalEntry Entry(string surface, string? operation, string? udi, string outcome, string json) => new(surface, operation, udi, outcome, json);

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public async Task Entries_from_two_processes_share_one_id_sequence_and_filter_case_insensitively(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind);
        var a = test.Store.Journal;
        var b = kind == StoreKind.Memory ? a : test.Open().Journal;

        await a.AppendAsync([Entry("oauth", "token", null, "SUCCESS", "{\"n\":1}"), Entry("smart-transport", "TRUST_ESTABLISHMENT", "PID:C9300,SN:X1", "FAILED", "{\"n\":2}")], 100, Ct);
        await b.AppendAsync([Entry("smart-transport", "USAGE_REPORTING", "PID:C9300,SN:X1", "OK_POLL", "{\"n\":3}"), Entry("oauth", null, null, "ERROR", "{\"n\":4}")], 100, Ct);
        var all = await a.QueryAsync(new StoredJournalFilter(), 100, Ct);
        var byUdi = await b.QueryAsync(new StoredJournalFilter(Udi: "pid:c9300,sn:x1"), 100, Ct);
        var failed = await a.QueryAsync(new StoredJournalFilter(Surface: "SMART-TRANSPORT", Outcome: "failed"), 100, Ct);
        var since = await b.QueryAsync(new StoredJournalFilter(Since: all[1].Id), 1, Ct);

        all.Select(e => e.Json).ShouldBe(["{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}"]);
        all.Select(e => e.Id).ShouldBeInOrder(SortDirection.Ascending);
        byUdi.Select(e => e.Json).ShouldBe(["{\"n\":2}", "{\"n\":3}"]);
        failed.Single().Json.ShouldBe("{\"n\":2}");
        since.Single().Json.ShouldBe("{\"n\":3}", "since is an id; limit caps the answer");
        (await b.CountAsync(new StoredJournalFilter(Surface: "oauth"), Ct)).ShouldBe(2);
        (await a.CountAsync(new StoredJournalFilter(Operation: "token"), Ct)).ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public async Task The_store_keeps_the_newest_entries_up_to_the_cap_and_clear_empties_it(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind);
        var journal = test.Store.Journal;

        for (var batch = 0; batch < 5; batch++)
            await journal.AppendAsync(Enumerable.Range(0, 10).Select(i => Entry("oauth", "token", null, "SUCCESS", $"{{\"n\":{batch * 10 + i}}}")).ToList(), 25, Ct);
        var kept = await journal.QueryAsync(new StoredJournalFilter(), 1000, Ct);
        await journal.ClearAsync(Ct);

        kept.Select(e => e.Json).ShouldBe(Enumerable.Range(25, 25).Select(n => $"{{\"n\":{n}}}"));
        (await journal.CountAsync(new StoredJournalFilter(), Ct)).ShouldBe(0);
    }
}
