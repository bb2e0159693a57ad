using System.Globalization;
using System.Text.Json;
using CssmSim.Engine.Events;
using Microsoft.Data.Sqlite;

namespace CssmSim.Engine.Storage.Sqlite;

internal sealed class SqliteInventoryStore(SqliteDatabase db) : IInventoryStore
{
    private const string TokenColumns = "id, va_id, token, canonical, description, created_by, created_at, expires_at, expires_after_days, max_uses, uses, export_controlled, revoked";
    private const string PiColumns = "udi, pid, serial, piid, va_id, hostname, ha_role, ha_group, trust_code_id, trusted_at, trust_token_id, trust_export_controlled, export_controlled, rum_key, registered_at, last_contact";

    public Task InsertTokenAsync(StoredToken t, CancellationToken ct = default) => db.WriteAsync((c, tx) => Sql.Execute(c, tx,
        $"INSERT INTO tokens ({TokenColumns}) VALUES ($id, $va, $token, $canonical, $d, $by, $at, $exp, $days, $max, $uses, $export, $revoked)",
        ("$id", t.Id), ("$va", t.VirtualAccountId), ("$token", t.Token), ("$canonical", t.Canonical), ("$d", t.Description), ("$by", t.CreatedBy),
        ("$at", Time(t.CreatedAt)), ("$exp", Time(t.ExpiresAt)), ("$days", t.ExpiresAfterDays), ("$max", t.MaxUses), ("$uses", t.Uses),
        ("$export", t.ExportControlled ? 1 : 0), ("$revoked", t.Revoked ? 1 : 0)), ct);

    public Task<IReadOnlyList<StoredToken>> ListTokensAsync(string virtualAccountId, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<StoredToken>>(c => Sql.Query(c, null, $"SELECT {TokenColumns} FROM tokens WHERE va_id = $va ORDER BY created_at DESC, id",
            ReadToken, ("$va", virtualAccountId)), ct);

    public Task<StoredToken?> FindTokenAsync(string? id, string? canonical, CancellationToken ct = default) => db.ReadAsync(c =>
        Sql.Query(c, null, $"SELECT {TokenColumns} FROM tokens WHERE id = $id OR canonical = $canonical", ReadToken, ("$id", id), ("$canonical", canonical)).FirstOrDefault(), ct);

    public Task<bool> RevokeTokenAsync(string virtualAccountId, string tokenId, CancellationToken ct = default) =>
        db.WriteAsync((c, tx) => Sql.Execute(c, tx, "UPDATE tokens SET revoked = 1 WHERE id = $id AND va_id = $va", ("$id", tokenId), ("$va", virtualAccountId)) > 0, ct);

    public Task<TrustIssueResult> IssueTrustAsync(TrustIssue issue, CancellationToken ct = default) => db.WriteAsync((c, tx) => Issue(c, tx, issue), ct);

    // Everything a trust request checks and changes happens here, in one write transaction, so
    // the token's use cap holds under any concurrency and across processes sharing the file.
    private static TrustIssueResult Issue(SqliteConnection c, SqliteTransaction tx, TrustIssue issue)
    {
        string vaId;
        StoredToken? token = null;
        if (issue.TokenId is not null)
        {
            token = Sql.Query(c, tx, $"SELECT {TokenColumns} FROM tokens WHERE id = $id", ReadToken, ("$id", issue.TokenId)).FirstOrDefault();
            // CSSM's order: not found, revoked, expired (virtual clock), uses exhausted.
            if (token is null) return Fail(TrustRefusal.TokenNotFound);
            if (token.Revoked) return Fail(TrustRefusal.TokenRevoked);
            if (token.ExpiresAt <= issue.Now) return Fail(TrustRefusal.TokenExpired);
            if (token.MaxUses is { } max && token.Uses >= max) return Fail(TrustRefusal.TokenUsesExhausted) with { MaxUses = max };
            vaId = token.VirtualAccountId;
        }
        else
        {
            vaId = issue.VirtualAccountId ?? throw new ArgumentException("a trust issue needs a token or a virtual account");
        }

        var targets = issue.Targets.DistinctBy(t => Udi(t.Pid, t.Serial)).ToList();
        var existing = targets.ToDictionary(t => Udi(t.Pid, t.Serial), t => FindPi(c, tx, Udi(t.Pid, t.Serial)));
        if (!issue.Force && !issue.ExistingOnly)
        {
            var registered = existing.Where(kv => kv.Value?.TrustCodeId is not null).Select(kv => kv.Key).ToList();
            if (registered.Count > 0)
                return Fail(TrustRefusal.UdiAlreadyRegistered, vaId) with { Registered = registered };
            // A token applies only to the product instances of its own account (seed 000 L6148): one the simulator
            // already holds in another Virtual Account is refused, not moved, unless forced.
            var elsewhere = token is null ? [] : existing.Where(kv => kv.Value is not null && kv.Value.VirtualAccountId != vaId).Select(kv => kv.Key).ToList();
            if (elsewhere.Count > 0) return Fail(TrustRefusal.AccountMismatch, vaId) with { Registered = elsewhere };
        }
        if (token is not null)
        {
            // The cap lives in the statement itself: two writers can never both take the last use.
            var consumed = Sql.Execute(c, tx, "UPDATE tokens SET uses = uses + 1 WHERE id = $id AND (max_uses IS NULL OR uses < max_uses)", ("$id", token.Id));
            if (consumed == 0) return Fail(TrustRefusal.TokenUsesExhausted) with { MaxUses = token.MaxUses };
        }

        var (saId, vaName) = VaIdentity(c, tx, vaId);
        var group = targets.Count > 1 ? Udi(targets[0].Pid, targets[0].Serial) : null;
        var issued = new List<IssuedTrust>();
        var now = Time(issue.Now);
        for (var i = 0; i < targets.Count; i++)
        {
            var t = targets[i];
            var udi = Udi(t.Pid, t.Serial);
            var pi = existing[udi];
            var movedFrom = pi is not null && pi.VirtualAccountId != vaId ? pi.VirtualAccountId : null;
            if (issue.ExistingOnly && pi?.TrustCodeId is not null)
            {
                // TRUST_SYNC: a member that has trust keeps it, but follows the active into its VA.
                if (movedFrom is null) continue;
                Sql.Execute(c, tx, "UPDATE product_instances SET va_id = $va, ha_role = COALESCE($role, ha_role), ha_group = COALESCE($group, ha_group) WHERE udi = $udi",
                    ("$va", vaId), ("$role", t.HaRole), ("$group", group), ("$udi", udi));
                Event(c, tx, now, EventTypes.PiMoved, saId, vaName, udi, new { from_virtual_account_id = movedFrom, to_virtual_account_id = vaId });
                issued.Add(new IssuedTrust(udi, t.Pid, t.Serial, pi.TrustCodeId, pi.Piid, pi.RumKey ?? "", null, movedFrom));
                continue;
            }
            var generation = (long)Sql.Scalar(c, tx, "INSERT INTO counters (key, value) VALUES ($k, 1) ON CONFLICT (key) DO UPDATE SET value = value + 1 RETURNING value", ("$k", "trust/" + udi))!;
            var codeId = issue.TrustCodeId(udi, generation);
            var piid = pi?.Piid ?? issue.Piid(udi);
            var rumKey = issue.RumKey(udi, generation);
            Sql.Execute(c, tx, $"""
                INSERT INTO product_instances ({PiColumns})
                VALUES ($udi, $pid, $serial, $piid, $va, $host, $role, $group, $code, $now, $token, $tokenExport, NULL, $rum, $now, $now)
                ON CONFLICT (udi) DO UPDATE SET
                    va_id = $va, hostname = CASE WHEN $host = '' THEN hostname ELSE $host END,
                    ha_role = COALESCE($role, ha_role), ha_group = COALESCE($group, ha_group),
                    trust_code_id = $code, trusted_at = $now, trust_token_id = $token, trust_export_controlled = $tokenExport,
                    rum_key = $rum, last_contact = $now
                """, ("$udi", udi), ("$pid", t.Pid), ("$serial", t.Serial), ("$piid", piid), ("$va", vaId), ("$host", i == 0 ? issue.Hostname : ""),
                ("$role", t.HaRole), ("$group", group), ("$code", codeId), ("$now", now), ("$token", token?.Id),
                ("$tokenExport", token is null ? null : token.ExportControlled ? 1 : 0), ("$rum", rumKey));
            var superseded = (string?)Sql.Scalar(c, tx, "SELECT id FROM trust_codes WHERE udi = $udi AND superseded_by IS NULL", ("$udi", udi));
            Sql.Execute(c, tx, "UPDATE trust_codes SET superseded_by = $new WHERE udi = $udi AND superseded_by IS NULL", ("$new", codeId), ("$udi", udi));
            Sql.Execute(c, tx, "INSERT INTO trust_codes (id, udi, generation, va_id, token_id, issued_at) VALUES ($id, $udi, $gen, $va, $token, $now)",
                ("$id", codeId), ("$udi", udi), ("$gen", generation), ("$va", vaId), ("$token", token?.Id), ("$now", now));
            if (movedFrom is not null) Event(c, tx, now, EventTypes.PiMoved, saId, vaName, udi, new { from_virtual_account_id = movedFrom, to_virtual_account_id = vaId });
            if (superseded is not null) Event(c, tx, now, EventTypes.TrustSuperseded, saId, vaName, udi, new { trust_code_id = superseded, superseded_by = codeId });
            Event(c, tx, now, EventTypes.TrustIssued, saId, vaName, udi, new { trust_code_id = codeId, token_id = token?.Id });
            issued.Add(new IssuedTrust(udi, t.Pid, t.Serial, codeId, piid, rumKey, superseded, movedFrom));
        }
        return new TrustIssueResult(null, vaId, issued, token?.Id);

        TrustIssueResult Fail(TrustRefusal refusal, string? va = null) => new(refusal, va ?? token?.VirtualAccountId ?? issue.VirtualAccountId ?? "", []);
    }

    public Task<bool> AcknowledgeTrustCodeAsync(string udi, string trustCodeId, DateTimeOffset at, CancellationToken ct = default) =>
        db.WriteAsync((c, tx) => Sql.Execute(c, tx, "UPDATE trust_codes SET acknowledged_at = $at WHERE id = $id AND udi = $udi",
            ("$at", Time(at)), ("$id", trustCodeId), ("$udi", udi)) > 0, ct);

    public Task<StoredProductInstance?> FindProductInstanceAsync(string udi, CancellationToken ct = default) => db.ReadAsync(c => FindPi(c, null, udi), ct);

    public Task<StoredProductInstance?> FindProductInstanceByPiidAsync(string piid, CancellationToken ct = default) =>
        db.ReadAsync(c => Sql.Query(c, null, $"SELECT {PiColumns} FROM product_instances WHERE piid = $piid", ReadPi, ("$piid", piid)).FirstOrDefault(), ct);

    public Task<IReadOnlyList<StoredProductInstance>> ListProductInstancesAsync(IReadOnlyCollection<string> virtualAccountIds, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<StoredProductInstance>>(c =>
        {
            if (virtualAccountIds.Count == 0) return [];
            var names = virtualAccountIds.Select((_, i) => "$v" + i).ToArray();
            return Sql.Query(c, null, $"SELECT {PiColumns} FROM product_instances WHERE va_id IN ({string.Join(", ", names)}) ORDER BY udi", ReadPi,
                virtualAccountIds.Select((v, i) => (names[i], (object?)v)).ToArray());
        }, ct);

    public Task<ProductInstancePageRows> PageProductInstancesAsync(IReadOnlyCollection<string> virtualAccountIds, int offset, int limit, CancellationToken ct = default) =>
        db.ReadAsync(c =>
        {
            ArgumentOutOfRangeException.ThrowIfNegative(offset);
            ArgumentOutOfRangeException.ThrowIfNegative(limit);
            var vas = virtualAccountIds.Distinct(StringComparer.Ordinal).ToList();
            if (vas.Count == 0) return new ProductInstancePageRows(0, []);
            var names = vas.Select((_, i) => "$v" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
            var args = vas.Select((v, i) => (names[i], (object?)v)).Append(("$limit", limit)).Append(("$offset", offset)).ToArray();
            var total = Convert.ToInt32(Sql.Scalar(c, null, $"SELECT COUNT(*) FROM product_instances WHERE va_id IN ({string.Join(", ", names)})", args),
                CultureInfo.InvariantCulture);
            if (limit == 0 || offset >= total) return new ProductInstancePageRows(total, []);
            // The page's UDIs from the (va_id, udi) index alone, each VA already in UDI order and
            // merged (UNION ALL), so a deep offset steps over index entries instead of sorting every
            // instance; then only the page's rows are read.
            var udis = string.Join(" UNION ALL ", names.Select(n => $"SELECT udi FROM product_instances WHERE va_id = {n}"));
            var items = Sql.Query(c, null, $"""
                SELECT {PiColumns} FROM product_instances WHERE udi IN ({udis} ORDER BY udi LIMIT $limit OFFSET $offset) ORDER BY udi
                """, ReadPi, args);
            return new ProductInstancePageRows(total, items);
        }, ct);

    public Task UpsertProductInstanceAsync(StoredProductInstance p, CancellationToken ct = default) => db.WriteAsync((c, tx) => Sql.Execute(c, tx, $"""
        INSERT INTO product_instances ({PiColumns})
        VALUES ($udi, $pid, $serial, $piid, $va, $host, $role, $group, $code, $trustedAt, $token, $tokenExport, $export, $rum, $registered, $last)
        ON CONFLICT (udi) DO UPDATE SET va_id = $va, hostname = CASE WHEN $host = '' THEN hostname ELSE $host END,
            export_controlled = COALESCE($export, export_controlled), last_contact = COALESCE($last, last_contact)
        """, ("$udi", p.Udi), ("$pid", p.Pid), ("$serial", p.Serial), ("$piid", p.Piid), ("$va", p.VirtualAccountId), ("$host", p.Hostname),
        ("$role", p.HaRole), ("$group", p.HaGroup), ("$code", p.TrustCodeId), ("$trustedAt", p.TrustedAt is { } ta ? Time(ta) : null),
        ("$token", p.TrustTokenId), ("$tokenExport", p.TrustExportControlled is { } te ? (te ? 1 : 0) : null),
        ("$export", p.ExportControlled is { } e ? (e ? 1 : 0) : null), ("$rum", p.RumKey), ("$registered", Time(p.RegisteredAt)),
        ("$last", p.LastContact is { } lc ? Time(lc) : null)), ct);

    public Task<bool> DeleteProductInstanceAsync(string udi, CancellationToken ct = default) =>
        db.WriteAsync((c, tx) =>
        {
            // Its latest usage leaves the Virtual Account's sums (migration 12) before it cascades away.
            Sql.Execute(c, tx, """
                UPDATE va_tag_usage SET
                    in_use = in_use - (SELECT l.in_use FROM latest_usage l WHERE l.udi = $udi AND l.tag = va_tag_usage.tag),
                    in_use_counted = in_use_counted - (SELECT MAX(l.in_use, 0) FROM latest_usage l WHERE l.udi = $udi AND l.tag = va_tag_usage.tag),
                    instances = instances - 1
                WHERE (va_id, tag) IN (SELECT l.va_id, l.tag FROM latest_usage l WHERE l.udi = $udi)
                """, ("$udi", udi));
            return Sql.Execute(c, tx, "DELETE FROM product_instances WHERE udi = $udi", ("$udi", udi)) > 0;
        }, ct);

    public Task<bool> MoveProductInstanceAsync(string udi, string fromVirtualAccountId, string toVirtualAccountId, CancellationToken ct = default) =>
        db.WriteAsync((c, tx) =>
        {
            if (Sql.Execute(c, tx, "UPDATE product_instances SET va_id = $to WHERE udi = $udi AND va_id = $from",
                    ("$to", toVirtualAccountId), ("$udi", udi), ("$from", fromVirtualAccountId)) == 0) return false;
            Sql.Execute(c, tx, "UPDATE authorizations SET va_id = $to WHERE udi = $udi AND state <> 'RETURNED'", ("$to", toVirtualAccountId), ("$udi", udi));
            return true;
        }, ct);

    public Task TouchAsync(string udi, DateTimeOffset at, CancellationToken ct = default) => db.WriteAsync((c, tx) => Touch(c, tx, udi, at), ct);

    /// <summary>Sets a product instance's last contact inside a write transaction (also a poll's: <c>RecordPollAsync</c>).</summary>
    internal static int Touch(SqliteConnection c, SqliteTransaction tx, string udi, DateTimeOffset at) =>
        Sql.Execute(c, tx, "UPDATE product_instances SET last_contact = $at WHERE udi = $udi", ("$at", Time(at)), ("$udi", udi));

    public Task AppendEventAsync(DateTimeOffset time, string type, string? smartAccountId, string? virtualAccountName, string? udi, string detailsJson, CancellationToken ct = default) =>
        db.WriteAsync((c, tx) => Sql.Execute(c, tx, "INSERT INTO events (time, type, sa_id, va_name, udi, details_json) VALUES ($t, $type, $sa, $va, $udi, $d)",
            ("$t", Time(time)), ("$type", type), ("$sa", smartAccountId), ("$va", virtualAccountName), ("$udi", udi), ("$d", detailsJson)), ct);

    public Task AppendEventsAsync(IReadOnlyList<NewEvent> events, CancellationToken ct = default) =>
        db.WriteAsync((c, tx) =>
        {
            using var cmd = Sql.Prepare(c, tx, "INSERT INTO events (time, type, sa_id, va_name, udi, details_json) VALUES ($t, $type, $sa, $va, $udi, $d)",
                "$t", "$type", "$sa", "$va", "$udi", "$d");
            foreach (var e in events)
                Sql.Bind(cmd, Time(e.Time), e.Type, e.SmartAccountId, e.VirtualAccountName, e.Udi, e.DetailsJson).ExecuteNonQuery();
            return events.Count;
        }, ct);

    public Task<IReadOnlyList<StoredEvent>> ListEventsAsync(string? smartAccountId, string? virtualAccountName, string? type, long? since, int limit, CancellationToken ct = default, bool newestFirst = false) =>
        db.ReadAsync<IReadOnlyList<StoredEvent>>(c => Sql.Query(c, null, $"""
            SELECT id, time, type, sa_id, va_name, udi, details_json FROM events
            WHERE ($sa IS NULL OR sa_id = $sa) AND ($va IS NULL OR va_name = $va) AND ($type IS NULL OR type = $type) AND ($since IS NULL OR id > $since)
            ORDER BY id {(newestFirst ? "DESC" : "ASC")} LIMIT $limit
            """, r => new StoredEvent(r.GetInt64(0), ParseTime(r.GetString(1)), r.GetString(2), r.NullableString(3), r.NullableString(4), r.NullableString(5), r.GetString(6)),
            ("$sa", smartAccountId), ("$va", virtualAccountName), ("$type", type), ("$since", since), ("$limit", limit)), ct);

    internal static void Event(SqliteConnection c, SqliteTransaction tx, string time, string type, string? saId, string? vaName, string? udi, object details) =>
        Sql.Execute(c, tx, "INSERT INTO events (time, type, sa_id, va_name, udi, details_json) VALUES ($t, $type, $sa, $va, $udi, $d)",
            ("$t", time), ("$type", type), ("$sa", saId), ("$va", vaName), ("$udi", udi), ("$d", JsonSerializer.Serialize(details)));

    private static (string SaId, string VaName) VaIdentity(SqliteConnection c, SqliteTransaction tx, string vaId) =>
        Sql.Query(c, tx, "SELECT sa_id, name FROM virtual_accounts WHERE id = $id", r => (r.GetString(0), r.GetString(1)), ("$id", vaId)).Single();

    private static StoredProductInstance? FindPi(SqliteConnection c, SqliteTransaction? tx, string udi) =>
        Sql.Query(c, tx, $"SELECT {PiColumns} FROM product_instances WHERE udi = $udi", ReadPi, ("$udi", udi)).FirstOrDefault();

    internal static string Udi(string pid, string serial) => $"PID:{pid},SN:{serial}";

    private static StoredToken ReadToken(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), ParseTime(r.GetString(6)), ParseTime(r.GetString(7)),
        r.GetInt32(8), r.IsDBNull(9) ? null : r.GetInt32(9), r.GetInt32(10), r.GetInt64(11) != 0, r.GetInt64(12) != 0);

    private static StoredProductInstance ReadPi(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.NullableString(6), r.NullableString(7),
        r.NullableString(8), r.IsDBNull(9) ? null : ParseTime(r.GetString(9)), r.NullableString(10), r.IsDBNull(11) ? null : r.GetInt64(11) != 0,
        r.IsDBNull(12) ? null : r.GetInt64(12) != 0, r.NullableString(13), ParseTime(r.GetString(14)), r.IsDBNull(15) ? null : ParseTime(r.GetString(15)));

    private static string Time(DateTimeOffset t) => SqliteJobStore.Time(t);

    private static DateTimeOffset ParseTime(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
