using System.Data;
using Npgsql;

namespace CssmSim.Engine.Storage.Postgres;

/// <summary>
/// Connections to one PostgreSQL database (Npgsql's pool). Each unit of work takes a pooled
/// connection; a write runs in one READ COMMITTED transaction and commits before returning. What
/// SQLite gets from running one writer at a time (a check and the change it allows seeing one
/// state) is had here from the statements themselves (conditional updates, <c>ON CONFLICT</c>)
/// or, where a rule spans several statements, from transaction-scoped advisory locks on the keys
/// the rule is about (<see cref="Lock"/>), so the rules hold across replicas on other hosts too.
/// A transaction the server aborts as a deadlock or serialization failure is run again.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    private readonly NpgsqlDataSource _source;
    private const int Attempts = 8;

    private PostgresDatabase(NpgsqlDataSource source, string database)
    {
        _source = source;
        Database = database;
    }

    /// <summary>The database's name as the connection string gives it.</summary>
    public string Database { get; }

    /// <param name="connectionString">An Npgsql connection string (see <see cref="StoreLocation.Parse"/>).</param>
    public static PostgresDatabase Open(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        // Defaults a user's connection string may override: statements prepared after their second
        // use, a pool small enough that three replicas stay under PostgreSQL's default 100 connections.
        if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase)) b.MaxAutoPrepare = 256;
        if (!connectionString.Contains("Maximum Pool Size", StringComparison.OrdinalIgnoreCase)
            && !connectionString.Contains("MaxPoolSize", StringComparison.OrdinalIgnoreCase)) b.MaxPoolSize = 24;
        if (string.IsNullOrEmpty(b.ApplicationName)) b.ApplicationName = "cssmsim";
        if (!connectionString.Contains("Timeout", StringComparison.OrdinalIgnoreCase)) b.Timeout = 30;
        var source = new NpgsqlDataSourceBuilder(b.ConnectionString).Build();
        // A unit of work runs its statements synchronously on a pool thread (the store's shape, shared
        // with SQLite), so a thread waits on each busy connection, row or advisory lock. Enough threads
        // for every pooled connection from the start, or a burst waits on the pool's slow thread injection.
        ThreadPool.GetMinThreads(out var workers, out var io);
        if (workers < b.MaxPoolSize + 16) ThreadPool.SetMinThreads(b.MaxPoolSize + 16, io);
        return new PostgresDatabase(source, b.Database ?? b.Username ?? "postgres");
    }

    public async Task<T> ReadAsync<T>(Func<NpgsqlConnection, T> work, CancellationToken ct = default)
    {
        await using var c = await _source.OpenConnectionAsync(ct).ConfigureAwait(false);
        return work(c);
    }

    /// <summary>Runs <paramref name="work"/> in a read-only REPEATABLE READ transaction: every statement sees one state.</summary>
    public async Task<T> ReadConsistentAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, T> work, CancellationToken ct = default)
    {
        await using var c = await _source.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
        var result = work(c, tx);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return result;
    }

    /// <summary>Runs <paramref name="work"/> in a write transaction and commits before returning.</summary>
    public async Task<T> WriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, T> work, CancellationToken ct = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var c = await _source.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct).ConfigureAwait(false);
            try
            {
                var result = work(c, tx);
                await tx.CommitAsync(ct).ConfigureAwait(false);
                return result;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < Attempts)
            {
                // Nothing of the attempt stays: the transaction is rolled back when disposed, and the work runs again.
            }
        }
    }

    /// <summary>
    /// Takes transaction-scoped advisory locks on <paramref name="keys"/> (in one order, so two
    /// transactions never wait on each other crosswise): concurrent transactions naming a same key
    /// run one after the other until commit, on this replica or any other.
    /// </summary>
    internal static void Lock(NpgsqlConnection c, NpgsqlTransaction tx, params IEnumerable<string> keys)
    {
        foreach (var key in keys.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            Sql.Execute(c, tx, "SELECT pg_advisory_xact_lock(hashtextextended($k, 0))", ("$k", key));
    }

    /// <summary>The server's version and the database, for the start banner.</summary>
    public Task<string> DescribeAsync(CancellationToken ct = default) => ReadAsync(c =>
    {
        var version = Sql.Scalar(c, null, "SHOW server_version") as string ?? c.PostgreSqlVersion.ToString();
        var db = Sql.Scalar(c, null, "SELECT current_database()") as string ?? Database;
        return $"PostgreSQL {version.Split(' ')[0]}, database {db}";
    }, ct);

    public ValueTask DisposeAsync() => _source.DisposeAsync();
}
