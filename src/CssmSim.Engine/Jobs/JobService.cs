using CssmSim.Engine.Ids;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Time;

namespace CssmSim.Engine.Jobs;

/// <summary>What a surface hands over when it accepts asynchronous work.</summary>
/// <param name="Action">The poll-transition action (<c>acknowledgements</c>, <c>authorizations</c>, <c>trust</c>, <c>usage-files</c>).</param>
/// <param name="UdiPid">The requesting device's PID (poll ids derive from the UDI and its job counter).</param>
/// <param name="UdiSerial">The requesting device's serial number.</param>
/// <param name="SmartAccountId">The account the job belongs to (per-account reset removes it); null when unknown.</param>
/// <param name="SmartAccountDomain">The account's domain, to pick a per-account transition.</param>
/// <param name="ResultJson">The result a completed poll returns.</param>
/// <param name="FailCode">A failure the job ends with instead of a result.</param>
/// <param name="FailMessage">The failure's text.</param>
/// <param name="NeverComplete">A fault said this job never completes.</param>
/// <param name="ClientId">The CSSM API client that submitted it: only that client may poll it. Null for a device's own job.</param>
public sealed record JobRequest(
    string Action,
    string UdiPid,
    string UdiSerial,
    string? SmartAccountId,
    string? SmartAccountDomain,
    string? ResultJson,
    string? FailCode = null,
    string? FailMessage = null,
    bool NeverComplete = false,
    string? ClientId = null);

/// <summary>An accepted job: the poll id to hand back, and whether its result is ready at once.</summary>
public sealed record SubmittedJob(string PollId, string CorrelationId, long PollInterval, bool CompletesImmediately, StoredJob Job);

public enum PollState { Pending, Complete, Failed, NotFound, WrongAction }

/// <summary>The answer to one poll.</summary>
public sealed record PollOutcome(PollState State, StoredJob? Job = null, string? Code = null, string? Message = null)
{
    /// <summary>The poller's last contact was recorded with the poll (see <see cref="JobService.PollAsync"/>'s <c>contactUdi</c>).</summary>
    public bool ContactRecorded { get; init; }
}

/// <summary>
/// Asynchronous jobs with CSSM's <c>OK_POLL</c> → <c>COMPLETE</c> model. Progress follows the
/// poll transition in force when the job was submitted; virtual time decides <c>time</c> ones.
/// </summary>
public sealed class JobService(ISimulatorStore store, TimeProvider clock, PollTransitionService transitions, Func<DerivedIds> ids)
{
    /// <param name="request">The work accepted.</param>
    /// <param name="ct">Cancels the store calls.</param>
    /// <param name="storeWhenImmediate">
    /// False when the caller answers an immediate job in the same reply (smart transport): no poll id is
    /// handed out, so nothing is stored and the two writes a job costs are saved.
    /// </param>
    public async Task<SubmittedJob> SubmitAsync(JobRequest request, CancellationToken ct = default, bool storeWhenImmediate = true)
    {
        var transition = await transitions.ResolveAsync(request.Action, request.SmartAccountDomain, ct);
        var udi = $"PID:{request.UdiPid},SN:{request.UdiSerial}";
        var now = clock.GetUtcNow();
        if (!storeWhenImmediate && transition.Progression == Progression.Immediate && !request.NeverComplete && request.FailCode is null)
        {
            var inline = new StoredJob("", request.Action, udi, request.SmartAccountId, "", now, 0, 0, null, false, null, null, request.ResultJson);
            return new SubmittedJob("", "", transition.PollInterval, true, inline);
        }
        // Ids follow the seed and the UDI's own job counter, so concurrency cannot change them.
        var derived = ids();
        var job = await store.Jobs.InsertNextJobAsync("job/" + udi, n => new StoredJob(
            PollId: derived.Decimal($"poll/{udi}/{n}", 18),
            Action: request.Action,
            Udi: udi,
            SmartAccountId: request.SmartAccountId,
            CorrelationId: derived.Uuid5($"correlation/{udi}/{n}").ToString(),
            SubmittedAt: now,
            Polls: 0,
            CompleteAfterPolls: transition.Progression switch { Progression.Immediate => 0, Progression.Polls => transition.Times ?? 0, _ => null },
            CompleteAt: transition.Progression == Progression.Time ? now + (transition.Duration ?? TimeSpan.Zero) : null,
            NeverComplete: request.NeverComplete,
            FailCode: request.FailCode,
            FailMessage: request.FailMessage,
            ResultJson: request.ResultJson,
            ClientId: request.ClientId), ct);
        var immediate = transition.Progression == Progression.Immediate && !request.NeverComplete;
        return new SubmittedJob(job.PollId, job.CorrelationId, transition.PollInterval, immediate, job);
    }

    /// <summary>
    /// Counts one poll and says where the job stands. <paramref name="action"/> must be the job's own.
    /// </summary>
    /// <param name="pollId">The poll id handed out.</param>
    /// <param name="action">The action the poller names, or null.</param>
    /// <param name="ct">Cancels the store calls.</param>
    /// <param name="caller">A CSSM API caller: throws <see cref="Access.AccountAccessDeniedException"/> before the poll counts unless it may see the job.</param>
    /// <param name="contactUdi">
    /// The polling device's product instance: its last contact is recorded with the poll, in the same
    /// transaction, unless the poll answers the job's failure (a failed message is no contact);
    /// <paramref name="failureCountsAsContact"/> when the caller answers a failed job otherwise.
    /// </param>
    /// <param name="failureCountsAsContact">Record the contact even when the poll finds the job failed.</param>
    public async Task<PollOutcome> PollAsync(string pollId, string? action, CancellationToken ct = default, Access.Caller? caller = null,
        string? contactUdi = null, bool failureCountsAsContact = false)
    {
        var existing = await store.Jobs.FindJobAsync(pollId, ct);
        if (existing is null) return new PollOutcome(PollState.NotFound, Code: "POLL_ID_NOT_FOUND", Message: $"poll_id {pollId} is unknown or expired");
        if (caller is not null) await new Access.AccountAccess(store).RequireJobAsync(caller, existing, ct);
        if (action is not null && !string.Equals(action, existing.Action, StringComparison.Ordinal))
            return new PollOutcome(PollState.WrongAction, existing, "INVALID_ACTION", $"poll_id {pollId} is for action {existing.Action}, not {action}");
        // One instant for the contact and for whether the job is due, so the two agree.
        var now = clock.GetUtcNow();
        bool Counts(StoredJob j) => failureCountsAsContact || !(IsDue(j, now) && j.FailCode is not null);
        var contact = contactUdi is null ? null : new PollContact(contactUdi, now, Counts);
        var polled = await store.Jobs.RecordPollAsync(pollId, ct, contact);
        var job = polled ?? existing;
        var recorded = polled is not null && contact is not null && Counts(polled);
        var outcome = !IsDue(job, now) ? new PollOutcome(PollState.Pending, job)
            : job.FailCode is not null ? new PollOutcome(PollState.Failed, job, job.FailCode, job.FailMessage ?? Devices.CssmError.ServerErrorMessage(job.FailCode!))
            : new PollOutcome(PollState.Complete, job);
        return outcome with { ContactRecorded = recorded };
    }

    private static bool IsDue(StoredJob job, DateTimeOffset now)
    {
        if (job.NeverComplete) return false;
        if (job.CompleteAfterPolls is { } k) return job.Polls > k;
        return job.CompleteAt is { } at && now >= at;
    }
}
