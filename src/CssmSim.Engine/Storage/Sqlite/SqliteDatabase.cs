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
public sealed class SqliteDatabase : IAsyncDisposable
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

    private SqliteDatabase(string connectionString, string pragmas, SqliteConnection? memory)
    {
        _connectionString = connectionString;
        _pragmas = pragmas;
        _memory = memory;
        _gate = memory is null ? null : new SemaphoreSlim(1, 1);
        if (memory is not null) Sql.EnableStatementCache(memory);
    }

    /// <param name="path">The database file; its folder is created if missing.</param>
    /// <param name="synchronous"><c>NORMAL</c> (durable across process crashes in WAL) or <c>FULL</c> (across power loss).</param>
    public static SqliteDatabase OpenFile(string path, string synchronous = "NORMAL")
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
        var db = new SqliteDatabase(cs, $"PRAGMA synchronous={synchronous}; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;", null);
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
        // One thread runs the queued writes back to back: handing the write lock from one request to
        // the next through the thread pool left it idle between transactions while the pool's queue
        // drained, and the write transaction is what runs one at a time.
        if (Interlocked.CompareExchange(ref _draining, 1, 0) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static db => db.DrainWrites(), this, preferLocal: false);
        return await item.Task.ConfigureAwait(false);
    }

    /// <summary>The most queued writes one transaction commits together.</summary>
    private const int MaxGroup = 32;

    private readonly System.Collections.Concurrent.ConcurrentQueue<IWriteItem> _writes = new();
    private readonly List<IWriteItem> _group = new(MaxGroup);
    private int _draining;

    private void DrainWrites()
    {
        while (true)
        {
            while (!_writes.IsEmpty)
            {
                _writeGate.Wait();
                try
                {
                    if (_disposed)
                    {
                        while (_writes.TryDequeue(out var late)) late.Fail(new ObjectDisposedException(nameof(SqliteDatabase)));
                        continue;
                    }
                    if (_writer is null)
                    {
                        _writer = OpenPooled();
                        Sql.EnableStatementCache(_writer);
                    }
                    RunGroup(_writer);
                }
                finally { _writeGate.Release(); }
            }
            Volatile.Write(ref _draining, 0);
            // A write queued after the last dequeue but before the flag cleared found a drainer running: take it.
            if (_writes.IsEmpty || Interlocked.CompareExchange(ref _draining, 1, 0) != 0) return;
        }
    }

    /// <summary>
    /// Group commit: the writes waiting now (up to <see cref="MaxGroup"/>) run in one transaction,
    /// each inside a savepoint of its own, so one that throws is undone alone while the others commit.
    /// A transaction's fixed cost (the WAL frames of every page it touched, shared index and sum pages
    /// most of all) is paid once for the group instead of once per request. Each caller still gets
    /// its answer only after the commit, and a crash keeps or loses every write of the group whole.
    /// A write that checks foreign keys at commit runs alone (the pragma cannot change inside a transaction).
    /// </summary>
    private void RunGroup(SqliteConnection c)
    {
        _group.Clear();
        while (_group.Count < MaxGroup && _writes.TryPeek(out var next))
        {
            if (next.Alone && _group.Count > 0) break;
            _writes.TryDequeue(out next);
            _group.Add(next!);
            if (next!.Alone) break;
        }
        if (_group.Count == 1)
        {
            _group[0].Run(c);
            return;
        }
        const string savepoint = "cssmsim_group_member";
        var outcomes = new Action?[_group.Count];
        try
        {
            using var tx = c.BeginTransaction(deferred: false);
            for (var i = 0; i < _group.Count; i++)
            {
                var item = _group[i];
                if (item.Cancelled) { outcomes[i] = item.Cancel; continue; }
                tx.Save(savepoint);
                try
                {
                    outcomes[i] = item.Execute(c, tx);
                }
                catch (Exception e) when (e is not SqliteException { SqliteErrorCode: 10 or 13 })
                {
                    // Undone alone; an I/O error or a full disk (codes 10, 13) ends the whole group below.
                    tx.Rollback(savepoint);
                    outcomes[i] = () => item.Fail(e);
                }
                tx.Release(savepoint);
            }
            tx.Commit();
        }
        catch (Exception)
        {
            // The group's transaction itself failed (and rolled back): each write runs again alone, as it would have without grouping.
            foreach (var item in _group) item.Run(c);
            return;
        }
        foreach (var outcome in outcomes) outcome!();
    }

    private interface IWriteItem
    {
        /// <summary>True when it must be its own transaction (foreign keys checked at commit).</summary>
        bool Alone { get; }
        bool Cancelled { get; }
        /// <summary>Its own transaction, committed, then the caller answered.</summary>
        void Run(SqliteConnection c);
        /// <summary>Runs the work inside a group's transaction; the returned action answers the caller once the group commits.</summary>
        Action Execute(SqliteConnection c, SqliteTransaction tx);
        void Cancel();
        void Fail(Exception e);
    }

    private sealed class WriteItem<T>(Func<SqliteConnection, SqliteTransaction, T> work, bool foreignKeysAtCommit, CancellationToken ct) : IWriteItem
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task<T> Task => _done.Task;
        public bool Alone => foreignKeysAtCommit;
        public bool Cancelled => ct.IsCancellationRequested;

        public void Run(SqliteConnection c)
        {
            if (ct.IsCancellationRequested) { _done.TrySetCanceled(ct); return; }
            try { _done.TrySetResult(InTransaction(c, work, foreignKeysAtCommit)); }
            catch (Exception e) { _done.TrySetException(e); }
        }

        public Action Execute(SqliteConnection c, SqliteTransaction tx)
        {
            var result = work(c, tx);
            return () => _done.TrySetResult(result);
        }

        public void Cancel() => _done.TrySetCanceled(ct);

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
                Sql.DisposeStatementCache(_writer);
                _writer.Dispose();
                _writer = null;
            }
        }
        finally { _writeGate.Release(); }
        if (_memory is null) SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
        _gate?.Dispose();
        return ValueTask.CompletedTask;
    }
}
