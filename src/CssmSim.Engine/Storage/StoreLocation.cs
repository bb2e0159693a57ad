namespace CssmSim.Engine.Storage;

public enum StoreEngine { SqliteFile, SqliteMemory }

/// <summary>Where the simulator keeps its state: <c>sqlite:PATH</c> or <c>memory</c>.</summary>
public sealed record StoreLocation(StoreEngine Engine, string? Path)
{
    public static StoreLocation Memory { get; } = new(StoreEngine.SqliteMemory, null);

    public static StoreLocation SqliteFile(string path) => new(StoreEngine.SqliteFile, path);

    /// <summary>The name <c>/_sim/health</c> reports: <c>sqlite</c> or <c>memory</c>.</summary>
    public string Kind => Engine == StoreEngine.SqliteMemory ? "memory" : "sqlite";

    /// <summary>Parses the <c>Store</c> setting; throws <see cref="ArgumentException"/> with a message fit for a user.</summary>
    public static StoreLocation Parse(string? value)
    {
        var v = (value ?? "").Trim();
        if (v.Length == 0) return SqliteFile("data/cssmsim.db");
        if (v.Equals("memory", StringComparison.OrdinalIgnoreCase)) return Memory;
        if (v.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            var path = v["sqlite:".Length..].Trim();
            if (path.Length == 0) throw new ArgumentException("Store 'sqlite:' needs a file path, e.g. sqlite:data/cssmsim.db");
            return path == ":memory:" ? Memory : SqliteFile(path);
        }
        if (v.StartsWith("postgres:", StringComparison.OrdinalIgnoreCase) || v.StartsWith("postgresql:", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException("Store 'postgres:' is planned but not available in this release; use sqlite:PATH or memory");
        throw new ArgumentException($"Unknown store '{v}'; use sqlite:PATH or memory");
    }

    public override string ToString() => Engine == StoreEngine.SqliteMemory ? "memory" : "sqlite:" + Path;
}
