using CssmSim.Engine.Storage;
using CssmSim.Engine.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Xunit;

namespace CssmSim.Engine.Tests.Support;

/// <summary>The two kinds of store every store behaviour test runs against.</summary>
public enum StoreKind { SqliteFile, Memory }

public static class StoreKinds
{
    /// <summary>For <c>[MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]</c>.</summary>
    public static TheoryData<StoreKind> Both => new() { StoreKind.SqliteFile, StoreKind.Memory };
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
        var location = dir is null ? StoreLocation.Memory : StoreLocation.SqliteFile(Path.Combine(dir, "cssmsim.db"));
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
    private readonly List<SqliteSimulatorStore> _opened = [];

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
    public SqliteSimulatorStore Store { get; }

    /// <summary>The database file (file stores only).</summary>
    public string FilePath => Location.Path ?? throw new InvalidOperationException("an in-memory store has no file");

    /// <summary>
    /// Another store on the same location: for a file, a second "process" sharing it; for memory,
    /// a new and unrelated database. Closed when this object is disposed.
    /// </summary>
    public SqliteSimulatorStore Open()
    {
        var store = SqliteSimulatorStore.Open(Location);
        lock (_opened) _opened.Add(store);
        return store;
    }

    /// <summary>Closes <paramref name="store"/> now (a "process" exiting); safe to dispose again later.</summary>
    public async Task CloseAsync(SqliteSimulatorStore store)
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
        SqliteSimulatorStore[] stores;
        lock (_opened)
        {
            stores = [.. _opened];
            _opened.Clear();
        }
        foreach (var s in stores) await s.DisposeAsync();
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
