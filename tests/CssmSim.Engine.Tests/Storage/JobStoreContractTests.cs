using CssmSim.Engine.Storage;
using CssmSim.Engine.Tests.Support;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Storage;

/// <summary>A job's number and its row written together: one transaction per submission, on every engine.</summary>
public sealed class JobStoreContractTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly DateTimeOffset At = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private static StoredJob Job(string pollId) =>
        new(pollId, "USAGE_REPORTING", "PID:C9300,SN:JOB1", null, "corr-" + pollId, At, 0, 0, null, false, null, null, null, null);

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public async Task Jobs_are_numbered_from_their_counter_and_stored_with_that_number(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind);

        var first = await test.Store.Jobs.InsertNextJobAsync("job/a", n => Job("a-" + n), Ct);
        var second = await test.Store.Jobs.InsertNextJobAsync("job/a", n => Job("a-" + n), Ct);

        first.PollId.ShouldBe("a-1");
        second.PollId.ShouldBe("a-2");
        (await test.Store.Jobs.FindJobAsync("a-2", Ct))!.CorrelationId.ShouldBe("corr-a-2");
        (await test.Store.State.NextCounterAsync("job/a", Ct)).ShouldBe(3);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public async Task A_number_whose_poll_id_is_taken_is_passed_over_and_the_taken_job_kept(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind);
        await test.Store.Jobs.InsertNextJobAsync("job/other", _ => Job("x-1") with { Action = "TRUST_ESTABLISHMENT" }, Ct);

        var job = await test.Store.Jobs.InsertNextJobAsync("job/x", n => Job("x-" + n), Ct);

        job.PollId.ShouldBe("x-2");
        (await test.Store.Jobs.FindJobAsync("x-1", Ct))!.Action.ShouldBe("TRUST_ESTABLISHMENT");
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public async Task Concurrent_submissions_get_distinct_numbers_and_every_job_is_stored(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind);

        var jobs = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ =>
            Task.Run(() => test.Store.Jobs.InsertNextJobAsync("job/c", n => Job("c-" + n), Ct), Ct)));

        jobs.Select(j => j.PollId).Order(StringComparer.Ordinal).ShouldBe(Enumerable.Range(1, 24).Select(n => "c-" + n).Order(StringComparer.Ordinal));
        foreach (var j in jobs) (await test.Store.Jobs.FindJobAsync(j.PollId, Ct)).ShouldNotBeNull();
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public async Task A_poll_records_the_pollers_contact_in_its_own_transaction_only_when_the_condition_holds(StoreKind kind)
    {
        // Arrange: a seeded product instance and two jobs.
        await using var seeded = await SeededStore.StartAsync(kind);
        var va = await seeded.VirtualAccountAsync("example.com", "DEFAULT");
        const string udi = "PID:C9800-CL-K9,SN:POLLER1";
        await seeded.Store.Inventory.UpsertProductInstanceAsync(new StoredProductInstance(udi, "C9800-CL-K9", "POLLER1", "piid-poller1", va.Id, "poller1",
            null, null, null, null, null, null, null, null, At, null), Ct);
        await seeded.Store.Jobs.InsertNextJobAsync("job/p", n => Job("p-" + n), Ct);
        await seeded.Store.Jobs.InsertNextJobAsync("job/p", n => Job("p-" + n), Ct);
        var counted = new List<long>();

        // Act: the first poll's condition holds (and sees the poll counted), the second's does not, a third names no job.
        var first = await seeded.Store.Jobs.RecordPollAsync("p-1", Ct, new PollContact(udi, At.AddMinutes(1), j => { counted.Add(j.Polls); return true; }));
        var afterFirst = (await seeded.Store.Inventory.FindProductInstanceAsync(udi, Ct))!.LastContact;
        var second = await seeded.Store.Jobs.RecordPollAsync("p-2", Ct, new PollContact(udi, At.AddMinutes(2), _ => false));
        var unknown = await seeded.Store.Jobs.RecordPollAsync("p-404", Ct, new PollContact(udi, At.AddMinutes(3), _ => true));
        var last = (await seeded.Store.Inventory.FindProductInstanceAsync(udi, Ct))!.LastContact;

        // Assert
        first!.Polls.ShouldBe(1);
        counted.ShouldBe([1L]);
        afterFirst.ShouldBe(At.AddMinutes(1));
        second!.Polls.ShouldBe(1);
        unknown.ShouldBeNull();
        last.ShouldBe(At.AddMinutes(1));
    }
}
