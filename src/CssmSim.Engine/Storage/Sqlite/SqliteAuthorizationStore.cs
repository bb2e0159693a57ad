using System.Globalization;
using CssmSim.Engine.Licensing;
using Microsoft.Data.Sqlite;

namespace CssmSim.Engine.Storage.Sqlite;

internal sealed class SqliteAuthorizationStore(SqliteDatabase db) : IAuthorizationStore
{
    private const string Columns = "id, kind, udi, va_id, state, code_xml, confirmation_code, issued_at, request_code";

    public Task<AuthorizationIssueResult> IssueAsync(AuthorizationIssue issue, CancellationToken ct = default) => db.WriteAsync((c, tx) => Issue(c, tx, issue), ct);

    public Task<AuthorizationSetResult> IssueAllAsync(IReadOnlyList<AuthorizationIssue> issues, CancellationToken ct = default) => db.WriteAsync((c, tx) =>
    {
        // A savepoint, since the transaction commits whatever the work returns: a refusal undoes the earlier members' writes.
        const string set = "authorization_set";
        tx.Save(set);
        var issued = new List<StoredAuthorization>(issues.Count);
        for (var i = 0; i < issues.Count; i++)
        {
            var result = Issue(c, tx, issues[i]);
            if (result.Authorization is null)
            {
                tx.Rollback(set);
                return new AuthorizationSetResult([], i, result.ShortTag, result.Available);
            }
            issued.Add(result.Authorization);
        }
        tx.Release(set);
        return new AuthorizationSetResult(issued, null, null, 0);
    }, ct);

    private static AuthorizationIssueResult Issue(SqliteConnection c, SqliteTransaction tx, AuthorizationIssue issue)
    {
        var now = SqliteJobStore.Time(issue.Now);
        var tags = issue.Entitlements.Select(e => e.Tag).ToHashSet(StringComparer.Ordinal);
        var replaced = Active(c, tx, issue.Udi).Where(a => a.Kind == issue.Replaces
            && (issue.Replaces != "SLAC" || a.Entitlements.Any(e => tags.Contains(e.Tag)))).Select(a => a.Id).ToList();
        // With the change applied, no tag may be consumed beyond its purchased quantity. Checked
        // before any write, so a refusal leaves the store as it was.
        foreach (var e in issue.Entitlements)
        {
            var quantity = (long?)Sql.Scalar(c, tx, "SELECT quantity FROM licenses WHERE va_id = $va AND tag = $tag", ("$va", issue.VirtualAccountId), ("$tag", e.Tag)) ?? 0;
            if (Consumption(c, tx, issue.VirtualAccountId, e.Tag, replaced, issue.Udi, e.Count) > quantity)
                return new AuthorizationIssueResult(null, e.Tag, quantity - Consumption(c, tx, issue.VirtualAccountId, e.Tag, [], null, 0));
        }
        foreach (var id in replaced)
            Sql.Execute(c, tx, "UPDATE authorizations SET state = 'RETURNED', returned_at = $at WHERE id = $id", ("$at", now), ("$id", id));
        var (code, confirmation) = issue.BuildCode(issue.Entitlements);
        Sql.Execute(c, tx, $"INSERT INTO authorizations ({Columns}) VALUES ($id, $kind, $udi, $va, $state, $code, $conf, $at, $req)",
            ("$id", issue.Id), ("$kind", issue.Kind), ("$udi", issue.Udi), ("$va", issue.VirtualAccountId), ("$state", issue.InitialState),
            ("$code", code), ("$conf", confirmation), ("$at", now), ("$req", issue.RequestCode));
        foreach (var e in issue.Entitlements)
            Sql.Execute(c, tx, "INSERT INTO authorization_entitlements (authorization_id, tag, count) VALUES ($id, $tag, $n)", ("$id", issue.Id), ("$tag", e.Tag), ("$n", e.Count));
        return new AuthorizationIssueResult(Read(c, tx, issue.Id), null, 0);
    }

    /// <summary>
    /// Σ over product instances in the VA of max(latest reported in-use, authorized), for one tag;
    /// <paramref name="extraUdi"/> gets <paramref name="extraCount"/> more authorized. Every instance's
    /// report is summed already (va_tag_usage, migration 12); only the authorized instances are read
    /// one by one, for what their authorization adds beyond their report.
    /// </summary>
    private static long Consumption(SqliteConnection c, SqliteTransaction? tx, string vaId, string tag, IReadOnlyCollection<string> excluded, string? extraUdi, long extraCount)
    {
        var reported = Convert.ToInt64(Sql.Scalar(c, tx, "SELECT COALESCE(SUM(in_use_counted), 0) FROM va_tag_usage WHERE va_id = $va AND tag = $tag",
            ("$va", vaId), ("$tag", tag)), CultureInfo.InvariantCulture);
        var perUdi = new Dictionary<string, (long InUse, long Authorized)>(StringComparer.Ordinal);
        foreach (var (udi, id, count, inUse) in Sql.Query(c, tx, """
            SELECT a.udi, a.id, e.count, COALESCE(l.in_use, 0) FROM authorizations a JOIN authorization_entitlements e ON e.authorization_id = a.id
            LEFT JOIN latest_usage l ON l.udi = a.udi AND l.tag = e.tag AND l.va_id = $va
            WHERE a.va_id = $va AND e.tag = $tag AND a.state <> 'RETURNED'
            """, r => (r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3)), ("$va", vaId), ("$tag", tag)))
        {
            if (excluded.Contains(id)) continue;
            var current = perUdi.GetValueOrDefault(udi);
            perUdi[udi] = (inUse, current.Authorized + count);
        }
        if (extraUdi is not null)
        {
            var inUse = perUdi.TryGetValue(extraUdi, out var known) ? known.InUse
                : (long?)Sql.Scalar(c, tx, "SELECT in_use FROM latest_usage WHERE udi = $udi AND tag = $tag AND va_id = $va", ("$udi", extraUdi), ("$tag", tag), ("$va", vaId)) ?? 0;
            perUdi[extraUdi] = (inUse, known.Authorized + extraCount);
        }
        // The same rule the licenses API reports with: consumption = Σ max(reported, authorized); the
        // sum above counted each authorized instance's report, so only what its authorization adds is added.
        return reported + perUdi.Values.Sum(v =>
            LicenseAccounting.Of(new InstanceUsage(v.InUse, v.Authorized)).Consumption - LicenseAccounting.Of(new InstanceUsage(v.InUse)).Consumption);
    }

    public Task<IReadOnlyList<StoredAuthorization>> ListActiveAsync(string udi, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<StoredAuthorization>>(c => Active(c, null, udi), ct);

    public Task<StoredAuthorization?> FindAsync(string id, CancellationToken ct = default) => db.ReadAsync(c => Read(c, null, id), ct);

    public Task<int> ReturnAsync(IReadOnlyCollection<string> ids, DateTimeOffset at, CancellationToken ct = default) => db.WriteAsync((c, tx) =>
        ids.Sum(id => Sql.Execute(c, tx, "UPDATE authorizations SET state = 'RETURNED', returned_at = $at WHERE id = $id AND state <> 'RETURNED'",
            ("$at", SqliteJobStore.Time(at)), ("$id", id))), ct);

    public Task<StoredAuthorization?> ConfirmAsync(string udi, string confirmationCode, DateTimeOffset at, CancellationToken ct = default) => db.WriteAsync((c, tx) =>
    {
        var match = Active(c, tx, udi).FirstOrDefault(a => a.State == "IN_TRANSITION" && a.ConfirmationCode == confirmationCode);
        if (match is null) return null;
        Sql.Execute(c, tx, "UPDATE authorizations SET state = 'CONFIRMED', confirmed_at = $at WHERE id = $id", ("$at", SqliteJobStore.Time(at)), ("$id", match.Id));
        return match with { State = "CONFIRMED" };
    }, ct);

    // CROSS JOIN keeps SQLite's join order: from the authorizations (few) to their instances, never
    // every instance of a 300,000-instance Virtual Account probed for an authorization.
    public Task<IReadOnlyList<(string Udi, string Tag, long Count, long InTransition)>> AuthorizedAsync(string virtualAccountId, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<(string, string, long, long)>>(c => Sql.Query(c, null, """
            SELECT a.udi, e.tag, SUM(e.count), SUM(CASE WHEN a.state = 'IN_TRANSITION' THEN e.count ELSE 0 END)
            FROM authorizations a CROSS JOIN product_instances p CROSS JOIN authorization_entitlements e
            WHERE p.udi = a.udi AND e.authorization_id = a.id AND p.va_id = $va AND a.state <> 'RETURNED' GROUP BY a.udi, e.tag ORDER BY a.udi, e.tag
            """, r => (r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3)), ("$va", virtualAccountId)), ct);

    private static List<StoredAuthorization> Active(SqliteConnection c, SqliteTransaction? tx, string udi) =>
        Sql.Query(c, tx, "SELECT id FROM authorizations WHERE udi = $udi AND state <> 'RETURNED' ORDER BY issued_at, id", r => r.GetString(0), ("$udi", udi))
            .Select(id => Read(c, tx, id)!).ToList();

    private static StoredAuthorization? Read(SqliteConnection c, SqliteTransaction? tx, string id)
    {
        var entitlements = Sql.Query(c, tx, "SELECT tag, count FROM authorization_entitlements WHERE authorization_id = $id ORDER BY tag",
            r => new AuthorizedCount(r.GetString(0), r.GetInt64(1)), ("$id", id));
        return Sql.Query(c, tx, $"SELECT {Columns} FROM authorizations WHERE id = $id", r => new StoredAuthorization(
            r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6),
            DateTimeOffset.Parse(r.GetString(7), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal), entitlements, r.NullableString(8)),
            ("$id", id)).FirstOrDefault();
    }
}
