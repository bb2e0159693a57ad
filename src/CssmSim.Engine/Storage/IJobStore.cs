namespace CssmSim.Engine.Storage;

/// <summary>
/// A poll transition as stored (control.md §Poll transitions): how an action's jobs progress,
/// for all accounts (<see cref="SmartAccount"/> empty) or one.
/// </summary>
public sealed record StoredPollTransition(string Action, string SmartAccount, string Progression, long? Times, string? Duration, long? PollInterval);

/// <summary>An asynchronous job: what a poll id stands for until its result is collected.</summary>
public sealed record StoredJob(
    string PollId,
    string Action,
    string Udi,
    string? SmartAccountId,
    string CorrelationId,
    DateTimeOffset SubmittedAt,
    long Polls,
    long? CompleteAfterPolls,
    DateTimeOffset? CompleteAt,
    bool NeverComplete,
    string? FailCode,
    string? FailMessage,
    string? ResultJson,
    string? ClientId = null);

/// <summary>Poll transitions and the jobs that follow them.</summary>
public interface IJobStore
{
    Task<IReadOnlyList<StoredPollTransition>> ListTransitionsAsync(CancellationToken ct = default);
    Task SaveTransitionAsync(StoredPollTransition transition, CancellationToken ct = default);
    Task ClearTransitionsAsync(CancellationToken ct = default);
    /// <summary>
    /// Takes the next number of <paramref name="counterKey"/> and inserts the job <paramref name="make"/> builds from it, in
    /// one transaction (a job submitted with every device report: one write, not two); a number whose poll id is taken is
    /// passed over for the next. Returns the job inserted.
    /// </summary>
    Task<StoredJob> InsertNextJobAsync(string counterKey, Func<long, StoredJob> make, CancellationToken ct = default);
    /// <summary>
    /// Counts one poll of the job atomically and returns the job after it; null when unknown. With
    /// <paramref name="contact"/>, the poller's last contact is set in the same transaction when
    /// <see cref="PollContact.When"/> holds for the job after the poll (a device's poll was one write, and its contact another).
    /// </summary>
    Task<StoredJob?> RecordPollAsync(string pollId, CancellationToken ct = default, PollContact? contact = null);
    Task<StoredJob?> FindJobAsync(string pollId, CancellationToken ct = default);
}

/// <summary>The last contact of the product instance <paramref name="Udi"/>, recorded with a poll when <paramref name="When"/> holds for the polled job.</summary>
public sealed record PollContact(string Udi, DateTimeOffset At, Func<StoredJob, bool> When);
