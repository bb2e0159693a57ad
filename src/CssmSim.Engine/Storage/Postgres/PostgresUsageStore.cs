using System.Globalization;
using System.Text.Json;
using Npgsql;

namespace CssmSim.Engine.Storage.Postgres;

internal sealed class PostgresUsageStore(PostgresDatabase db) : IUsageStore
{
    public Task<IReadOnlyList<StoredReportOutcome>> StoreReportsAsync(IReadOnlyList<NewUsageReport> reports, DateTimeOffset receivedAt, string status, CancellationToken ct = default) =>
        db.WriteAsync<IReadOnlyList<StoredReportOutcome>>((c, tx) =>
        {
            var outcomes = new List<StoredReportOutcome>(reports.Count);
            var at = PostgresJobStore.Time(receivedAt);
            // Insert first, look up only on a conflict: the unique key decides between replicas
            // storing the same report at once (ON CONFLICT waits for the other's commit, then the
            // look-up sees its row), so a report is stored once and every copy is told so.
            using var insert = Sql.Prepare(c, tx, """
                INSERT INTO usage_reports (udi, report_key, report_id, report_id_is_number, tag, in_use, measured_at, payload, signature_json, received_at, status, source)
                VALUES ($udi, $key, $id, $num, $tag, $inUse, $measured, $payload, $sig, $at, $status, $source)
                ON CONFLICT (udi, report_key) DO NOTHING
                """, "$udi", "$key", "$id", "$num", "$tag", "$inUse", "$measured", "$payload", "$sig", "$at", "$status", "$source");
            using var find = Sql.Prepare(c, tx, "SELECT payload, status FROM usage_reports WHERE udi = $udi AND report_key = $key", "$udi", "$key");
            using var touch = Sql.Prepare(c, tx, "UPDATE product_instances SET last_contact = $at WHERE udi = $udi", "$at", "$udi");
            var touched = new HashSet<string>(StringComparer.Ordinal);
            foreach (var r in reports)
            {
                Sql.Bind(insert, r.Udi, r.ReportKey, r.ReportId, r.ReportIdIsNumber ? 1 : 0, r.Tag, r.InUse, r.MeasuredAt is { } m ? PostgresJobStore.Time(m) : null,
                    r.Payload, r.SignatureJson, at, status, r.Source);
                if (insert.ExecuteNonQuery() == 1)
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
        // One UDI's ACKs one after the other (on any replica): each is later than the one before.
        PostgresDatabase.Lock(c, tx, "ack/" + udi);
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
    }, ct);

    /// <summary>
    /// The latest reported in-use count of each product instance in a VA (<c>$va</c>) for one tag
    /// (<c>$tag</c>): rows (udi, in_use). Shared with the authorization store's balance check.
    /// </summary>
    internal const string LatestInUseOfTag = """
        SELECT udi, in_use FROM (
            SELECT r.udi, r.in_use, ROW_NUMBER() OVER (PARTITION BY r.udi ORDER BY r.measured_at DESC, r.received_at DESC, r.report_key DESC) AS rn
            FROM usage_reports r JOIN product_instances p ON p.udi = r.udi
            WHERE p.va_id = $va AND r.tag = $tag AND r.status <> 'DROPPED' AND r.in_use IS NOT NULL) AS latest WHERE rn = 1
        """;

    // Latest measurement of each product instance per tag, counted where the instance is now.
    private const string LatestInUse = """
        SELECT tag, SUM(in_use) FROM (
            SELECT r.udi, r.tag, r.in_use,
                   ROW_NUMBER() OVER (PARTITION BY r.udi, r.tag ORDER BY r.measured_at DESC, r.received_at DESC, r.report_key DESC) AS rn
            FROM usage_reports r JOIN product_instances p ON p.udi = r.udi
            WHERE {0} AND r.status <> 'DROPPED' AND r.tag IS NOT NULL AND r.in_use IS NOT NULL
        ) AS latest WHERE rn = 1 GROUP BY tag ORDER BY tag
        """;

    public Task<IReadOnlyList<TagUsage>> InUseAsync(string virtualAccountId, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<TagUsage>>(c => Sql.Query(c, null, string.Format(CultureInfo.InvariantCulture, LatestInUse, "p.va_id = $va"),
            r => new TagUsage(r.GetString(0), r.GetInt64(1)), ("$va", virtualAccountId)), ct);

    public Task<IReadOnlyList<TagUsage>> InUseOfAsync(string udi, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<TagUsage>>(c => Sql.Query(c, null, string.Format(CultureInfo.InvariantCulture, LatestInUse, "r.udi = $udi"),
            r => new TagUsage(r.GetString(0), r.GetInt64(1)), ("$udi", udi)), ct);

    public Task<int> CountReportsAsync(string? udi, CancellationToken ct = default) =>
        db.ReadAsync(c => Convert.ToInt32(Sql.Scalar(c, null, "SELECT COUNT(*) FROM usage_reports WHERE CAST($udi AS TEXT) IS NULL OR udi = $udi", ("$udi", udi)), CultureInfo.InvariantCulture), ct);
}
