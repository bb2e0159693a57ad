using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Licensing;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Validation;
using Microsoft.Data.Sqlite;

namespace CssmSim.Engine.Storage.Sqlite;

/// <summary>The SQLite store: a file (WAL) or an in-memory database.</summary>
public sealed class SqliteSimulatorStore : ISimulatorStore
{
    private readonly SqliteDatabase _db;

    private SqliteSimulatorStore(StoreLocation location, SqliteDatabase db)
    {
        Location = location;
        _db = db;
        Accounts = new SqliteAccountStore(db);
        State = new SqliteStateStore(db);
        Faults = new SqliteFaultRuleStore(db);
        Jobs = new SqliteJobStore(db);
        Journal = new SqliteJournalStore(db);
        Inventory = new SqliteInventoryStore(db);
        Usage = new SqliteUsageStore(db);
        UsageFiles = new SqliteUsageFileStore(db);
        Licenses = new SqliteLicenseStore(db);
        Authorizations = new SqliteAuthorizationStore(db);
        Bulk = new SqliteBulkStore(db);
    }

    public static SqliteSimulatorStore Open(StoreLocation location, string synchronous = "NORMAL") => new(location,
        location.Engine == StoreEngine.SqliteMemory ? SqliteDatabase.OpenMemory() : SqliteDatabase.OpenFile(location.Path!, synchronous));

    public StoreLocation Location { get; }
    public IAccountStore Accounts { get; }
    public IStateStore State { get; }
    public IFaultRuleStore Faults { get; }
    public IJobStore Jobs { get; }
    public IJournalStore Journal { get; }
    public IInventoryStore Inventory { get; }
    public IUsageStore Usage { get; }
    public IUsageFileStore UsageFiles { get; }
    public ILicenseStore Licenses { get; }
    public IAuthorizationStore Authorizations { get; }
    public IBulkStore Bulk { get; }

    /// <summary>
    /// The journal mode and synchronous level a unit of work actually runs with, read back from a
    /// connection (so a setting that did not take effect shows), or null for an in-memory store.
    /// </summary>
    public Task<SqliteDurability?> DurabilityAsync(CancellationToken ct = default) =>
        Location.Engine == StoreEngine.SqliteMemory ? Task.FromResult<SqliteDurability?>(null) : _db.ReadAsync<SqliteDurability?>(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode";
            var journal = (string)cmd.ExecuteScalar()!;
            cmd.CommandText = "PRAGMA synchronous";
            return new SqliteDurability(journal, (long)cmd.ExecuteScalar()!);
        }, ct);

    /// <summary>Row counts of what a user creates, for the start banner (one read, cheap at any size).</summary>
    public Task<StoreCounts> CountsAsync(CancellationToken ct = default) => _db.ReadAsync(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT (SELECT COUNT(*) FROM smart_accounts), (SELECT COUNT(*) FROM virtual_accounts), (SELECT COUNT(*) FROM licenses),
                   (SELECT COUNT(*) FROM tokens), (SELECT COUNT(*) FROM product_instances), (SELECT COUNT(*) FROM usage_reports),
                   (SELECT COUNT(*) FROM poll_transitions)
            """;
        using var r = cmd.ExecuteReader();
        r.Read();
        return new StoreCounts(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6));
    }, ct);

    public ValueTask DisposeAsync() => _db.DisposeAsync();
}

/// <summary>How much a store holds (<see cref="SqliteSimulatorStore.CountsAsync"/>).</summary>
public sealed record StoreCounts(long SmartAccounts, long VirtualAccounts, long Licenses, long Tokens, long ProductInstances, long UsageReports, long PollTransitions);

/// <summary>PRAGMA journal_mode and synchronous (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA) of a file store.</summary>
public sealed record SqliteDurability(string JournalMode, long Synchronous)
{
    public string SynchronousName => Synchronous switch { 0 => "OFF", 1 => "NORMAL", 2 => "FULL", 3 => "EXTRA", _ => Synchronous.ToString(CultureInfo.InvariantCulture) };

    public override string ToString() => $"journal {JournalMode}, synchronous {SynchronousName}";
}

internal sealed class SqliteAccountStore(SqliteDatabase db) : IAccountStore
{
    private const string VaColumns = "id, sa_id, name, description, is_default, export_controlled_allowed";

    public Task<IReadOnlyList<SmartAccount>> ListSmartAccountsAsync(CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<SmartAccount>>(c => Sql.Query(c, null,
            "SELECT id, domain, name FROM smart_accounts ORDER BY domain_key", ReadAccount), ct);

    public Task<SmartAccount?> FindSmartAccountAsync(string domain, CancellationToken ct = default) =>
        db.ReadAsync(c => Sql.Query(c, null, "SELECT id, domain, name FROM smart_accounts WHERE domain_key = $k",
            ReadAccount, ("$k", domain.Trim().ToLowerInvariant())).FirstOrDefault(), ct);

    public Task<IReadOnlyList<VirtualAccount>> ListVirtualAccountsAsync(string? smartAccountId, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<VirtualAccount>>(c => smartAccountId is null
            ? Sql.Query(c, null, $"SELECT {VaColumns} FROM virtual_accounts ORDER BY sa_id, name", ReadVa)
            : Sql.Query(c, null, $"SELECT {VaColumns} FROM virtual_accounts WHERE sa_id = $sa ORDER BY name", ReadVa, ("$sa", smartAccountId)), ct);

    public Task<VirtualAccount?> FindVirtualAccountAsync(string smartAccountId, string nameOrId, CancellationToken ct = default) =>
        db.ReadAsync(c => Sql.Query(c, null, $"SELECT {VaColumns} FROM virtual_accounts WHERE sa_id = $sa AND name = $n", ReadVa, ("$sa", smartAccountId), ("$n", nameOrId)).FirstOrDefault()
            ?? Sql.Query(c, null, $"SELECT {VaColumns} FROM virtual_accounts WHERE sa_id = $sa AND id = $n", ReadVa, ("$sa", smartAccountId), ("$n", nameOrId)).FirstOrDefault(), ct);

    public Task<(SmartAccount Account, VirtualAccount VirtualAccount)?> FindByVirtualAccountIdAsync(string virtualAccountId, CancellationToken ct = default) =>
        db.ReadAsync(c =>
        {
            var va = Sql.Query(c, null, $"SELECT {VaColumns} FROM virtual_accounts WHERE id = $id", ReadVa, ("$id", virtualAccountId)).FirstOrDefault();
            if (va is null) return ((SmartAccount, VirtualAccount)?)null;
            var sa = Sql.Query(c, null, "SELECT id, domain, name FROM smart_accounts WHERE id = $id", ReadAccount, ("$id", va.SmartAccountId)).Single();
            return (sa, va);
        }, ct);

    public Task SetPolicyJsonAsync(string smartAccountId, string? virtualAccountId, string? policyJson, CancellationToken ct = default) =>
        db.WriteAsync((c, tx) => virtualAccountId is null
            ? Sql.Execute(c, tx, "UPDATE smart_accounts SET policy_json = $p WHERE id = $id", ("$p", policyJson), ("$id", smartAccountId))
            : Sql.Execute(c, tx, "UPDATE virtual_accounts SET policy_json = $p WHERE id = $id AND sa_id = $sa", ("$p", policyJson), ("$id", virtualAccountId), ("$sa", smartAccountId)), ct);

    public Task<IReadOnlyList<License>> ListLicensesAsync(string virtualAccountId, CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<License>>(c => Sql.Query(c, null,
            "SELECT va_id, tag, display_name, enforcement, license_type, quantity, start_date, end_date FROM licenses WHERE va_id = $va ORDER BY tag",
            r =>
            {
                LicenseNames.TryParseEnforcement(r.GetString(3), out var enforcement);
                LicenseNames.TryParseType(r.GetString(4), out var type);
                return new License(r.GetString(0), r.GetString(1), r.GetString(2), enforcement, type, r.GetInt64(5),
                    ParseDate(r.NullableString(6)), ParseDate(r.NullableString(7)));
            }, ("$va", virtualAccountId)), ct);

    public Task<string?> GetPolicyJsonAsync(string smartAccountId, string? virtualAccountId, CancellationToken ct = default) =>
        db.ReadAsync(c => (string?)(virtualAccountId is null
            ? Sql.Scalar(c, null, "SELECT policy_json FROM smart_accounts WHERE id = $id", ("$id", smartAccountId))
            : Sql.Scalar(c, null, "SELECT policy_json FROM virtual_accounts WHERE id = $id AND sa_id = $sa", ("$id", virtualAccountId), ("$sa", smartAccountId))), ct);

    public Task<ApiClient?> FindApiClientAsync(string clientId, CancellationToken ct = default) =>
        db.ReadAsync(c => Sql.Query(c, null, "SELECT client_id, client_secret, accounts_json FROM api_clients WHERE client_id = $id",
            r => new ApiClient(r.GetString(0), r.GetString(1), ParseScope(r.NullableString(2))), ("$id", clientId)).FirstOrDefault(), ct);

    public Task<ApiUser?> FindUserAsync(string username, CancellationToken ct = default) =>
        db.ReadAsync(c => Sql.Query(c, null, "SELECT username, password, accounts_json, email FROM api_users WHERE username = $u",
            r => new ApiUser(r.GetString(0), r.GetString(1), ParseScope(r.NullableString(2)), r.NullableString(3)), ("$u", username)).FirstOrDefault(), ct);

    public Task<IReadOnlyList<SlrCatalogEntry>> ListSlrCatalogAsync(CancellationToken ct = default) =>
        db.ReadAsync<IReadOnlyList<SlrCatalogEntry>>(c => Sql.Query(c, null, "SELECT software_tag, udi_pid, entitlements_json FROM slr_catalog ORDER BY software_tag",
            r => new SlrCatalogEntry(r.GetString(0), r.NullableString(1),
                System.Text.Json.JsonSerializer.Deserialize<List<SlrEntitlement>>(r.GetString(2)) ?? [])), ct);

    private static SmartAccount ReadAccount(SqliteDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2));

    private static VirtualAccount ReadVa(SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4) != 0, r.GetInt64(5) != 0);

    private static DateOnly? ParseDate(string? s) =>
        s is null ? null : DateOnly.ParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static AccountScope ParseScope(string? json) =>
        json is null ? AccountScope.All : AccountScope.Of(JsonSerializer.Deserialize<string[]>(json) ?? []);
}

internal sealed class SqliteStateStore(SqliteDatabase db) : IStateStore
{
    public Task<int> MigrateAsync(CancellationToken ct = default) => db.MigrateAsync(ct);

    public Task ApplySeedAsync(SeedPlan plan, CancellationToken ct = default) =>
        db.WriteAsync((c, tx) => { SeedWriter.Apply(c, tx, plan); return 0; }, ct);

    public Task ResetAsync(SeedPlan plan, string? smartAccountDomain, CancellationToken ct = default) =>
        smartAccountDomain is null
            // Everything goes: each table is emptied whole (foreign keys checked at commit), which at
            // 300,000 product instances and millions of reports takes seconds instead of deleting and
            // logging every row. Still one transaction: a crash leaves the store as it was.
            ? db.WriteCheckingForeignKeysAtCommitAsync((c, tx) =>
            {
                DeleteAll(c, tx);
                SeedWriter.Apply(c, tx, plan);
                return 0;
            }, ct)
            : db.WriteAsync((c, tx) =>
            {
                Sql.Execute(c, tx, "DELETE FROM smart_accounts WHERE domain_key = $k", ("$k", smartAccountDomain.Trim().ToLowerInvariant()));
                SeedWriter.Apply(c, tx, plan);
                return 0;
            }, ct);

    public Task<StoreSnapshot> ExportAsync(CancellationToken ct = default) => db.ReadAsync(c =>
    {
        var tables = new Dictionary<string, IReadOnlyList<JsonObject>>(StringComparer.Ordinal);
        foreach (var t in SnapshotTables.All)
        {
            var cols = string.Join(", ", t.Columns.Select(col => col.Name));
            tables[t.Name] = Sql.Query(c, null, $"SELECT {cols} FROM {t.Name} ORDER BY {t.OrderBy}", r =>
            {
                var row = new JsonObject();
                for (var i = 0; i < t.Columns.Count; i++)
                {
                    row[t.Columns[i].Name] = r.IsDBNull(i) ? null
                        : t.Columns[i].Type == SnapshotTables.ColumnType.Integer ? JsonValue.Create(r.GetInt64(i))
                        : JsonValue.Create(r.GetString(i));
                }
                return row;
            });
        }
        return new StoreSnapshot(Migrations.Latest, tables);
    }, ct);

    public Task ImportAsync(StoreSnapshot snapshot, CancellationToken ct = default)
    {
        if (snapshot.SchemaVersion != Migrations.Latest)
            throw new StateConflictException($"snapshot schemaVersion {snapshot.SchemaVersion} is not this store's ({Migrations.Latest})");
        var errors = new ValidationErrors();
        foreach (var name in snapshot.Tables.Keys.Where(n => SnapshotTables.All.All(t => t.Name != n)))
            errors.Add("store." + name, "unknown table");
        errors.ThrowIfAny("Invalid snapshot");
        // One transaction: the rows are checked as they go in, and any error rolls the whole import back.
        return db.WriteAsync((c, tx) =>
        {
            DeleteAll(c, tx);
            foreach (var t in SnapshotTables.All)
            {
                if (!snapshot.Tables.TryGetValue(t.Name, out var rows)) continue;
                var sql = $"INSERT INTO {t.Name} ({string.Join(", ", t.Columns.Select(col => col.Name))}) VALUES ({string.Join(", ", t.Columns.Select(col => "$" + col.Name))})";
                for (var i = 0; i < rows.Count; i++) InsertRow(c, tx, t, sql, rows[i], $"store.{t.Name}[{i}]", errors);
            }
            errors.ThrowIfAny("Invalid snapshot");
            return 0;
        }, ct);
    }

    private static void InsertRow(SqliteConnection c, SqliteTransaction tx, SnapshotTables.Table t, string sql, JsonObject row, string path, ValidationErrors errors)
    {
        using var cmd = Sql.Command(c, tx, sql);
        foreach (var (key, _) in row)
        {
            if (t.Columns.All(col => col.Name != key)) errors.Add($"{path}.{key}", "unknown column");
        }
        foreach (var col in t.Columns)
        {
            var node = row[col.Name];
            object? value = node switch
            {
                null => null,
                JsonValue v when col.Type == SnapshotTables.ColumnType.Integer && v.TryGetValue<long>(out var l) => l,
                JsonValue v when col.Type == SnapshotTables.ColumnType.Text && v.TryGetValue<string>(out var s) => s,
                _ => Invalid(errors, $"{path}.{col.Name}", col.Type == SnapshotTables.ColumnType.Integer ? "must be a whole number" : "must be a string"),
            };
            if (value is null && !col.Nullable && node is null) errors.Add($"{path}.{col.Name}", "is required");
            if (value is not null && col.Problem(value) is { } problem) errors.Add($"{path}.{col.Name}", problem);
            cmd.Parameters.AddWithValue("$" + col.Name, value ?? DBNull.Value);
        }
        if (errors.Any) return;
        try
        {
            cmd.ExecuteNonQuery();
        }
        catch (SqliteException e) when (e.IsConstraintViolation())
        {
            errors.Add(path, "breaks a constraint (duplicate key or missing parent row)");
        }
    }

    private static object? Invalid(ValidationErrors errors, string path, string message)
    {
        errors.Add(path, message);
        return null;
    }

    private static void DeleteAll(SqliteConnection c, SqliteTransaction tx)
    {
        // Children first, so foreign keys hold at every step; latest_usage and its sums are derived from
        // reports (migrations 10 and 12), emptied first so the instances' delete trigger finds nothing to subtract.
        Sql.Execute(c, tx, "DELETE FROM latest_usage");
        Sql.Execute(c, tx, "DELETE FROM va_tag_usage");
        // The rules' counters restart with the rules (migration 13). The journal is not state: a reset clears it
        // through RequestJournal.ClearAllAsync (with what is still queued), an import keeps it.
        Sql.Execute(c, tx, "DELETE FROM fault_counters");
        foreach (var t in SnapshotTables.All.Reverse()) Sql.Execute(c, tx, $"DELETE FROM {t.Name}");
    }

    public Task<string?> GetSettingAsync(string key, CancellationToken ct = default) =>
        db.ReadAsync(c => (string?)Sql.Scalar(c, null, "SELECT value FROM settings WHERE key = $k", ("$k", key)), ct);

    public Task<string> GetOrAddSettingAsync(string key, string value, CancellationToken ct = default) =>
        db.WriteAsync((c, tx) =>
        {
            Sql.Execute(c, tx, "INSERT INTO settings (key, value) VALUES ($k, $v) ON CONFLICT (key) DO NOTHING", ("$k", key), ("$v", value));
            return (string)Sql.Scalar(c, tx, "SELECT value FROM settings WHERE key = $k", ("$k", key))!;
        }, ct);

    public Task<long> NextCounterAsync(string key, CancellationToken ct = default) => db.WriteAsync((c, tx) => NextCounter(c, tx, key), ct);

    /// <summary>The next number of <paramref name="key"/>, inside the caller's write transaction.</summary>
    internal static long NextCounter(SqliteConnection c, SqliteTransaction tx, string key) => (long)Sql.Scalar(c, tx,
        "INSERT INTO counters (key, value) VALUES ($k, 1) ON CONFLICT (key) DO UPDATE SET value = value + 1 RETURNING value", ("$k", key))!;

    // Triggers (migration 7) bump both on every write to fault_rules or the clock setting.
    public Task<SharedStateVersions> ReadVersionsAsync(CancellationToken ct = default) => db.ReadAsync(c =>
    {
        long faults = 0, clock = 0;
        foreach (var (key, value) in Sql.Query(c, null, "SELECT key, value FROM settings WHERE key IN ('version/fault_rules', 'version/clock')",
            r => (r.GetString(0), long.TryParse(r.GetString(1), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0)))
        {
            if (key == "version/fault_rules") faults = value;
            else clock = value;
        }
        return new SharedStateVersions(faults, clock);
    }, ct);

    public Task SetSettingAsync(string key, string value, CancellationToken ct = default) =>
        db.WriteAsync((c, tx) => Sql.Execute(c, tx,
            "INSERT INTO settings (key, value) VALUES ($k, $v) ON CONFLICT (key) DO UPDATE SET value = $v", ("$k", key), ("$v", value)), ct);
}
