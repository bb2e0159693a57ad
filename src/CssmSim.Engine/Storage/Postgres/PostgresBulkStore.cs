using System.Text.Json;
using Npgsql;

namespace CssmSim.Engine.Storage.Postgres;

internal sealed class PostgresBulkStore(PostgresDatabase db) : IBulkStore
{
    public Task<(int ProductInstances, int Reports, int Acks)> InsertAsync(BulkBatch batch, CancellationToken ct = default) =>
        db.WriteAsync((c, tx) =>
        {
            // One prepared command per table, re-bound per row: parsing the SQL once per batch
            // instead of once per row is most of what makes a bulk load fast.
            int instances = 0, reports = 0, acks = 0;
            using (var cmd = Sql.Prepare(c, tx, """
                INSERT INTO product_instances (udi, pid, serial, piid, va_id, hostname, ha_role, ha_group, trust_code_id, trusted_at, trust_token_id,
                    trust_export_controlled, export_controlled, rum_key, registered_at, last_contact)
                VALUES ($udi, $pid, $serial, $piid, $va, $host, $role, $group, $code, $trustedAt, $token, $tokenExport, $export, $rum, $registered, $last)
                ON CONFLICT (udi) DO NOTHING
                """, "$udi", "$pid", "$serial", "$piid", "$va", "$host", "$role", "$group", "$code", "$trustedAt", "$token", "$tokenExport", "$export", "$rum",
                "$registered", "$last"))
            {
                foreach (var p in batch.ProductInstances)
                {
                    instances += Run(cmd, p.Udi, p.Pid, p.Serial, p.Piid, p.VirtualAccountId, p.Hostname, p.HaRole, p.HaGroup, p.TrustCodeId,
                        Time(p.TrustedAt), p.TrustTokenId, Flag(p.TrustExportControlled), Flag(p.ExportControlled), p.RumKey, Time(p.RegisteredAt), Time(p.LastContact));
                }
            }
            using (var cmd = Sql.Prepare(c, tx, """
                INSERT INTO usage_reports (udi, report_key, report_id, report_id_is_number, tag, in_use, measured_at, payload, signature_json, received_at, status, source)
                VALUES ($udi, $key, $id, $num, $tag, $inUse, $measured, $payload, $sig, $at, $status, $source)
                ON CONFLICT (udi, report_key) DO NOTHING
                """, "$udi", "$key", "$id", "$num", "$tag", "$inUse", "$measured", "$payload", "$sig", "$at", "$status", "$source"))
            {
                foreach (var (r, at, status) in batch.Reports)
                {
                    reports += Run(cmd, r.Udi, r.ReportKey, r.ReportId, r.ReportIdIsNumber ? 1 : 0, r.Tag, r.InUse, Time(r.MeasuredAt), r.Payload, r.SignatureJson,
                        Time(at), status, r.Source);
                }
            }
            using (var cmd = Sql.Prepare(c, tx, """
                INSERT INTO acks (id, udi, va_id, issued_at, report_ids_json, synthetic) VALUES ($id, $udi, $va, $at, $ids, 1)
                ON CONFLICT (id) DO NOTHING
                """, "$id", "$udi", "$va", "$at", "$ids"))
            {
                foreach (var a in batch.Acks)
                    acks += Run(cmd, a.Id, a.Udi, a.VirtualAccountId, Time(a.IssuedAt), JsonSerializer.Serialize(a.ReportIds));
            }
            return (instances, reports, acks);
        }, ct);

    private static int Run(NpgsqlCommand cmd, params object?[] values) => Sql.Bind(cmd, values).ExecuteNonQuery();

    private static string? Time(DateTimeOffset? t) => t is { } v ? PostgresJobStore.Time(v) : null;

    private static int? Flag(bool? b) => b is { } v ? (v ? 1 : 0) : null;
}
