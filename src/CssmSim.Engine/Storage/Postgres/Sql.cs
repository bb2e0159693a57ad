using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Npgsql;

namespace CssmSim.Engine.Storage.Postgres;

/// <summary>
/// Small helpers over ADO.NET, shaped like the SQLite store's so both stores read alike: the SQL
/// names parameters <c>$name</c> (SQLite's style), turned here into Npgsql's <c>@name</c> once per
/// statement text. Nulls go as DBNull; the server infers their type from where they are used.
/// Statements are prepared by Npgsql's automatic preparation (see <see cref="PostgresDatabase"/>).
/// </summary>
internal static partial class Sql
{
    private static readonly ConcurrentDictionary<string, string> Translated = new(StringComparer.Ordinal);

    [GeneratedRegex(@"\$([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex DollarName();

    /// <summary>The statement with <c>$name</c> parameters written as <c>@name</c>.</summary>
    public static string Translate(string sql) => Translated.GetOrAdd(sql, static s => DollarName().Replace(s, "@$1"));

    private static string ParameterName(string name) => name.StartsWith('$') ? name[1..] : name;

    public static NpgsqlCommand Command(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = new NpgsqlCommand(Translate(sql), c, tx);
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(ParameterName(name), value ?? DBNull.Value);
        return cmd;
    }

    /// <summary>A command with positional parameters, for a statement run many times in one transaction.</summary>
    public static NpgsqlCommand Prepare(NpgsqlConnection c, NpgsqlTransaction tx, string sql, params string[] names)
    {
        var cmd = new NpgsqlCommand(Translate(sql), c, tx);
        foreach (var n in names) cmd.Parameters.Add(new NpgsqlParameter { ParameterName = ParameterName(n) });
        return cmd;
    }

    /// <summary>Sets a <see cref="Prepare"/>d command's parameters in order (null as SQL NULL).</summary>
    public static NpgsqlCommand Bind(NpgsqlCommand cmd, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            // A parameter's type follows its value: a reused command must not keep the type an earlier null left.
            var p = cmd.Parameters[i];
            p.ResetDbType();
            p.Value = values[i] ?? DBNull.Value;
        }
        return cmd;
    }

    public static int Execute(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params (string, object?)[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        return cmd.ExecuteNonQuery();
    }

    public static object? Scalar(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params (string, object?)[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        var v = cmd.ExecuteScalar();
        return v is DBNull ? null : v;
    }

    public static List<T> Query<T>(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, Func<NpgsqlDataReader, T> map, params (string, object?)[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        using var r = cmd.ExecuteReader();
        var list = new List<T>();
        while (r.Read()) list.Add(map(r));
        return list;
    }

    public static string? NullableString(this NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    /// <summary>Unique, foreign-key, not-null or check violation (SQLSTATE class 23).</summary>
    public static bool IsConstraintViolation(this PostgresException e) => e.SqlState.StartsWith("23", StringComparison.Ordinal);
}
