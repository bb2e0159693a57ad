using System.Text.Json.Nodes;
using CssmSim.Engine.Ids;
using CssmSim.Engine.Jobs;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Storage.Sqlite;
using CssmSim.Engine.Time;

namespace CssmSim.Engine.Tests.Jobs;

public sealed class JobServiceTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly ISimulatorStore _store = SqliteSimulatorStore.Open(StoreLocation.Memory);
    private readonly SimulatorClock _clock = new(mode: ClockMode.Frozen, startAt: new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private PollTransitionService _transitions = null!;
    private JobService _jobs = null!;

    public async ValueTask InitializeAsync()
    {
        await _store.State.MigrateAsync(Ct);
        _transitions = new PollTransitionService(_store, 300);
        _jobs = new JobService(_store, _clock, _transitions, () => new DerivedIds(7));
    }

    public ValueTask DisposeAsync() => _store.DisposeAsync();

    private Task<SubmittedJob> SubmitAsync(string action = "acknowledgements", string serial = "SN1", string? domain = null, string? fail = null) =>
        _jobs.SubmitAsync(new JobRequest(action, "C9800-CL-K9", serial, null, domain, """{"ack":"x"}""", fail), Ct);

    [Fact]
    public async Task By_default_an_ack_job_is_answered_ok_poll_and_completes_on_its_first_poll()
    {
        var job = await SubmitAsync();

        var poll = await _jobs.PollAsync(job.PollId, "acknowledgements", Ct);

        // Usage is asynchronous, as every real capture shows (smart-transport.md §What real devices record).
        job.CompletesImmediately.ShouldBeFalse();
        job.PollInterval.ShouldBe(300);
        poll.State.ShouldBe(PollState.Complete);
        poll.Job!.ResultJson.ShouldBe("""{"ack":"x"}""");
    }

    [Fact]
    public async Task With_polls_n_the_first_n_polls_are_pending_and_poll_n_plus_one_completes()
    {
        await _transitions.SetAsync(JsonNode.Parse("""{"action":"acknowledgements","progression":"polls","times":2,"pollInterval":5}"""), Ct);
        var job = await SubmitAsync();

        var states = new List<PollState>();
        for (var i = 0; i < 4; i++) states.Add((await _jobs.PollAsync(job.PollId, "acknowledgements", Ct)).State);

        job.CompletesImmediately.ShouldBeFalse();
        job.PollInterval.ShouldBe(5);
        states.ShouldBe([PollState.Pending, PollState.Pending, PollState.Complete, PollState.Complete]);
    }

    [Fact]
    public async Task With_a_time_transition_the_job_completes_once_virtual_time_passes()
    {
        await _transitions.SetAsync(JsonNode.Parse("""{"action":"authorizations","progression":"time","duration":"PT10M"}"""), Ct);
        var job = await SubmitAsync("authorizations");

        var early = await _jobs.PollAsync(job.PollId, "authorizations", Ct);
        _clock.Advance(TimeSpan.FromMinutes(10));
        var due = await _jobs.PollAsync(job.PollId, "authorizations", Ct);

        early.State.ShouldBe(PollState.Pending);
        due.State.ShouldBe(PollState.Complete);
    }

    [Fact]
    public async Task A_per_account_transition_wins_over_the_global_one()
    {
        await _transitions.SetAsync(JsonNode.Parse("""{"action":"trust","progression":"polls","times":3,"smartAccount":"slow.test"}"""), Ct);

        var slow = await SubmitAsync("trust", domain: "SLOW.test");
        var other = await SubmitAsync("trust", domain: "example.com");

        slow.CompletesImmediately.ShouldBeFalse();
        other.CompletesImmediately.ShouldBeTrue();
    }

    [Fact]
    public async Task Unknown_ids_and_the_wrong_action_are_reported_not_thrown()
    {
        var job = await SubmitAsync();

        var unknown = await _jobs.PollAsync("123456789012345678", "acknowledgements", Ct);
        var wrong = await _jobs.PollAsync(job.PollId, "authorizations", Ct);

        unknown.State.ShouldBe(PollState.NotFound);
        unknown.Code.ShouldBe("POLL_ID_NOT_FOUND");
        wrong.State.ShouldBe(PollState.WrongAction);
    }

    [Fact]
    public async Task Other_actions_complete_at_once_by_default()
    {
        var job = await SubmitAsync("authorizations");

        job.CompletesImmediately.ShouldBeTrue();
    }

    [Fact]
    public async Task The_realistic_profile_makes_an_ack_due_poll_interval_later_on_the_virtual_clock_and_fast_restores_the_defaults()
    {
        await _transitions.SetProfileAsync(TimingProfile.Realistic, Ct);
        var job = await SubmitAsync();

        var atOnce = (await _jobs.PollAsync(job.PollId, null, Ct)).State;
        _clock.Advance(TimeSpan.FromSeconds(299));
        var early = (await _jobs.PollAsync(job.PollId, null, Ct)).State;
        _clock.Advance(TimeSpan.FromSeconds(1));
        var due = (await _jobs.PollAsync(job.PollId, null, Ct)).State;
        var realistic = await _transitions.CurrentProfileAsync(Ct);
        var trust = await _transitions.ResolveAsync("trust", null, Ct);
        await _transitions.SetProfileAsync(TimingProfile.Fast, Ct);

        (atOnce, early, due).ShouldBe((PollState.Pending, PollState.Pending, PollState.Complete));
        realistic.ShouldBe(TimingProfile.Realistic);
        trust.Progression.ShouldBe(Progression.Immediate, "trust stays synchronous");
        (await _transitions.CurrentProfileAsync(Ct)).ShouldBe(TimingProfile.Fast);
        (await _store.Jobs.ListTransitionsAsync(Ct)).ShouldBeEmpty("fast is the start-up profile: its defaults need no stored transition");
    }

    [Fact]
    public async Task A_failed_job_answers_its_failure_when_due()
    {
        var job = await SubmitAsync(fail: "LS_LICENGINE_FAIL_TO_CONNECT");

        var poll = await _jobs.PollAsync(job.PollId, "acknowledgements", Ct);

        poll.State.ShouldBe(PollState.Failed);
        poll.Code.ShouldBe("LS_LICENGINE_FAIL_TO_CONNECT");
    }

    [Fact]
    public async Task A_job_that_never_completes_stays_pending()
    {
        var job = await _jobs.SubmitAsync(new JobRequest("acknowledgements", "P", "S", null, null, "{}", NeverComplete: true), Ct);

        var polls = new List<PollState>();
        for (var i = 0; i < 3; i++) polls.Add((await _jobs.PollAsync(job.PollId, null, Ct)).State);

        polls.ShouldAllBe(p => p == PollState.Pending);
    }

    [Fact]
    public async Task Poll_ids_are_18_digit_numbers_derived_from_seed_udi_and_counter()
    {
        var first = await SubmitAsync(serial: "A");
        var second = await SubmitAsync(serial: "A");
        var other = await SubmitAsync(serial: "B");

        await using var store2 = SqliteSimulatorStore.Open(StoreLocation.Memory);
        await store2.State.MigrateAsync(Ct);
        var again = await new JobService(store2, _clock, new PollTransitionService(store2, 300), () => new DerivedIds(7))
            .SubmitAsync(new JobRequest("acknowledgements", "C9800-CL-K9", "A", null, null, "{}"), Ct);

        first.PollId.Length.ShouldBe(18);
        first.PollId.ShouldAllBe(ch => char.IsAsciiDigit(ch));
        first.PollId[0].ShouldNotBe('0');
        new[] { first.PollId, second.PollId, other.PollId }.Distinct().Count().ShouldBe(3);
        again.PollId.ShouldBe(first.PollId);
        again.CorrelationId.ShouldBe(first.CorrelationId);
    }

    [Fact]
    public async Task Concurrent_polls_of_one_job_each_count_once()
    {
        await _transitions.SetAsync(JsonNode.Parse("""{"action":"acknowledgements","progression":"polls","times":50}"""), Ct);
        var job = await SubmitAsync();

        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => _jobs.PollAsync(job.PollId, null, Ct)));
        var next = await _jobs.PollAsync(job.PollId, null, Ct);

        next.Job!.Polls.ShouldBe(51);
        next.State.ShouldBe(PollState.Complete);
    }
}
