using System.Globalization;
using System.Text.Json;
using Npgsql;

namespace CssmSim.Engine.Storage.Postgres;

internal sealed class PostgresUsageStore(PostgresDatabase db) : IUsageStore
{
    public Task<IReadOnlyList<StoredReportOutcome>> StoreReportsAsync(IReadOnlyList<NewUsageReport> reports, DateTimeOffset receivedAt, string status, CancellationToken ct = default) =>
        db.WriteAsync<IReadOnlyList<StoredReportOutcome>>((c, tx) =>
        {
            var at = PostgresJobStore.Time(receivedAt);
            // Insert first, look up only on a conflict: the unique key decides between replicas
            // storing the same report at once (ON CONFLICT waits for the other's commit, then the
            // look-up sees its row), so a report is stored once and every copy is told so. All the
            // inserts go in one batch, one round trip: each report's trigger updates its Virtual
            // Account's sum row (migration 12), which the transaction then holds until it commits,
            // and a round trip per report kept every other request for that account waiting on it
            // (16 clients sending 100 reports each: 7 requests/s, against ~10x that batched).
            using var batch = new NpgsqlBatch(c, tx);
            foreach (var r in reports)
            {
                var insert = new NpgsqlBatchCommand("""
                    INSERT INTO usage_reports (udi, report_key, report_id, report_id_is_number, tag, in_use, measured_at, payload, signature_json, received_at, status, source)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                    ON CONFLICT (udi, report_key) DO NOTHING
                    """);
                foreach (var v in new object?[] { r.Udi, r.ReportKey, r.ReportId, r.ReportIdIsNumber ? 1L : 0L, r.Tag, r.InUse,
                    r.MeasuredAt is { } m ? PostgresJobStore.Time(m) : null, r.Payload, r.SignatureJson, at, status, r.Source })
                    insert.Parameters.Add(new NpgsqlParameter { Value = v ?? DBNull.Value });
                batch.BatchCommands.Add(insert);
            }
            if (reports.Count > 0) batch.ExecuteNonQuery();
            var outcomes = new List<StoredReportOutcome>(reports.Count);
            using var find = Sql.Prepare(c, tx, "SELECT payload, status FROM usage_reports WHERE udi = $udi AND report_key = $key", "$udi", "$key");
            using var touch = Sql.Prepare(c, tx, "UPDATE product_instances SET last_contact = $at WHERE udi = $udi", "$at", "$udi");
            var touched = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < reports.Count; i++)
            {
                var r = reports[i];
                if (batch.BatchCommands[i].RecordsAffected == 1)
                {
                    if (touched.Add(r.Udi))
                    {
                        Sql.Bind(touch, at, r.Udi);
                        touch.ExecuteNonQuery();
                    }
                    outcomes.Add(new StoredReportOutcome(r, false, true, status));
                    continue;
                }
                // A duplicate (stored before, by any replica, or earlier in this request) is acknowledged
                // with its recorded status when identical, DROPPED when it differs.
                Sql.Bind(find, r.Udi, r.ReportKey);
                using var row = find.ExecuteReader();
                if (!row.Read()) throw new PostgresException("the report it conflicted with is gone", "ERROR", "ERROR", PostgresErrorCodes.SerializationFailure);
                var same = row.GetString(0) == r.Payload;
                outcomes.Add(new StoredReportOutcome(r, true, same, same ? row.GetString(1) : "DROPPED"));
            }
            return outcomes;
        }, ct);

    public Task<(string AckId, DateTimeOffset Timestamp)> RecordAckAsync(string udi, string virtualAccountId, DateTimeOffset now, IReadOnlyList<string> reportIds,
        Func<long, string> ackId, CancellationToken ct = default, string? uploadId = null) => db.WriteAsync((c, tx) =>
    {
        LockInstances(c, tx, [udi]);
        return RecordAck(c, tx, udi, virtualAccountId, now, reportIds, ackId, uploadId);
    }, ct);

    // One transaction for all: the ACKs of an upload are recorded together.
    public Task<IReadOnlyList<(string AckId, DateTimeOffset Timestamp)>> RecordAcksAsync(IReadOnlyList<AckToRecord> acks, DateTimeOffset now,
        Func<string, long, string> ackId, CancellationToken ct = default, string? uploadId = null) =>
        db.WriteAsync<IReadOnlyList<(string, DateTimeOffset)>>((c, tx) =>
        {
            LockInstances(c, tx, acks.Select(a => a.Udi));
            return acks.Select(a => RecordAck(c, tx, a.Udi, a.VirtualAccountId, now, a.ReportIds, n => ackId(a.Udi, n), uploadId)).ToList();
        }, ct);

    /// <summary>
    /// One UDI's ACKs one after the other (on any replica), so each is later than the one before:
    /// its product instance's row is locked (an ACK's foreign key needs the row anyway). Row locks,
    /// not advisory locks, since an upload of 10,000 devices would need more advisory locks than
    /// the server's shared lock table holds; taken in UDI order in one statement, so two uploads
    /// never wait on each other crosswise.
    /// </summary>
    private static void LockInstances(NpgsqlConnection c, NpgsqlTransaction tx, IEnumerable<string> udis) =>
        Sql.Execute(c, tx, "SELECT udi FROM product_instances WHERE udi = ANY($udis) ORDER BY udi FOR NO KEY UPDATE",
            ("$udis", udis.Distinct(StringComparer.Ordinal).ToArray()));

    private static (string AckId, DateTimeOffset Timestamp) RecordAck(NpgsqlConnection c, NpgsqlTransaction tx, string udi, string virtualAccountId,
        DateTimeOffset now, IReadOnlyList<string> reportIds, Func<long, string> ackId, string? uploadId)
    {
        if (uploadId is not null)
        {
            var recorded = Sql.Query(c, tx, "SELECT id, issued_at FROM acks WHERE upload_id = $upload AND udi = $udi",
                r => (r.GetString(0), DateTimeOffset.Parse(r.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)),
                ("$upload", uploadId), ("$udi", udi));
            if (recorded.Count > 0) return recorded[0];
        }
        var previous = (string?)Sql.Scalar(c, tx, "SELECT MAX(issued_at) FROM acks WHERE udi = $udi", ("$udi", udi));
        var at = now;
        if (previous is not null)
        {
            var floor = DateTimeOffset.Parse(previous, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).AddMilliseconds(1);
            if (floor > at) at = floor;
        }
        // Millisecond precision, as stored and as devices compare.
        at = DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds());
        var n = (long)Sql.Scalar(c, tx, "INSERT INTO counters (key, value) VALUES ($k, 1) ON CONFLICT (key) DO UPDATE SET value = counters.value + 1 RETURNING value", ("$k", "ack/" + udi))!;
        var id = ackId(n);
        Sql.Execute(c, tx, "INSERT INTO acks (id, udi, va_id, issued_at, report_ids_json, synthetic, upload_id) VALUES ($id, $udi, $va, $at, $ids, 0, $upload)",
            ("$id", id), ("$udi", udi), ("$va", virtualAccountId), ("$at", PostgresJobStore.Time(at)), ("$ids", JsonSerializer.Serialize(reportIds)),
            ("$upload", uploadId));
        return (id, at);
    }

    // latest_usage (migration 10) holds the latest counted report of each instance and tag, kept
    // by triggers with the instance's current VA, and va_tag_usage (migration 12) its sums per VA
    // and tag: a balance reads a row per tag.
    public Task<IReadOnlyList<TagUsage>> InUseAsync(string virtualAccountId, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<TagUsage>>(c => Sql.Query(c, null, "SELECT tag, in_use FROM va_tag_usage WHERE va_id = $va AND instances > 0 ORDER BY tag",
            r => new TagUsage(r.GetString(0), r.GetInt64(1)), ("$va", virtualAccountId)), ct);

    public Task<IReadOnlyList<TagUsage>> InUseOfAsync(string udi, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<TagUsage>>(c => Sql.Query(c, null, "SELECT tag, in_use FROM latest_usage WHERE udi = $udi ORDER BY tag",
            r => new TagUsage(r.GetString(0), r.GetInt64(1)), ("$udi", udi)), ct);

    // One statement with an array parameter: PostgreSQL has no cap that would need chunks.
    public Task<IReadOnlyList<InstanceTagUsage>> InUseOfEachAsync(IReadOnlyCollection<string> udis, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<InstanceTagUsage>>(c => udis.Count == 0 ? [] : Sql.Query(c, null, "SELECT udi, tag, in_use FROM latest_usage WHERE udi = ANY($udis)",
            r => new InstanceTagUsage(r.GetString(0), r.GetString(1), r.GetInt64(2)), ("$udis", udis.Distinct(StringComparer.Ordinal).ToArray())), ct);

    public Task<int> CountReportsAsync(string? udi, CancellationToken ct = default) =>
        db.ReadAsync(c => Convert.ToInt32(Sql.Scalar(c, null, "SELECT COUNT(*) FROM usage_reports WHERE CAST($udi AS TEXT) IS NULL OR udi = $udi", ("$udi", udi)), CultureInfo.InvariantCulture), ct);
}
