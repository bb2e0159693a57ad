using Microsoft.Data.Sqlite;

namespace CssmSim.Engine.Storage.Sqlite;

/// <summary>Small helpers over ADO.NET: parameters by name, nulls as DBNull.</summary>
internal static class Sql
{
    public static SqliteCommand Command(SqliteConnection c, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }

    /// <summary>A command prepared once with positional parameters, for a statement run many times in one transaction.</summary>
    public static SqliteCommand Prepare(SqliteConnection c, SqliteTransaction tx, string sql, params string[] names)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var n in names) cmd.Parameters.Add(new SqliteParameter { ParameterName = n });
        cmd.Prepare();
        return cmd;
    }

    /// <summary>Sets a <see cref="Prepare"/>d command's parameters in order (null as SQL NULL).</summary>
    public static SqliteCommand Bind(SqliteCommand cmd, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++) cmd.Parameters[i].Value = values[i] ?? DBNull.Value;
        return cmd;
    }

    public static int Execute(SqliteConnection c, SqliteTransaction? tx, string sql, params (string, object?)[] args)
    {
        var cmd = Rent(c, tx, sql, args);
        try { return cmd.ExecuteNonQuery(); }
        finally { Return(c, cmd); }
    }

    public static object? Scalar(SqliteConnection c, SqliteTransaction? tx, string sql, params (string, object?)[] args)
    {
        var cmd = Rent(c, tx, sql, args);
        try
        {
            var v = cmd.ExecuteScalar();
            return v is DBNull ? null : v;
        }
        finally { Return(c, cmd); }
    }

    public static List<T> Query<T>(SqliteConnection c, SqliteTransaction? tx, string sql, Func<SqliteDataReader, T> map, params (string, object?)[] args)
    {
        var cmd = Rent(c, tx, sql, args);
        try
        {
            using var r = cmd.ExecuteReader();
            var list = new List<T>();
            while (r.Read()) list.Add(map(r));
            return list;
        }
        finally { Return(c, cmd); }
    }

    // Prepared statements kept per long-lived connection (the process's writer, the in-memory
    // database), which one unit of work uses at a time. Microsoft.Data.Sqlite prepares a new
    // command's SQL on its first execution; a command kept with its text keeps its statements.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SqliteConnection, StatementCache> Caches = new();
    private const int MaxCachedStatements = 256;

    private sealed class StatementCache
    {
        public readonly Dictionary<string, SqliteCommand> Idle = new(StringComparer.Ordinal);
    }

    /// <summary>Keeps prepared commands for <paramref name="c"/> until <see cref="DisposeStatementCache"/>; only for a connection one caller uses at a time.</summary>
    public static void EnableStatementCache(SqliteConnection c) => Caches.AddOrUpdate(c, new StatementCache());

    public static void DisposeStatementCache(SqliteConnection c)
    {
        if (!Caches.TryGetValue(c, out var cache)) return;
        foreach (var cmd in cache.Idle.Values) cmd.Dispose();
        cache.Idle.Clear();
        Caches.Remove(c);
    }

    private static SqliteCommand Rent(SqliteConnection c, SqliteTransaction? tx, string sql, (string Name, object? Value)[] args)
    {
        // Taken out while in use, so a nested statement with the same text gets its own command.
        if (Caches.TryGetValue(c, out var cache) && cache.Idle.Remove(sql, out var cmd))
        {
            cmd.Transaction = tx;
            cmd.Parameters.Clear();
            foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
            return cmd;
        }
        return Command(c, tx, sql, args);
    }

    private static void Return(SqliteConnection c, SqliteCommand cmd)
    {
        if (Caches.TryGetValue(c, out var cache) && cache.Idle.Count < MaxCachedStatements && cache.Idle.TryAdd(cmd.CommandText, cmd))
        {
            cmd.Transaction = null;
            return;
        }
        cmd.Dispose();
    }

    public static string? NullableString(this SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    public static bool IsConstraintViolation(this SqliteException e) => e.SqliteErrorCode == 19; // SQLITE_CONSTRAINT
}
