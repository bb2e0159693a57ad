using CssmSim.Engine.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Storage;

/// <summary>A file database's checkpoints run off the writer and still keep its log bounded.</summary>
public sealed class CheckpointTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _dir = Directory.CreateTempSubdirectory("cssmsim-checkpoint-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static Task CreateTableAsync(SqliteDatabase db) => db.WriteAsync((c, tx) =>
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, k TEXT NOT NULL, body BLOB NOT NULL); CREATE INDEX IF NOT EXISTS rows_k ON rows (k)";
        return cmd.ExecuteNonQuery();
    }, Ct);

    private static Task InsertAsync(SqliteDatabase db, int i) => db.WriteAsync((c, tx) =>
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO rows (id, k, body) VALUES ($id, $k, zeroblob(600))";
        cmd.Parameters.AddWithValue("$id", i);
        cmd.Parameters.AddWithValue("$k", Guid.NewGuid().ToString("N"));
        return cmd.ExecuteNonQuery();
    }, Ct);

    private static Task<long> CountAsync(SqliteDatabase db) => db.ReadAsync(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM rows";
        return (long)cmd.ExecuteScalar()!;
    }, Ct);

    [Fact]
    public async Task Under_steady_writes_the_log_stays_bounded_although_the_writer_does_not_checkpoint_on_commit()
    {
        // Arrange: a checkpoint every 4 commits, the writer catching up past 64 frames. Each insert
        // writes about three pages (table, index, and the page count), so 3,000 inserts log ~9,000
        // frames: unbounded without the catch-up, since a checkpoint beside steady writes never
        // leaves the whole log copied when the next write begins.
        var path = Path.Combine(_dir, "steady.db");
        await using var db = SqliteDatabase.OpenFile(path, "NORMAL", new CheckpointLimits(4, 64));
        await CreateTableAsync(db);
        var pageSize = await db.ReadAsync(c => { using var cmd = c.CreateCommand(); cmd.CommandText = "PRAGMA page_size"; return (long)cmd.ExecuteScalar()!; }, Ct);
        long largestLog = 0;

        // Act
        for (var i = 0; i < 3_000; i++)
        {
            await InsertAsync(db, i);
            largestLog = Math.Max(largestLog, new FileInfo(path + "-wal").Length);
        }

        // Assert: the log never grew past a few thousand frames (the file keeps its high-water mark).
        (largestLog / pageSize).ShouldBeLessThan(2_000);
        (await CountAsync(db)).ShouldBe(3_000);
    }

    [Fact]
    public async Task Rows_written_under_background_checkpoints_are_all_there_after_reopening()
    {
        // Arrange
        var path = Path.Combine(_dir, "reopen.db");
        await using (var db = SqliteDatabase.OpenFile(path, "NORMAL", new CheckpointLimits(2, 16)))
        {
            await CreateTableAsync(db);
            // Act: concurrent writers, checkpoints running beside them.
            await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < 200; i++) await InsertAsync(db, w * 1_000 + i);
            }, Ct)));
        }

        // Assert: closing copied the log back and removed it; a new connection sees every row.
        File.Exists(path + "-wal").ShouldBeFalse();
        await using var reopened = SqliteDatabase.OpenFile(path);
        (await CountAsync(reopened)).ShouldBe(1_600);
        var check = await reopened.ReadAsync(c => { using var cmd = c.CreateCommand(); cmd.CommandText = "PRAGMA integrity_check"; return (string)cmd.ExecuteScalar()!; }, Ct);
        check.ShouldBe("ok");
    }
}
