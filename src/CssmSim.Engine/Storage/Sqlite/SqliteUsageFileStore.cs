using System.Globalization;
using System.Text.Json;
using CssmSim.Engine.UsageFiles;
using Microsoft.Data.Sqlite;

namespace CssmSim.Engine.Storage.Sqlite;

internal sealed class SqliteUsageFileStore(SqliteDatabase db) : IUsageFileStore
{
    private const string Columns = "id, seq, sa_id, va_id, file_name, form, uploaded_at, poll_id, status, product_instances, reports, errors_json, ack_file_name, ack_content_type";

    public Task InsertAsync(StoredUsageFile file, CancellationToken ct = default) => db.WriteAsync((c, tx) => Sql.Execute(c, tx, $"""
        INSERT INTO usage_files ({Columns}, ack_base64)
        VALUES ($id, $seq, $sa, $va, $name, $form, $at, $poll, $status, $pis, $reports, $errors, $ackName, $ackType, $ack)
        """,
        ("$id", file.Id), ("$seq", file.Seq), ("$sa", file.SmartAccountId), ("$va", file.VirtualAccountId), ("$name", file.FileName), ("$form", file.Form),
        ("$at", SqliteJobStore.Time(file.UploadedAt)), ("$poll", file.PollId), ("$status", file.Status), ("$pis", file.ProductInstances),
        ("$reports", file.Reports), ("$errors", WriteErrors(file.Errors)), ("$ackName", file.Ack?.FileName), ("$ackType", file.Ack?.ContentType),
        ("$ack", file.Ack is { } a ? Convert.ToBase64String(a.Content) : null)), ct);

    public Task<StoredUsageFile?> FindAsync(string id, CancellationToken ct = default) =>
        db.ReadAsync(c => Sql.Query(c, null, $"SELECT {Columns}, ack_base64 FROM usage_files WHERE id = $id", r => Read(r, withContent: true), ("$id", id))
            .FirstOrDefault(), ct);

    public Task<IReadOnlyList<StoredUsageFile>> ListAsync(string? smartAccountId, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<StoredUsageFile>>(c => smartAccountId is null
            ? Sql.Query(c, null, $"SELECT {Columns} FROM usage_files ORDER BY seq, id", r => Read(r, withContent: false))
            : Sql.Query(c, null, $"SELECT {Columns} FROM usage_files WHERE sa_id = $sa ORDER BY seq, id", r => Read(r, withContent: false), ("$sa", smartAccountId)), ct);

    private static StoredUsageFile Read(SqliteDataReader r, bool withContent)
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
