using Microsoft.Data.Sqlite;

namespace CssmSim.Engine.Storage.Sqlite;

/// <summary>
/// Connections to one SQLite database. A file database reads on kept-open connections (one
/// reader each at a time) and runs this process's write transactions one after another on one
/// writer connection; between processes sharing the file, SQLite itself decides (WAL,
/// <c>BEGIN IMMEDIATE</c>, busy timeout), so rules such as token uses hold across processes.
/// Connections keep their compiled statements, never data. An in-memory database lives on one
/// connection that units of work take turns on.
/// </summary>
public sealed partial class SqliteDatabase : IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly string _pragmas;
    private readonly SqliteConnection? _memory;
    private readonly SemaphoreSlim? _gate;
    // One writer at a time from this process (the write queue below), rather than many meeting at
    // SQLite's write lock, whose busy handler sleeps 1 to 100 ms between retries (under 16
    // concurrent writers that sleeping, not the work, set the rate). The gate only orders the
    // queue's drainer against disposal. Other processes still meet at the lock and its busy timeout.
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    // The connection those writers take turns on, kept open with its prepared statements: the
    // write transaction is the part of a request that runs one at a time, so it is kept short.
    private SqliteConnection? _writer;
    // Read connections kept open with their prepared statements, each used by one reader at a time.
    private readonly System.Collections.Concurrent.ConcurrentBag<SqliteConnection> _readers = new();
    private const int MaxIdleReaders = 16;
    private int _idleReaders;
    private volatile bool _disposed;
    // A file database's checkpoints, off the writer (see Checkpointer); null in memory.
    private readonly Checkpointer? _checkpointer;

    private SqliteDatabase(string connectionString, string pragmas, SqliteConnection? memory, CheckpointLimits? checkpoints = null)
    {
        _connectionString = connectionString;
        _pragmas = pragmas;
        _memory = memory;
        if (memory is null) _checkpointer = new Checkpointer(this, checkpoints ?? CheckpointLimits.Default);
        _gate = memory is null ? null : new SemaphoreSlim(1, 1);
        if (memory is not null) Sql.EnableStatementCache(memory);
    }

    /// <param name="path">The database file; its folder is created if missing.</param>
    /// <param name="synchronous"><c>NORMAL</c> (durable across process crashes in WAL) or <c>FULL</c> (across power loss).</param>
    public static SqliteDatabase OpenFile(string path, string synchronous = "NORMAL") => OpenFile(path, synchronous, null);

    internal static SqliteDatabase OpenFile(string path, string synchronous, CheckpointLimits? checkpoints)
    {
        if (synchronous is not ("NORMAL" or "FULL"))
            throw new ArgumentException($"Sqlite:Synchronous must be NORMAL or FULL, not '{synchronous}'");
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var cs = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        var db = new SqliteDatabase(cs, $"PRAGMA synchronous={synchronous}; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;", null, checkpoints);
        using var c = db.OpenPooled();
        using var cmd = c.CreateCommand();
        // Journal mode is a property of the file: set once, kept by every later connection.
        cmd.CommandText = "PRAGMA journal_mode=WAL;";
        cmd.ExecuteNonQuery();
        return db;
    }

    public static SqliteDatabase OpenMemory()
    {
        var c = new SqliteConnection("Data Source=:memory:");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA foreign_keys=ON;";
        cmd.ExecuteNonQuery();
        return new SqliteDatabase("", "", c);
    }

    // Native handles that already ran the pragmas: the pool hands the same handle out again, and
    // the pragmas stay set on it, so running them on every open only cost time.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<SQLitePCL.sqlite3, object> _configured = new();

    private SqliteConnection OpenPooled()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        if (c.Handle is { } handle && _configured.TryGetValue(handle, out _)) return c;
        using var cmd = c.CreateCommand();
        cmd.CommandText = _pragmas;
        cmd.ExecuteNonQuery();
        if (c.Handle is { } h) _configured.AddOrUpdate(h, this);
        return c;
    }

    public async Task<T> ReadAsync<T>(Func<SqliteConnection, T> work, CancellationToken ct = default)
    {
        if (_memory is not null)
        {
            await _gate!.WaitAsync(ct).ConfigureAwait(false);
            try { return work(_memory); }
            finally { _gate.Release(); }
        }
        if (!_readers.TryTake(out var c))
        {
            c = OpenPooled();
            Sql.EnableStatementCache(c);
        }
        else Interlocked.Decrement(ref _idleReaders);
        try { return work(c); }
        finally { KeepReader(c); }
    }

    private void KeepReader(SqliteConnection c)
    {
        if (Interlocked.Increment(ref _idleReaders) <= MaxIdleReaders && !_disposed)
        {
            _readers.Add(c);
            // Disposal may have drained the bag just before the add: then this one is closed here.
            if (!_disposed || !_readers.TryTake(out var late)) return;
            c = late;
        }
        Interlocked.Decrement(ref _idleReaders);
        Sql.DisposeStatementCache(c);
        c.Dispose();
    }

    /// <summary>
    /// Brings the schema up to date (<see cref="Migrations"/>). A new in-memory database gets a copy of
    /// the latest schema (<see cref="Migrations.TryCopyLatestInto"/>); any other runs the migrations it lacks.
    /// </summary>
    public async Task<int> MigrateAsync(CancellationToken ct = default)
    {
        if (_memory is null) return await WriteAsync(Migrations.Apply, ct).ConfigureAwait(false);
        await _gate!.WaitAsync(ct).ConfigureAwait(false);
        try { return Migrations.TryCopyLatestInto(_memory) ? Migrations.Latest : InTransaction(_memory, Migrations.Apply); }
        finally { _gate.Release(); }
    }

    /// <summary>Runs <paramref name="work"/> in a write transaction and commits before returning.</summary>
    public Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work, CancellationToken ct = default) => WriteAsync(work, false, ct);

    /// <summary>
    /// Like <see cref="WriteAsync{T}(Func{SqliteConnection, SqliteTransaction, T}, CancellationToken)"/> with foreign keys
    /// checked once before the commit instead of row by row: a <c>DELETE FROM</c> without a WHERE then
    /// empties a table in one step (SQLite's truncate optimization, which a foreign key turns off)
    /// instead of deleting millions of rows one at a time. Any violation left rolls the whole transaction back.
    /// </summary>
    public Task<T> WriteCheckingForeignKeysAtCommitAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work, CancellationToken ct = default) =>
        WriteAsync(work, true, ct);

    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work, bool foreignKeysAtCommit, CancellationToken ct)
    {
        if (_memory is not null)
        {
            await _gate!.WaitAsync(ct).ConfigureAwait(false);
            try { return InTransaction(_memory, work, foreignKeysAtCommit); }
            finally { _gate.Release(); }
        }
        ct.ThrowIfCancellationRequested();
        var item = new WriteItem<T>(work, foreignKeysAtCommit, ct);
        _writes.Enqueue(item);
        // One thread runs the queued writes back to back, each in its own transaction: handing the
        // write lock from one request to the next through the thread pool left it idle between
        // transactions while the pool's queue drained, and the write transaction is what runs one at a time.
        if (Interlocked.CompareExchange(ref _draining, 1, 0) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static db => db.DrainWrites(), this, preferLocal: false);
        return await item.Task.ConfigureAwait(false);
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<IWriteItem> _writes = new();
    private int _draining;

    private void DrainWrites()
    {
        while (true)
        {
            while (_writes.TryDequeue(out var item))
            {
                _writeGate.Wait();
                try
                {
                    if (_disposed) { item.Fail(new ObjectDisposedException(nameof(SqliteDatabase))); continue; }
                    if (_writer is null)
                    {
                        _writer = OpenPooled();
                        Sql.EnableStatementCache(_writer);
                        Checkpointer.TakeOverFrom(_writer);
                    }
                    item.Run(_writer);
                    _checkpointer!.AfterCommit(_writer);
                }
                finally { _writeGate.Release(); }
            }
            Volatile.Write(ref _draining, 0);
            // A write queued after the last dequeue but before the flag cleared found a drainer running: take it.
            if (_writes.IsEmpty || Interlocked.CompareExchange(ref _draining, 1, 0) != 0) return;
        }
    }

    private interface IWriteItem
    {
        void Run(SqliteConnection c);
        void Fail(Exception e);
    }

    private sealed class WriteItem<T>(Func<SqliteConnection, SqliteTransaction, T> work, bool foreignKeysAtCommit, CancellationToken ct) : IWriteItem
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task<T> Task => _done.Task;

        public void Run(SqliteConnection c)
        {
            if (ct.IsCancellationRequested) { _done.TrySetCanceled(ct); return; }
            try { _done.TrySetResult(InTransaction(c, work, foreignKeysAtCommit)); }
            catch (Exception e) { _done.TrySetException(e); }
        }

        public void Fail(Exception e) => _done.TrySetException(e);
    }

    private static T InTransaction<T>(SqliteConnection c, Func<SqliteConnection, SqliteTransaction, T> work, bool foreignKeysAtCommit = false)
    {
        // PRAGMA foreign_keys does nothing inside a transaction: it is switched around it.
        if (foreignKeysAtCommit) Pragma(c, "PRAGMA foreign_keys=OFF");
        try
        {
            // Not deferred: BEGIN IMMEDIATE takes the write lock up front, so two writers never
            // deadlock upgrading from a read lock.
            using var tx = c.BeginTransaction(deferred: false);
            var result = work(c, tx);
            if (foreignKeysAtCommit)
            {
                using var check = c.CreateCommand();
                check.Transaction = tx;
                check.CommandText = "PRAGMA foreign_key_check";
                using var r = check.ExecuteReader();
                if (r.Read()) throw new InvalidOperationException($"the write would break a foreign key of table {r.GetString(0)}; nothing was changed");
            }
            tx.Commit();
            return result;
        }
        finally
        {
            if (foreignKeysAtCommit) Pragma(c, "PRAGMA foreign_keys=ON");
        }
    }

    private static void Pragma(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public ValueTask DisposeAsync()
    {
        _disposed = true;
        while (_readers.TryTake(out var r))
        {
            Sql.DisposeStatementCache(r);
            r.Dispose();
        }
        if (_memory is not null)
        {
            Sql.DisposeStatementCache(_memory);
            _memory.Dispose();
        }
        // Under the gate: a write still running finishes before its connection closes; writes queued
        // after this fail as disposed (the gate itself stays usable for them, so it is not disposed).
        _writeGate.Wait();
        try
        {
            if (_writer is not null)
            {
                // Back to SQLite's own checkpoints: the pool may hand this handle out again.
                Pragma(_writer, "PRAGMA wal_autocheckpoint=1000");
                Sql.DisposeStatementCache(_writer);
                _writer.Dispose();
                _writer = null;
            }
        }
        finally { _writeGate.Release(); }
        _checkpointer?.Dispose();
        if (_memory is null) SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
        _gate?.Dispose();
        return ValueTask.CompletedTask;
    }
}
