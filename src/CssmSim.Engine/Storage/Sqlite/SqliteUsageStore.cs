using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace CssmSim.Engine.Storage.Sqlite;

internal sealed class SqliteUsageStore(SqliteDatabase db) : IUsageStore
{
    public Task<IReadOnlyList<StoredReportOutcome>> StoreReportsAsync(IReadOnlyList<NewUsageReport> reports, DateTimeOffset receivedAt, string status, CancellationToken ct = default) =>
        db.WriteAsync<IReadOnlyList<StoredReportOutcome>>((c, tx) =>
        {
            var outcomes = new List<StoredReportOutcome>(reports.Count);
            var at = SqliteJobStore.Time(receivedAt);
            // Prepared once and re-bound per report: an upload stores thousands in one call.
            using var find = Sql.Prepare(c, tx, "SELECT payload, status FROM usage_reports WHERE udi = $udi AND report_key = $key", "$udi", "$key");
            using var insert = Sql.Prepare(c, tx, """
                INSERT INTO usage_reports (udi, report_key, report_id, report_id_is_number, tag, in_use, measured_at, payload, signature_json, received_at, status, source)
                VALUES ($udi, $key, $id, $num, $tag, $inUse, $measured, $payload, $sig, $at, $status, $source)
                ON CONFLICT (udi, report_key) DO NOTHING
                """, "$udi", "$key", "$id", "$num", "$tag", "$inUse", "$measured", "$payload", "$sig", "$at", "$status", "$source");
            using var touch = Sql.Prepare(c, tx, "UPDATE product_instances SET last_contact = $at WHERE udi = $udi", "$at", "$udi");
            var storedNow = new Dictionary<(string Udi, string Key), StoredReportOutcome>();
            var touched = new HashSet<string>(StringComparer.Ordinal);
            foreach (var r in reports)
            {
                // The same report twice in one request counts once too.
                if (storedNow.TryGetValue((r.Udi, r.ReportKey), out var first))
                {
                    var same = first.Report.Payload == r.Payload;
                    outcomes.Add(new StoredReportOutcome(r, true, same, same ? first.Status : "DROPPED"));
                    continue;
                }
                // Inserted unless stored before (most reports are new, so the lookup runs only for the rest).
                Sql.Bind(insert, r.Udi, r.ReportKey, r.ReportId, r.ReportIdIsNumber ? 1 : 0, r.Tag, r.InUse, r.MeasuredAt is { } m ? SqliteJobStore.Time(m) : null,
                    r.Payload, r.SignatureJson, at, status, r.Source);
                if (insert.ExecuteNonQuery() == 0)
                {
                    Sql.Bind(find, r.Udi, r.ReportKey);
                    (string Payload, string Status) existing;
                    using (var row = find.ExecuteReader())
                    {
                        row.Read();
                        existing = (row.GetString(0), row.GetString(1));
                    }
                    // A duplicate is acknowledged with its recorded status when identical, DROPPED when it differs.
                    var same = existing.Payload == r.Payload;
                    outcomes.Add(new StoredReportOutcome(r, true, same, same ? existing.Status : "DROPPED"));
                    continue;
                }
                if (touched.Add(r.Udi))
                {
                    Sql.Bind(touch, at, r.Udi);
                    touch.ExecuteNonQuery();
                }
                var outcome = new StoredReportOutcome(r, false, true, status);
                storedNow[(r.Udi, r.ReportKey)] = outcome;
                outcomes.Add(outcome);
            }
            return outcomes;
        }, ct);

    public Task<(string AckId, DateTimeOffset Timestamp)> RecordAckAsync(string udi, string virtualAccountId, DateTimeOffset now, IReadOnlyList<string> reportIds,
        Func<long, string> ackId, CancellationToken ct = default, string? uploadId = null) =>
        db.WriteAsync((c, tx) => RecordAck(c, tx, udi, virtualAccountId, now, reportIds, ackId, uploadId), ct);

    // One write transaction for all: the ACKs of an upload are recorded together.
    public Task<IReadOnlyList<(string AckId, DateTimeOffset Timestamp)>> RecordAcksAsync(IReadOnlyList<AckToRecord> acks, DateTimeOffset now,
        Func<string, long, string> ackId, CancellationToken ct = default, string? uploadId = null) =>
        db.WriteAsync<IReadOnlyList<(string, DateTimeOffset)>>((c, tx) =>
            acks.Select(a => RecordAck(c, tx, a.Udi, a.VirtualAccountId, now, a.ReportIds, n => ackId(a.Udi, n), uploadId)).ToList(), ct);

    private static (string AckId, DateTimeOffset Timestamp) RecordAck(SqliteConnection c, SqliteTransaction tx, string udi, string virtualAccountId,
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
        var n = (long)Sql.Scalar(c, tx, "INSERT INTO counters (key, value) VALUES ($k, 1) ON CONFLICT (key) DO UPDATE SET value = value + 1 RETURNING value", ("$k", "ack/" + udi))!;
        var id = ackId(n);
        Sql.Execute(c, tx, "INSERT INTO acks (id, udi, va_id, issued_at, report_ids_json, synthetic, upload_id) VALUES ($id, $udi, $va, $at, $ids, 0, $upload)",
            ("$id", id), ("$udi", udi), ("$va", virtualAccountId), ("$at", SqliteJobStore.Time(at)), ("$ids", JsonSerializer.Serialize(reportIds)),
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

    public Task<IReadOnlyList<InstanceTagUsage>> InUseOfEachAsync(IReadOnlyCollection<string> udis, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<InstanceTagUsage>>(c =>
        {
            var result = new List<InstanceTagUsage>();
            // In chunks: SQLite caps the parameters of one statement.
            foreach (var chunk in udis.Distinct(StringComparer.Ordinal).Chunk(500))
            {
                var names = chunk.Select((_, i) => "$u" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
                result.AddRange(Sql.Query(c, null, $"SELECT udi, tag, in_use FROM latest_usage WHERE udi IN ({string.Join(", ", names)})",
                    r => new InstanceTagUsage(r.GetString(0), r.GetString(1), r.GetInt64(2)), chunk.Select((u, i) => (names[i], (object?)u)).ToArray()));
            }
            return result;
        }, ct);

    public Task<int> CountReportsAsync(string? udi, CancellationToken ct = default) =>
        db.ReadAsync(c => Convert.ToInt32(Sql.Scalar(c, null, "SELECT COUNT(*) FROM usage_reports WHERE $udi IS NULL OR udi = $udi", ("$udi", udi)), CultureInfo.InvariantCulture), ct);
}
