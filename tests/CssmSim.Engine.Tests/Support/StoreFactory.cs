using CssmSim.Engine.Storage;
using CssmSim.Engine.Storage.Postgres;
using CssmSim.Engine.Storage.Sqlite;
using CssmSim.Tests.Shared;
using Microsoft.Data.Sqlite;
using Xunit;

namespace CssmSim.Engine.Tests.Support;

/// <summary>The kinds of store every store behaviour test runs against: one store contract, every engine.</summary>
public enum StoreKind { SqliteFile, Memory, Postgres }

public static class StoreKinds
{
    /// <summary>For <c>[MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]</c>: a SQLite file, in-memory SQLite and PostgreSQL.</summary>
    public static TheoryData<StoreKind> All => new() { StoreKind.SqliteFile, StoreKind.Memory, StoreKind.Postgres };

    /// <summary>The name tests used before PostgreSQL joined: now every engine (<see cref="All"/>).</summary>
    public static TheoryData<StoreKind> Both => All;

    /// <summary>The engines several stores ("processes") can share: a SQLite file and PostgreSQL.</summary>
    public static TheoryData<StoreKind> Shared => new() { StoreKind.SqliteFile, StoreKind.Postgres };
}

/// <summary>Fresh stores for tests: each file store lives in a temp directory of its own.</summary>
public static class StoreFactory
{
    /// <summary>A new, empty directory under the temp folder, unique to the caller.</summary>
    public static string NewTempDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cssmsim-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Opens a fresh store of <paramref name="kind"/>, migrated unless <paramref name="migrate"/> is false.</summary>
    public static async Task<TestStore> CreateAsync(StoreKind kind, bool migrate = true)
    {
        var dir = kind == StoreKind.SqliteFile ? NewTempDirectory() : null;
        // PostgreSQL: a schema of its own on the run's one server, as fresh as a new file.
        var location = kind switch
        {
            StoreKind.Postgres => StoreLocation.Postgres(await PostgresTestServer.NewSchemaAsync()),
            _ when dir is null => StoreLocation.Memory,
            _ => StoreLocation.SqliteFile(Path.Combine(dir, "cssmsim.db")),
        };
        var test = new TestStore(kind, dir, location);
        if (migrate) await test.Store.State.MigrateAsync(TestContext.Current.CancellationToken);
        return test;
    }
}

/// <summary>
/// One store for one test, plus any further stores the test opens on the same file. Disposing
/// closes them all and deletes the directory.
/// </summary>
public sealed class TestStore : IAsyncDisposable
{
    private readonly string? _directory;
    private readonly List<ISimulatorStore> _opened = [];

    internal TestStore(StoreKind kind, string? directory, StoreLocation location)
    {
        Kind = kind;
        _directory = directory;
        Location = location;
        Store = Open();
    }

    public StoreKind Kind { get; }

    public StoreLocation Location { get; }

    /// <summary>The first store opened.</summary>
    public ISimulatorStore Store { get; }

    /// <summary>The database file (SQLite file stores only).</summary>
    public string FilePath => Location.Engine == StoreEngine.SqliteFile ? Location.Path! : throw new InvalidOperationException($"a {Location.Kind} store has no file");

    /// <summary>
    /// Another store on the same location: for a file or PostgreSQL, a second "process" sharing it;
    /// for memory, a new and unrelated database. Closed when this object is disposed.
    /// </summary>
    public ISimulatorStore Open()
    {
        var store = SimulatorStores.Open(Location);
        lock (_opened) _opened.Add(store);
        return store;
    }

    /// <summary>Closes <paramref name="store"/> now (a "process" exiting); safe to dispose again later.</summary>
    public async Task CloseAsync(ISimulatorStore store)
    {
        lock (_opened) _opened.Remove(store);
        await store.DisposeAsync();
    }

    /// <summary>An unpooled connection to the file, for checking what is really on disk.</summary>
    public SqliteConnection OpenRawConnection()
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        c.Open();
        return c;
    }

    /// <summary>Runs one scalar query on an unpooled connection to the file.</summary>
    public object? RawScalar(string sql)
    {
        using var c = OpenRawConnection();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        var v = cmd.ExecuteScalar();
        return v is DBNull ? null : v;
    }

    public async ValueTask DisposeAsync()
    {
        ISimulatorStore[] stores;
        lock (_opened)
        {
            stores = [.. _opened];
            _opened.Clear();
        }
        foreach (var s in stores) await s.DisposeAsync();
        if (Location.Engine == StoreEngine.Postgres) await PostgresTestServer.DropSchemaAsync(Location.Path!);
        if (_directory is null) return;
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder must not fail the test that used it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
