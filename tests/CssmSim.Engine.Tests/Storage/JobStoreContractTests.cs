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
}
