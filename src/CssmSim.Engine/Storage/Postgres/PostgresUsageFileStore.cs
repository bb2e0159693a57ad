using System.Globalization;
using System.Text.Json;
using CssmSim.Engine.UsageFiles;
using Npgsql;

namespace CssmSim.Engine.Storage.Postgres;

internal sealed class PostgresUsageFileStore(PostgresDatabase db) : IUsageFileStore
{
    private const string Columns = "id, seq, sa_id, va_id, file_name, form, uploaded_at, poll_id, status, product_instances, reports, errors_json, ack_file_name, ack_content_type";

    public Task<(StoredUsageFile File, bool Resumed)> BeginAsync(string contentKey, Func<long, StoredUsageFile> create, CancellationToken ct = default) =>
        db.WriteAsync((c, tx) =>
        {
            // Two retries of one upload on two replicas: one begins it, the other resumes it.
            PostgresDatabase.Lock(c, tx, "usage-file/" + contentKey);
            var pending = Sql.Query(c, tx, $"SELECT {Columns}, ack_base64 FROM usage_files WHERE content_key = $key AND completed = 0",
                r => Read(r, withContent: true), ("$key", contentKey)).FirstOrDefault();
            if (pending is not null) return (pending, true);
            var seq = (long)Sql.Scalar(c, tx, "INSERT INTO counters (key, value) VALUES ($k, 1) ON CONFLICT (key) DO UPDATE SET value = counters.value + 1 RETURNING value",
                ("$k", CounterKey))!;
            var file = create(seq);
            Sql.Execute(c, tx, $"""
                INSERT INTO usage_files ({Columns}, ack_base64, content_key, completed)
                VALUES ($id, $seq, $sa, $va, $name, $form, $at, $poll, $status, $pis, $reports, $errors, $ackName, $ackType, $ack, $key, 0)
                """, [.. Parameters(file), ("$key", contentKey)]);
            return (file, false);
        }, ct);

    public Task<bool> CompleteAsync(StoredUsageFile file, CancellationToken ct = default) => db.WriteAsync((c, tx) => Sql.Execute(c, tx, """
        UPDATE usage_files SET seq = $seq, sa_id = $sa, va_id = $va, file_name = $name, form = $form, uploaded_at = $at, poll_id = $poll, status = $status,
            product_instances = $pis, reports = $reports, errors_json = $errors, ack_file_name = $ackName, ack_content_type = $ackType, ack_base64 = $ack,
            content_key = NULL, completed = 1
        WHERE id = $id AND completed = 0
        """, Parameters(file)) == 1, ct);

    /// <summary>The counter upload sequence numbers come from (the one the service used before uploads were begun in the store).</summary>
    internal const string CounterKey = "usage-file";

    private static (string, object?)[] Parameters(StoredUsageFile file) =>
    [
        ("$id", file.Id), ("$seq", file.Seq), ("$sa", file.SmartAccountId), ("$va", file.VirtualAccountId), ("$name", file.FileName), ("$form", file.Form),
        ("$at", PostgresJobStore.Time(file.UploadedAt)), ("$poll", file.PollId), ("$status", file.Status), ("$pis", file.ProductInstances),
        ("$reports", file.Reports), ("$errors", WriteErrors(file.Errors)), ("$ackName", file.Ack?.FileName), ("$ackType", file.Ack?.ContentType),
        ("$ack", file.Ack is { } a ? Convert.ToBase64String(a.Content) : null),
    ];

    public Task<StoredUsageFile?> FindAsync(string id, CancellationToken ct = default) =>
        db.ReadAsync(c => Sql.Query(c, null, $"SELECT {Columns}, ack_base64 FROM usage_files WHERE id = $id AND completed = 1", r => Read(r, withContent: true), ("$id", id))
            .FirstOrDefault(), ct);

    public Task<IReadOnlyList<StoredUsageFile>> ListAsync(string? smartAccountId, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<StoredUsageFile>>(c => smartAccountId is null
            ? Sql.Query(c, null, $"SELECT {Columns} FROM usage_files WHERE completed = 1 ORDER BY seq, id", r => Read(r, withContent: false))
            : Sql.Query(c, null, $"SELECT {Columns} FROM usage_files WHERE sa_id = $sa AND completed = 1 ORDER BY seq, id", r => Read(r, withContent: false), ("$sa", smartAccountId)), ct);

    private static StoredUsageFile Read(NpgsqlDataReader r, bool withContent)
    {
        var ackName = r.NullableString(12);
        AckDownload? ack = ackName is null ? null
            : new AckDownload(ackName, r.NullableString(13) ?? AckArchiveWriter.TextContentType,
                withContent && r.NullableString(14) is { } b64 ? Convert.FromBase64String(b64) : []);
        return new StoredUsageFile(r.GetString(0), r.GetInt64(1), r.NullableString(2), r.NullableString(3), r.GetString(4), r.GetString(5),
            DateTimeOffset.Parse(r.GetString(6), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal), r.NullableString(7), r.GetString(8),
            r.GetInt32(9), r.GetInt32(10), ReadErrors(r.GetString(11)), ack);
    }

    private static string WriteErrors(IReadOnlyList<UsageFileError> errors)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var e in errors)
            {
                w.WriteStartObject();
                w.WriteString("entry", e.Entry);
                w.WriteString("reportId", e.ReportId);
                w.WriteString("message", e.Message);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    // Tolerant: a hand-edited snapshot may carry anything in errors_json; the upload still reads.
    private static List<UsageFileError> ReadErrors(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) return [new UsageFileError(null, null, "errors_json is not a JSON array")];
            return doc.RootElement.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object).Select(e => new UsageFileError(
                Text(e, "entry"), Text(e, "reportId"), Text(e, "message") ?? "")).ToList();
        }
        catch (JsonException)
        {
            return [new UsageFileError(null, null, "errors_json is not valid JSON")];
        }
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
