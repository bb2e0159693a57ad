using CssmSim.Engine.Storage.Postgres;
using CssmSim.Engine.Storage.Sqlite;

namespace CssmSim.Engine.Storage;

/// <summary>Opens the store a <see cref="StoreLocation"/> names, on its engine.</summary>
public static class SimulatorStores
{
    /// <param name="location">Where the state is kept.</param>
    /// <param name="sqliteSynchronous">SQLite file stores only: <c>NORMAL</c> or <c>FULL</c>.</param>
    public static ISimulatorStore Open(StoreLocation location, string sqliteSynchronous = "NORMAL") => location.Engine switch
    {
        StoreEngine.Postgres => PostgresSimulatorStore.Open(location),
        _ => SqliteSimulatorStore.Open(location, sqliteSynchronous),
    };
}
