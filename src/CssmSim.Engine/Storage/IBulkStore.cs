namespace CssmSim.Engine.Storage;

/// <summary>A report to bulk-load: stored as received at <paramref name="ReceivedAt"/> with <paramref name="Status"/>.</summary>
public sealed record BulkReport(NewUsageReport Report, DateTimeOffset ReceivedAt, string Status);

/// <summary>An ACK row to bulk-load, always marked <c>synthetic</c>: it stands for an ACK no device received.</summary>
public sealed record BulkAck(string Id, string Udi, string VirtualAccountId, DateTimeOffset IssuedAt, IReadOnlyList<string> ReportIds);

/// <summary>One batch of a bulk load: product instances first, then their reports and ACKs.</summary>
public sealed record BulkBatch(IReadOnlyList<StoredProductInstance> ProductInstances, IReadOnlyList<BulkReport> Reports, IReadOnlyList<BulkAck> Acks);

/// <summary>
/// Bulk loading for benchmarks (<c>cssmsim bench populate</c>): plain inserts in one transaction
/// per batch, without the per-row rules of the online paths (duplicate checks, events, trust).
/// Rows that already exist are left as they are, so a load can be re-run.
/// </summary>
public interface IBulkStore
{
    /// <summary>Inserts the batch in one transaction; returns the rows added (instances, reports, ACKs).</summary>
    Task<(int ProductInstances, int Reports, int Acks)> InsertAsync(BulkBatch batch, CancellationToken ct = default);
}
