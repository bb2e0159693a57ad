using CssmSim.Engine.Storage;

namespace CssmSim.Testing;

/// <summary>Where a simulator keeps its state.</summary>
public sealed class StoreKind
{
    private StoreKind(StoreLocation location) => Location = location;

    /// <summary>An in-memory SQLite database owned by one simulator and gone when it is disposed (the default, and the fastest).</summary>
    public static StoreKind Memory { get; } = new(StoreLocation.Memory);

    /// <summary>
    /// A SQLite file: state survives the simulator, and several simulators (or a <c>cssmsim serve</c>)
    /// may share it. The folder is created if missing.
    /// </summary>
    public static StoreKind Sqlite(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return new StoreKind(StoreLocation.SqliteFile(Path.GetFullPath(path)));
    }

    /// <summary>
    /// A PostgreSQL database, by Npgsql connection string or <c>postgres://user:pass@host:port/db</c>
    /// URL: the schema is migrated on start, and simulators (and <c>cssmsim serve</c> replicas) on one
    /// database share all state.
    /// </summary>
    public static StoreKind Postgres(string connection)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connection);
        return new StoreKind(StoreLocation.Postgres(connection));
    }

    internal StoreLocation Location { get; }

    /// <inheritdoc/>
    public override string ToString() => Location.ToString();
}
