using CssmSim.Engine.Storage.Sqlite;
using CssmSim.Engine.Tests.Support;
using Microsoft.Data.Sqlite;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Snapshots;

/// <summary>
/// <see cref="SnapshotTables"/> is the only list of names a snapshot import may use; these tests
/// hold it to the live schema so a migration cannot add a table or column that snapshots miss.
/// </summary>
public sealed class SnapshotTablesTests
{
    // latest_usage and va_tag_usage are derived from usage_reports by triggers (migrations 10 and 12): an import rebuilds them.
    // fault_counters and journal (migration 13) are what running processes share; counters restart on import.
    private static readonly string[] NotSnapshotted = ["settings", "schema_migrations", "latest_usage", "va_tag_usage", "fault_counters", "journal"];

    private sealed record LiveColumn(string Name, string Type, bool NotNull, int PrimaryKeyIndex);

    private static List<string> Query(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read()) list.Add(Convert.ToString(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        return list;
    }

    private static List<LiveColumn> Columns(SqliteConnection c, string table)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"PRAGMA table_info(\"{table}\")";
        using var r = cmd.ExecuteReader();
        var list = new List<LiveColumn>();
        while (r.Read()) list.Add(new LiveColumn(r.GetString(1), r.GetString(2), r.GetInt64(3) != 0, r.GetInt32(5)));
        return list;
    }

    /// <summary>Column sets that are unique in <paramref name="table"/>: its primary key and unique indexes.</summary>
    private static List<HashSet<string>> UniqueKeys(SqliteConnection c, string table)
    {
        var keys = new List<HashSet<string>>();
        var pk = Columns(c, table).Where(col => col.PrimaryKeyIndex > 0).Select(col => col.Name).ToHashSet();
        if (pk.Count > 0) keys.Add(pk);
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT name FROM pragma_index_list('{table}') WHERE \"unique\" = 1";
        using var r = cmd.ExecuteReader();
        var indexes = new List<string>();
        while (r.Read()) indexes.Add(r.GetString(0));
        foreach (var index in indexes) keys.Add(Query(c, $"SELECT name FROM pragma_index_info('{index}')").ToHashSet());
        return keys;
    }

    [Fact]
    public async Task Snapshot_tables_are_exactly_the_live_tables_except_settings_schema_migrations_and_derived_ones()
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.SqliteFile);
        using var c = test.OpenRawConnection();

        var live = Query(c, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");

        live.ShouldContain("settings");
        live.ShouldContain("schema_migrations");
        SnapshotTables.All.Select(t => t.Name).ShouldBe(live.Except(NotSnapshotted), ignoreOrder: true);
        SnapshotTables.All.Select(t => t.Name).ShouldBeUnique();
    }

    [Fact]
    public async Task Every_snapshot_table_lists_every_live_column_in_order_with_its_type_and_nullability()
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.SqliteFile);
        using var c = test.OpenRawConnection();

        foreach (var table in SnapshotTables.All)
        {
            var live = Columns(c, table.Name);
            var expected = live.Select(col => (
                col.Name,
                col.Type.ToUpperInvariant() switch
                {
                    "TEXT" => SnapshotTables.ColumnType.Text,
                    "INTEGER" => SnapshotTables.ColumnType.Integer,
                    var other => throw new ShouldAssertException($"{table.Name}.{col.Name} has type {other}, which snapshots cannot carry"),
                },
                // SQLite lets a non-INTEGER PRIMARY KEY column hold NULL unless it says NOT NULL; the store never writes one.
                Nullable: !col.NotNull && col.PrimaryKeyIndex == 0)).ToList();

            table.Columns.Select(col => (col.Name, col.Type, col.Nullable)).ShouldBe(expected, $"columns of {table.Name}");
        }
    }

    [Fact]
    public async Task Every_snapshot_table_is_ordered_by_a_unique_natural_key()
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.SqliteFile);
        using var c = test.OpenRawConnection();

        foreach (var table in SnapshotTables.All)
        {
            var orderBy = table.OrderBy.Split(',', StringSplitOptions.TrimEntries).ToHashSet();
            var columns = table.Columns.Select(col => col.Name).ToHashSet();

            orderBy.ShouldBeSubsetOf(columns, $"{table.Name} orders by columns it does not have");
            // Ordering by a unique key, or by more columns that include one, gives one order only.
            UniqueKeys(c, table.Name).ShouldContain(key => key.IsSubsetOf(orderBy),
                $"{table.Name} must be ordered by a unique key so two exports of one state are byte-identical");
        }
    }

    [Fact]
    public async Task Snapshot_tables_list_parents_before_children()
    {
        await using var test = await StoreFactory.CreateAsync(StoreKind.SqliteFile);
        using var c = test.OpenRawConnection();
        var order = SnapshotTables.All.Select(t => t.Name).ToList();

        foreach (var table in order)
        {
            foreach (var parent in Query(c, $"SELECT \"table\" FROM pragma_foreign_key_list('{table}')"))
                order.IndexOf(parent).ShouldBeLessThan(order.IndexOf(table), $"{parent} must come before {table}");
        }
    }
}
