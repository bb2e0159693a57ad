namespace CssmSim.Engine.Storage;

/// <summary>A journal entry to persist: the fields queries filter on, and the whole entry as JSON.</summary>
public sealed record NewJournalEntry(string Surface, string? Operation, string? Udi, string Outcome, string Json);

/// <summary>A persisted journal entry: its id (one sequence for every process on the store) and JSON.</summary>
public sealed record StoredJournalEntry(long Id, string Json);

/// <summary>What a query of the persisted journal asks; null members do not filter, text compares case-insensitively.</summary>
public sealed record StoredJournalFilter(string? Surface = null, string? Operation = null, string? Udi = null, string? Outcome = null, long? Since = null);

/// <summary>
/// The request journal as every process on one store writes it (control.md §Journal and events,
/// <c>Journal:Persist</c>): replicas behind one address each append their requests, and any of
/// them answers for all.
/// </summary>
public interface IJournalStore
{
    /// <summary>Appends entries in one transaction, then drops the oldest beyond the newest <paramref name="keep"/>.</summary>
    Task AppendAsync(IReadOnlyList<NewJournalEntry> entries, long keep, CancellationToken ct = default);
    /// <summary>Matching entries, oldest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<StoredJournalEntry>> QueryAsync(StoredJournalFilter filter, int limit, CancellationToken ct = default);
    Task<long> CountAsync(StoredJournalFilter filter, CancellationToken ct = default);
    Task ClearAsync(CancellationToken ct = default);
}

/// <summary>The SQL both engines share for the journal's filters (ids and lower-cased text are portable).</summary>
internal static class JournalSql
{
    // Typed parameters: PostgreSQL cannot infer the type of a NULL tested with IS NULL.
    public const string Where = """
        (CAST($surface AS TEXT) IS NULL OR lower(surface) = CAST($surface AS TEXT))
        AND (CAST($operation AS TEXT) IS NULL OR lower(operation) = CAST($operation AS TEXT))
        AND (CAST($udi AS TEXT) IS NULL OR lower(udi) = CAST($udi AS TEXT))
        AND (CAST($outcome AS TEXT) IS NULL OR lower(outcome) = CAST($outcome AS TEXT))
        AND (CAST($since AS BIGINT) IS NULL OR id > CAST($since AS BIGINT))
        """;

    public static (string, object?)[] Args(StoredJournalFilter f) =>
    [
        ("$surface", f.Surface?.ToLowerInvariant()), ("$operation", f.Operation?.ToLowerInvariant()), ("$udi", f.Udi?.ToLowerInvariant()),
        ("$outcome", f.Outcome?.ToLowerInvariant()), ("$since", f.Since),
    ];
}
