namespace CssmSim.Engine.Storage;

/// <summary>A usage report to store; <see cref="ReportKey"/> is the report id without leading zeros (the dedupe key with the UDI).</summary>
public sealed record NewUsageReport(
    string Udi,
    string ReportKey,
    string ReportId,
    bool ReportIdIsNumber,
    string? Tag,
    long? InUse,
    DateTimeOffset? MeasuredAt,
    string Payload,
    string? SignatureJson,
    string Source);

/// <summary>What happened to one report: stored now, or a duplicate of one stored before.</summary>
public sealed record StoredReportOutcome(NewUsageReport Report, bool Duplicate, bool SamePayload, string Status);

/// <summary>In-use count of one entitlement tag in a Virtual Account.</summary>
public sealed record TagUsage(string Tag, long InUse);

/// <summary>The latest in-use count of one tag of one product instance.</summary>
public sealed record InstanceTagUsage(string Udi, string Tag, long InUse);

/// <summary>One ACK to record: for <see cref="IUsageStore.RecordAcksAsync"/>.</summary>
public sealed record AckToRecord(string Udi, string VirtualAccountId, IReadOnlyList<string> ReportIds);

/// <summary>Usage reports and acknowledgements.</summary>
public interface IUsageStore
{
    /// <summary>
    /// Stores new reports (status <paramref name="status"/>) and reports duplicates by (UDI, report key)
    /// with their recorded status, in one transaction: nothing is counted twice. Each product instance
    /// that got a new report has its last contact set to <paramref name="receivedAt"/> in the same transaction.
    /// </summary>
    Task<IReadOnlyList<StoredReportOutcome>> StoreReportsAsync(IReadOnlyList<NewUsageReport> reports, DateTimeOffset receivedAt, string status, CancellationToken ct = default);

    /// <summary>
    /// Records an ACK for a UDI and returns its timestamp: the later of <paramref name="now"/> and the
    /// UDI's previous ACK + 1 ms (a device keeps only the newest ACK), with an id from <paramref name="ackId"/>.
    /// With <paramref name="uploadId"/>, the UDI gets one ACK per upload: when one is recorded for that
    /// upload already (a retry resuming an upload cut short), it is returned and nothing is added.
    /// </summary>
    Task<(string AckId, DateTimeOffset Timestamp)> RecordAckAsync(string udi, string virtualAccountId, DateTimeOffset now, IReadOnlyList<string> reportIds,
        Func<long, string> ackId, CancellationToken ct = default, string? uploadId = null);

    /// <summary>
    /// <see cref="RecordAckAsync"/> for many UDIs, in order (results in the same order). A store may
    /// record them in one transaction (an upload of 10,000 devices otherwise ran 10,000); this default
    /// records them one by one.
    /// </summary>
    async Task<IReadOnlyList<(string AckId, DateTimeOffset Timestamp)>> RecordAcksAsync(IReadOnlyList<AckToRecord> acks, DateTimeOffset now,
        Func<string, long, string> ackId, CancellationToken ct = default, string? uploadId = null)
    {
        var recorded = new List<(string, DateTimeOffset)>(acks.Count);
        foreach (var a in acks)
            recorded.Add(await RecordAckAsync(a.Udi, a.VirtualAccountId, now, a.ReportIds, n => ackId(a.Udi, n), ct, uploadId));
        return recorded;
    }

    /// <summary>The in-use count per tag of the product instances now in a Virtual Account (latest measurement of each).</summary>
    Task<IReadOnlyList<TagUsage>> InUseAsync(string virtualAccountId, CancellationToken ct = default);

    /// <summary>The latest in-use count per tag of one product instance.</summary>
    Task<IReadOnlyList<TagUsage>> InUseOfAsync(string udi, CancellationToken ct = default);

    /// <summary>The latest in-use count per tag of each of <paramref name="udis"/> (one set-based read, not one per instance).</summary>
    Task<IReadOnlyList<InstanceTagUsage>> InUseOfEachAsync(IReadOnlyCollection<string> udis, CancellationToken ct = default);

    Task<int> CountReportsAsync(string? udi, CancellationToken ct = default);
}
