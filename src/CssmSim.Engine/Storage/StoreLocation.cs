using Npgsql;

namespace CssmSim.Engine.Storage;

public enum StoreEngine { SqliteFile, SqliteMemory, Postgres }

/// <summary>
/// Where the simulator keeps its state: <c>sqlite:PATH</c>, <c>memory</c> or <c>postgres:CONN</c>
/// (<see cref="Path"/> is then the Npgsql connection string).
/// </summary>
public sealed record StoreLocation(StoreEngine Engine, string? Path)
{
    public static StoreLocation Memory { get; } = new(StoreEngine.SqliteMemory, null);

    public static StoreLocation SqliteFile(string path) => new(StoreEngine.SqliteFile, path);

    /// <summary>A PostgreSQL database by Npgsql connection string or <c>postgres://</c> URL.</summary>
    public static StoreLocation Postgres(string connection) => new(StoreEngine.Postgres, PostgresConnectionString(connection));

    /// <summary>The name <c>/_sim/health</c> reports: <c>sqlite</c>, <c>memory</c> or <c>postgres</c>.</summary>
    public string Kind => Engine switch { StoreEngine.SqliteMemory => "memory", StoreEngine.Postgres => "postgres", _ => "sqlite" };

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
        // postgres://… and postgresql://… are URLs whole; postgres:CONN carries a connection string or a URL.
        if (IsUrl(v)) return Postgres(v);
        foreach (var prefix in (string[])["postgres:", "postgresql:"])
        {
            if (!v.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) continue;
            var conn = v[prefix.Length..].Trim();
            if (conn.Length == 0)
                throw new ArgumentException("Store 'postgres:' needs a connection, e.g. postgres:Host=db;Database=cssmsim;Username=cssmsim or postgres://user:pass@host:5432/cssmsim");
            return Postgres(conn);
        }
        throw new ArgumentException($"Unknown store '{v}'; use sqlite:PATH, memory or postgres:CONN");
    }

    /// <summary>The store as a user may see it: a PostgreSQL password never shows.</summary>
    public override string ToString() => Engine switch
    {
        StoreEngine.SqliteMemory => "memory",
        StoreEngine.Postgres => "postgres:" + WithoutPassword(Path!),
        _ => "sqlite:" + Path,
    };

    private static bool IsUrl(string v) =>
        v.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || v.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    private static string WithoutPassword(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        if (b.Password is not null) b.Password = "***";
        return b.ConnectionString;
    }

    /// <summary>An Npgsql connection string from either form; a URL's query keys are connection string keys (e.g. <c>sslmode=require</c>).</summary>
    internal static string PostgresConnectionString(string connection)
    {
        try
        {
            if (!IsUrl(connection)) return new NpgsqlConnectionStringBuilder(connection).ConnectionString;
            var uri = new Uri(connection);
            var b = new NpgsqlConnectionStringBuilder { Host = uri.Host.Length == 0 ? "localhost" : uri.Host };
            if (uri.Port > 0) b.Port = uri.Port;
            var db = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
            if (db.Length > 0) b.Database = db;
            if (uri.UserInfo.Length > 0)
            {
                var parts = uri.UserInfo.Split(':', 2);
                b.Username = Uri.UnescapeDataString(parts[0]);
                if (parts.Length == 2) b.Password = Uri.UnescapeDataString(parts[1]);
            }
            foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var kv = pair.Split('=', 2);
                b[Uri.UnescapeDataString(kv[0])] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            }
            return b.ConnectionString;
        }
        catch (Exception e) when (e is ArgumentException or UriFormatException or FormatException or KeyNotFoundException)
        {
            throw new ArgumentException($"Store 'postgres:' has an invalid connection ({e.Message}); use an Npgsql connection string (Host=...;Database=...) or postgres://user:pass@host:port/db");
        }
    }
}
