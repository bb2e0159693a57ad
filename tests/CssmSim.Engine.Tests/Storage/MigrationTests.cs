using CssmSim.Engine.Storage.Sqlite;
using CssmSim.Engine.Tests.Support;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Storage;

public sealed class MigrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static List<(long Version, long Rows)> MigrationRows(TestStore test)
    {
        using var c = test.OpenRawConnection();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT version, COUNT(*) FROM schema_migrations GROUP BY version ORDER BY version";
        using var r = cmd.ExecuteReader();
        var rows = new List<(long, long)>();
        while (r.Read()) rows.Add((r.GetInt64(0), r.GetInt64(1)));
        return rows;
    }

    private static List<(long, long)> OneRowPerMigration() => Migrations.All.Select(m => ((long)m.Version, 1L)).ToList();

    [Fact]
    public void Migrations_are_numbered_from_1_without_gaps_and_Latest_is_the_last()
    {
        Migrations.All.Select(m => m.Version).ShouldBe(Enumerable.Range(1, Migrations.All.Count));
        Migrations.Latest.ShouldBe(Migrations.All[^1].Version);
        Migrations.All.Select(m => m.Name).ShouldBeUnique();
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Migrating_a_new_store_returns_the_latest_version(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind, migrate: false);

        var version = await test.Store.State.MigrateAsync(Ct);

        version.ShouldBe(Migrations.Latest);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Migrating_again_is_a_no_op_that_returns_the_latest_version_and_keeps_the_data(StoreKind kind)
    {
        await using var test = await StoreFactory.CreateAsync(kind, migrate: false);
        await test.Store.State.MigrateAsync(Ct);
        await test.Store.State.SetSettingAsync("marker", "kept", Ct);

        var second = await test.Store.State.MigrateAsync(Ct);
        var third = await test.Store.State.MigrateAsync(Ct);

        second.ShouldBe(Migrations.Latest);
        third.ShouldBe(Migrations.Latest);
        (await test.Store.State.GetSettingAsync("marker", Ct)).ShouldBe("kept");
    }

    [Fact]
    public async Task Migrating_a_file_twice_records_each_migration_once()
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.SqliteFile, migrate: false);

        await test.Store.State.MigrateAsync(Ct);
        await test.Store.State.MigrateAsync(Ct);

        MigrationRows(test).ShouldBe(OneRowPerMigration());
    }

    [Fact]
    public async Task Two_stores_migrating_one_new_file_concurrently_both_succeed_and_apply_each_migration_once()
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.SqliteFile, migrate: false);
        var other = test.Open();

        var versions = await Task.WhenAll(
            Task.Run(() => test.Store.State.MigrateAsync(Ct), Ct),
            Task.Run(() => other.State.MigrateAsync(Ct), Ct));

        versions.ShouldBe([Migrations.Latest, Migrations.Latest]);
        MigrationRows(test).ShouldBe(OneRowPerMigration());
    }

    [Fact]
    public async Task Eight_stores_opened_and_migrated_concurrently_on_one_new_file_all_succeed()
    {
        // Several processes starting at once on a file none of them has created yet.
        await using var test = await StoreFactory.CreateAsync(StoreKind.SqliteFile, migrate: false);

        var versions = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => test.Open().State.MigrateAsync(Ct), Ct)));

        versions.ShouldAllBe(v => v == Migrations.Latest);
        MigrationRows(test).ShouldBe(OneRowPerMigration());
    }

    [Fact]
    public async Task A_file_store_is_in_WAL_mode()
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.SqliteFile);

        test.RawScalar("PRAGMA journal_mode").ShouldBe("wal");
    }

    [Fact]
    public async Task A_database_with_a_newer_schema_version_is_refused_with_a_clear_message()
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.SqliteFile);
        var future = Migrations.Latest + 1;
        test.RawScalar($"INSERT INTO schema_migrations (version, name) VALUES ({future}, 'from the future')");
        var newer = test.Open();

        var ex = await Should.ThrowAsync<InvalidOperationException>(() => newer.State.MigrateAsync(Ct));

        ex.Message.ShouldContain($"schema version {future}");
        ex.Message.ShouldContain("newer than this CssmSim understands");
        ex.Message.ShouldContain($"({Migrations.Latest})");
    }

    [Fact]
    public async Task A_refused_newer_database_is_left_untouched()
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.SqliteFile);
        test.RawScalar($"INSERT INTO schema_migrations (version, name) VALUES ({Migrations.Latest + 5}, 'from the future')");
        test.RawScalar("INSERT INTO settings (key, value) VALUES ('written by', 'the newer version')");

        await Should.ThrowAsync<InvalidOperationException>(() => test.Open().State.MigrateAsync(Ct));

        test.RawScalar("SELECT COUNT(*) FROM schema_migrations").ShouldBe(Migrations.All.Count + 1L);
        test.RawScalar("SELECT value FROM settings WHERE key = 'written by'").ShouldBe("the newer version");
    }

    private static Task<List<string>> SchemaAsync(SqliteDatabase db) => db.ReadAsync(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT type || ' ' || name || ' ' || tbl_name || ' ' || COALESCE(sql, '') FROM sqlite_master
            UNION ALL SELECT 'migration ' || version || ' ' || name FROM schema_migrations
            UNION ALL SELECT 'setting ' || key || ' ' || value FROM settings
            ORDER BY 1
            """;
        using var r = cmd.ExecuteReader();
        var rows = new List<string>();
        while (r.Read()) rows.Add(r.GetString(0));
        return rows;
    }, Ct);

    [Fact]
    public async Task A_new_in_memory_database_gets_exactly_the_schema_the_migrations_build_in_a_file()
    {
        var dir = StoreFactory.NewTempDirectory();
        await using var file = SqliteDatabase.OpenFile(Path.Combine(dir, "cssmsim.db"));
        await using var first = SqliteDatabase.OpenMemory();
        await using var second = SqliteDatabase.OpenMemory();

        (await file.MigrateAsync(Ct)).ShouldBe(Migrations.Latest);
        (await first.MigrateAsync(Ct)).ShouldBe(Migrations.Latest);
        (await second.MigrateAsync(Ct)).ShouldBe(Migrations.Latest);

        var expected = await SchemaAsync(file);
        expected.ShouldContain(row => row.StartsWith("table product_instances ", StringComparison.Ordinal));
        (await SchemaAsync(first)).ShouldBe(expected);
        (await SchemaAsync(second)).ShouldBe(expected);
    }

    [Fact]
    public async Task In_memory_databases_migrated_at_once_each_get_a_copy_of_their_own()
    {
        var dbs = Enumerable.Range(0, 8).Select(_ => SqliteDatabase.OpenMemory()).ToList();
        try
        {
            await Task.WhenAll(dbs.Select(db => Task.Run(() => db.MigrateAsync(Ct), Ct)));

            await dbs[0].WriteAsync((c, tx) =>
            {
                using var insert = c.CreateCommand();
                insert.Transaction = tx;
                insert.CommandText = "INSERT INTO settings (key, value) VALUES ('only-in', 'the first')";
                return insert.ExecuteNonQuery();
            }, Ct);

            foreach (var db in dbs)
                (await db.ReadAsync(c =>
                {
                    using var count = c.CreateCommand();
                    count.CommandText = "SELECT COUNT(*) FROM settings WHERE key = 'only-in'";
                    return (long)count.ExecuteScalar()!;
                }, Ct)).ShouldBe(db == dbs[0] ? 1L : 0L);
        }
        finally
        {
            foreach (var db in dbs) await db.DisposeAsync();
        }
    }
}
