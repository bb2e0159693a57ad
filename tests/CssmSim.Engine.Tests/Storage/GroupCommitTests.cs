using CssmSim.Engine.Storage.Sqlite;
using CssmSim.Engine.Tests.Support;
using Microsoft.Data.Sqlite;

namespace CssmSim.Engine.Tests.Storage;

/// <summary>
/// The SQLite writer commits the writes waiting together in one transaction (group commit), each in
/// a savepoint of its own: what one write does must not depend on the others of its group.
/// </summary>
public sealed class GroupCommitTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _dir = StoreFactory.NewTempDirectory();
    private SqliteDatabase _db = null!;

    public async ValueTask InitializeAsync()
    {
        _db = SqliteDatabase.OpenFile(Path.Combine(_dir, "group.db"));
        await _db.WriteAsync((c, tx) => Exec(c, tx, "CREATE TABLE t (n INTEGER PRIMARY KEY)"), Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _db.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static int Exec(SqliteConnection c, SqliteTransaction tx, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return cmd.ExecuteNonQuery();
    }

    /// <summary>Holds the writer on a first write until <paramref name="queue"/> has queued the rest behind it, so they form one group.</summary>
    private async Task<List<Task<int>>> QueuedBehindABlockedWriteAsync(Func<List<Task<int>>> queue)
    {
        using var release = new ManualResetEventSlim();
        using var running = new ManualResetEventSlim();
        var blocker = _db.WriteAsync((c, tx) => { running.Set(); release.Wait(Ct); return Exec(c, tx, "INSERT INTO t (n) VALUES (0)"); }, Ct);
        running.Wait(Ct);
        var queued = queue();
        release.Set();
        await blocker;
        return queued;
    }

    private Task<long> CountAsync(string where = "1") =>
        _db.ReadAsync(c => { using var cmd = c.CreateCommand(); cmd.CommandText = $"SELECT COUNT(*) FROM t WHERE {where}"; return (long)cmd.ExecuteScalar()!; }, Ct);

    [Fact]
    public async Task A_write_that_fails_in_a_group_is_undone_alone_and_the_others_commit()
    {
        var writes = await QueuedBehindABlockedWriteAsync(() => Enumerable.Range(1, 20).Select(n => _db.WriteAsync((c, tx) =>
        {
            Exec(c, tx, $"INSERT INTO t (n) VALUES ({n})");
            if (n % 5 == 0) throw new InvalidOperationException($"write {n} refuses after its insert");
            return n;
        }, Ct)).ToList());

        await Task.WhenAll(writes.Select(w => w.ContinueWith(_ => { }, TaskScheduler.Default)));

        writes.Count(w => w.IsFaulted).ShouldBe(4);
        writes.Where(w => w.IsFaulted).Select(w => w.Exception!.InnerException!.Message).ShouldBe(
            ["write 5 refuses after its insert", "write 10 refuses after its insert", "write 15 refuses after its insert", "write 20 refuses after its insert"]);
        (await CountAsync("n % 5 = 0 AND n > 0")).ShouldBe(0, "a refused write leaves nothing behind");
        (await CountAsync("n % 5 <> 0")).ShouldBe(16);
    }

    [Fact]
    public async Task A_constraint_violation_in_one_write_of_a_group_does_not_undo_the_writes_before_it()
    {
        var writes = await QueuedBehindABlockedWriteAsync(() =>
        [
            _db.WriteAsync((c, tx) => Exec(c, tx, "INSERT INTO t (n) VALUES (1)"), Ct),
            _db.WriteAsync((c, tx) => Exec(c, tx, "INSERT INTO t (n) VALUES (2)") + Exec(c, tx, "INSERT INTO t (n) VALUES (1)"), Ct),
            _db.WriteAsync((c, tx) => Exec(c, tx, "INSERT INTO t (n) VALUES (3)"), Ct),
        ]);

        await Task.WhenAll(writes.Select(w => w.ContinueWith(_ => { }, TaskScheduler.Default)));

        writes[1].IsFaulted.ShouldBeTrue();
        writes[1].Exception!.InnerException.ShouldBeOfType<SqliteException>();
        (await writes[0]).ShouldBe(1);
        (await writes[2]).ShouldBe(1);
        (await CountAsync()).ShouldBe(3, "rows 0, 1 and 3; the failed write's row 2 is undone");
        (await CountAsync("n = 2")).ShouldBe(0);
    }

    [Fact]
    public async Task A_write_is_answered_only_once_its_group_is_committed()
    {
        long seenByFirst = -1;
        var writes = await QueuedBehindABlockedWriteAsync(() => Enumerable.Range(1, 10)
            .Select(n => _db.WriteAsync((c, tx) => Exec(c, tx, $"INSERT INTO t (n) VALUES ({n})"), Ct)).ToList());

        await writes[0];
        seenByFirst = await CountAsync();

        seenByFirst.ShouldBe(11, "when the first of the group is answered, every write of its group is committed and visible to a reader");
    }
}
