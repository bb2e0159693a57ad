using Microsoft.Data.Sqlite;

namespace CssmSim.Engine.Storage.Sqlite;

/// <summary>When a file database copies its write-ahead log back into the file.</summary>
/// <param name="CommitsPerCheckpoint">Commits between two checkpoints run off the writer.</param>
/// <param name="WalFramesBeforeWriterCatchUp">
/// A log at least this long (frames, one page each) is caught up by the writer itself after its next
/// commit, so that the transaction after it starts the log again from its beginning.
/// </param>
internal sealed record CheckpointLimits(int CommitsPerCheckpoint, int WalFramesBeforeWriterCatchUp)
{
    public static readonly CheckpointLimits Default = new(32, 8192);
}

public sealed partial class SqliteDatabase
{
    /// <summary>
    /// Checkpoints a file database on a connection of its own instead of on the writer. SQLite's
    /// automatic checkpoint runs inside the commit that crosses 1,000 log frames, on the one connection
    /// whose transactions run one at a time: measured, about 15 % of the writer's time under trust
    /// load went to copying pages and the <c>fsync</c>s around it. The writer's own checkpoints are
    /// off; every few commits a pool thread runs a passive checkpoint, which copies what the log holds
    /// while the writer goes on appending. SQLite starts the log again from its beginning only when a
    /// write begins with everything copied, which under steady writes a checkpoint running beside
    /// them never leaves; so once the log is long the writer copies the few frames written since the
    /// last checkpoint itself (cheap: the bulk is already copied), and the log stays bounded.
    /// </summary>
    private sealed class Checkpointer(SqliteDatabase db, CheckpointLimits limits) : IDisposable
    {
        private readonly Lock _lock = new();
        private SqliteConnection? _connection;
        private bool _disposed;
        private int _running;
        private int _commits;
        // The log's length, in frames, as the last checkpoint found it.
        private volatile int _walFrames;

        /// <summary>The writer's connection no longer checkpoints on commit.</summary>
        public static void TakeOverFrom(SqliteConnection writer) => Pragma(writer, "PRAGMA wal_autocheckpoint=0");

        /// <summary>Called on the writer's thread after each write transaction.</summary>
        public void AfterCommit(SqliteConnection writer)
        {
            if (_walFrames >= limits.WalFramesBeforeWriterCatchUp)
            {
                _walFrames = 0;
                TryCheckpoint(writer);
            }
            if (++_commits < limits.CommitsPerCheckpoint) return;
            _commits = 0;
            if (Interlocked.CompareExchange(ref _running, 1, 0) == 0)
                ThreadPool.UnsafeQueueUserWorkItem(static c => c.Run(), this, preferLocal: false);
        }

        private void Run()
        {
            try
            {
                lock (_lock)
                {
                    if (_disposed) return;
                    _connection ??= db.OpenPooled();
                    if (TryCheckpoint(_connection) is { } frames) _walFrames = frames;
                }
            }
            finally { Volatile.Write(ref _running, 0); }
        }

        // PASSIVE never waits for readers or the writer: it copies what it can and returns.
        private static int? TryCheckpoint(SqliteConnection c)
        {
            try
            {
                using var cmd = c.CreateCommand();
                cmd.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
                using var r = cmd.ExecuteReader();
                return r.Read() ? r.GetInt32(1) : null;
            }
            // Another process's checkpoint, or a full disk: the log stays longer until the next one.
            catch (SqliteException) { return null; }
        }

        public void Dispose()
        {
            lock (_lock)
            {
                _disposed = true;
                _connection?.Dispose();
                _connection = null;
            }
        }
    }
}
