using System.Globalization;
using Npgsql;

namespace CssmSim.Engine.Storage.Postgres;

internal sealed class PostgresFaultRuleStore(PostgresDatabase db) : IFaultRuleStore
{
    public Task<IReadOnlyList<StoredFaultRule>> ListAsync(CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<StoredFaultRule>>(c => Sql.Query(c, null, "SELECT id, seq, builtin, rule_json FROM fault_rules ORDER BY seq, id",
            r => new StoredFaultRule(r.GetString(0), r.GetInt64(1), r.GetInt64(2) != 0, r.GetString(3))), ct);

    public Task SaveAsync(StoredFaultRule rule, bool restartCounts = false, CancellationToken ct = default) => db.WriteAsync((c, tx) =>
    {
        Sql.Execute(c, tx, """
            INSERT INTO fault_rules (id, seq, builtin, rule_json) VALUES ($id, $seq, $b, $json)
            ON CONFLICT (id) DO UPDATE SET seq = $seq, builtin = $b, rule_json = $json
            """, ("$id", rule.Id), ("$seq", rule.Seq), ("$b", rule.Builtin ? 1 : 0), ("$json", rule.Json));
        if (restartCounts) Sql.Execute(c, tx, "DELETE FROM fault_counters WHERE rule_id = $id", ("$id", rule.Id));
        return 0;
    }, ct);

    public Task<bool> DeleteAsync(string id, CancellationToken ct = default) => db.WriteAsync((c, tx) =>
    {
        Sql.Execute(c, tx, "DELETE FROM fault_counters WHERE rule_id = $id", ("$id", id));
        return Sql.Execute(c, tx, "DELETE FROM fault_rules WHERE id = $id", ("$id", id)) > 0;
    }, ct);

    public Task DeleteUserRulesAsync(CancellationToken ct = default) => db.WriteAsync((c, tx) =>
    {
        Sql.Execute(c, tx, "DELETE FROM fault_counters WHERE rule_id NOT IN (SELECT id FROM fault_rules WHERE builtin = 1)");
        return Sql.Execute(c, tx, "DELETE FROM fault_rules WHERE builtin = 0");
    }, ct);

    // One statement each: concurrent requests on every process get distinct numbers, and a rule
    // with `times` fires exactly that often however many processes race for the last firing.
    public Task<FaultRuleCounts> CountCandidateAsync(string id, CancellationToken ct = default) => db.WriteAsync((c, tx) =>
        Sql.Query(c, tx, """
            INSERT INTO fault_counters AS f (rule_id, candidates, applied) VALUES ($id, 1, 0)
            ON CONFLICT (rule_id) DO UPDATE SET candidates = f.candidates + 1 RETURNING candidates, applied
            """, r => new FaultRuleCounts(r.GetInt64(0), r.GetInt64(1)), ("$id", id)).Single(), ct);

    public Task<long?> CountAppliedAsync(string id, long? times, CancellationToken ct = default) => db.WriteAsync((c, tx) =>
        Sql.Query(c, tx, "UPDATE fault_counters SET applied = applied + 1 WHERE rule_id = $id AND (CAST($times AS BIGINT) IS NULL OR applied < CAST($times AS BIGINT)) RETURNING applied",
            r => (long?)r.GetInt64(0), ("$id", id), ("$times", times)).FirstOrDefault(), ct);

    public Task<IReadOnlyDictionary<string, FaultRuleCounts>> ReadCountsAsync(CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyDictionary<string, FaultRuleCounts>>(c => Sql.Query(c, null, "SELECT rule_id, candidates, applied FROM fault_counters",
            r => (Id: r.GetString(0), Counts: new FaultRuleCounts(r.GetInt64(1), r.GetInt64(2)))).ToDictionary(x => x.Id, x => x.Counts), ct);
}

internal sealed class PostgresJournalStore(PostgresDatabase db) : IJournalStore
{
    public Task AppendAsync(IReadOnlyList<NewJournalEntry> entries, long keep, CancellationToken ct = default) =>
        entries.Count == 0 ? Task.CompletedTask : db.WriteAsync((c, tx) =>
        {
            // One statement for the batch (arrays unnested server-side): a round trip per entry would cost more than the entries.
            Sql.Execute(c, tx, """
                INSERT INTO journal (surface, operation, udi, outcome, entry_json)
                SELECT * FROM unnest(CAST($s AS TEXT[]), CAST($o AS TEXT[]), CAST($u AS TEXT[]), CAST($out AS TEXT[]), CAST($j AS TEXT[]))
                """, ("$s", entries.Select(e => e.Surface).ToArray()), ("$o", entries.Select(e => e.Operation).ToArray()),
                ("$u", entries.Select(e => e.Udi).ToArray()), ("$out", entries.Select(e => e.Outcome).ToArray()), ("$j", entries.Select(e => e.Json).ToArray()));
            // Ids only grow, so the newest `keep` are those above the highest minus keep (fewer where ids have gaps).
            return Sql.Execute(c, tx, "DELETE FROM journal WHERE id <= (SELECT MAX(id) FROM journal) - $keep", ("$keep", keep));
        }, ct);

    public Task<IReadOnlyList<StoredJournalEntry>> QueryAsync(StoredJournalFilter filter, int limit, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<StoredJournalEntry>>(c => Sql.Query(c, null, $"SELECT id, entry_json FROM journal WHERE {JournalSql.Where} ORDER BY id LIMIT $limit",
            r => new StoredJournalEntry(r.GetInt64(0), r.GetString(1)), [.. JournalSql.Args(filter), ("$limit", (long)limit)]), ct);

    public Task<long> CountAsync(StoredJournalFilter filter, CancellationToken ct = default) =>
        db.ReadAsync(c => Convert.ToInt64(Sql.Scalar(c, null, $"SELECT COUNT(*) FROM journal WHERE {JournalSql.Where}", JournalSql.Args(filter)),
            System.Globalization.CultureInfo.InvariantCulture), ct);

    public Task ClearAsync(CancellationToken ct = default) => db.WriteAsync((c, tx) => Sql.Execute(c, tx, "DELETE FROM journal"), ct);
}

internal sealed class PostgresJobStore(PostgresDatabase db) : IJobStore
{
    private const string JobColumns = "poll_id, action, udi, sa_id, correlation_id, submitted_at, polls, complete_after_polls, complete_at, never_complete, fail_code, fail_message, result_json, client_id";

    public Task<IReadOnlyList<StoredPollTransition>> ListTransitionsAsync(CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<StoredPollTransition>>(c => Sql.Query(c, null,
            "SELECT action, smart_account, progression, times, duration, poll_interval FROM poll_transitions ORDER BY action, smart_account",
            r => new StoredPollTransition(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetInt64(3),
                r.NullableString(4), r.IsDBNull(5) ? null : r.GetInt64(5))), ct);

    public Task SaveTransitionAsync(StoredPollTransition t, CancellationToken ct = default) => db.WriteAsync((c, tx) => Sql.Execute(c, tx, """
        INSERT INTO poll_transitions (action, smart_account, progression, times, duration, poll_interval) VALUES ($a, $sa, $p, $t, $d, $i)
        ON CONFLICT (action, smart_account) DO UPDATE SET progression = $p, times = $t, duration = $d, poll_interval = $i
        """, ("$a", t.Action), ("$sa", t.SmartAccount), ("$p", t.Progression), ("$t", t.Times), ("$d", t.Duration), ("$i", t.PollInterval)), ct);

    public Task ClearTransitionsAsync(CancellationToken ct = default) => db.WriteAsync((c, tx) => Sql.Execute(c, tx, "DELETE FROM poll_transitions"), ct);

    // ON CONFLICT rather than catching the violation: a failed statement would abort the PostgreSQL transaction.
    public Task<StoredJob> InsertNextJobAsync(string counterKey, Func<long, StoredJob> make, CancellationToken ct = default) => db.WriteAsync((c, tx) =>
    {
        while (true)
        {
            var j = make(PostgresStateStore.NextCounter(c, tx, counterKey));
            if (Sql.Execute(c, tx, $"INSERT INTO jobs ({JobColumns}) VALUES ($id, $a, $u, $sa, $corr, $at, $polls, $after, $cat, $never, $fc, $fm, $res, $client) ON CONFLICT (poll_id) DO NOTHING",
                ("$id", j.PollId), ("$a", j.Action), ("$u", j.Udi), ("$sa", j.SmartAccountId), ("$corr", j.CorrelationId), ("$at", Time(j.SubmittedAt)),
                ("$polls", j.Polls), ("$after", j.CompleteAfterPolls), ("$cat", j.CompleteAt is { } t ? Time(t) : null), ("$never", j.NeverComplete ? 1 : 0),
                ("$fc", j.FailCode), ("$fm", j.FailMessage), ("$res", j.ResultJson), ("$client", j.ClientId)) == 1) return j;
        }
    }, ct);

    // One statement, so concurrent polls of one job each count exactly once.
    public Task<StoredJob?> RecordPollAsync(string pollId, CancellationToken ct = default, PollContact? contact = null) => db.WriteAsync((c, tx) =>
    {
        var job = Sql.Query(c, tx, $"UPDATE jobs SET polls = polls + 1 WHERE poll_id = $id RETURNING {JobColumns}", Read, ("$id", pollId)).FirstOrDefault();
        if (job is not null && contact is not null && contact.When(job))
            PostgresInventoryStore.Touch(c, tx, contact.Udi, contact.At);
        return job;
    }, ct);

    public Task<StoredJob?> FindJobAsync(string pollId, CancellationToken ct = default) => db.ReadAsync(c =>
        Sql.Query(c, null, $"SELECT {JobColumns} FROM jobs WHERE poll_id = $id", Read, ("$id", pollId)).FirstOrDefault(), ct);

    private static StoredJob Read(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.NullableString(3), r.GetString(4), ParseTime(r.GetString(5)), r.GetInt64(6),
        r.IsDBNull(7) ? null : r.GetInt64(7), r.IsDBNull(8) ? null : ParseTime(r.GetString(8)), r.GetInt64(9) != 0,
        r.NullableString(10), r.NullableString(11), r.NullableString(12), r.NullableString(13));

    internal static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
