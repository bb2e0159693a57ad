using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace CssmSim.Tests.Shared;

/// <summary>
/// The PostgreSQL server the tests of one run use: the one <c>CSSMSIM_TEST_POSTGRES</c> names (an
/// Npgsql connection string to a database where the tests may create schemas and databases; set by
/// <c>./run-sim.sh test</c>, which starts one cluster for every test project), or else a throwaway
/// cluster this process starts on a free loopback port with the machine's <c>initdb</c>/<c>pg_ctl</c>
/// and stops when the tests end. Nothing is installed: without PostgreSQL the tests that need it fail
/// saying so.
/// </summary>
public static class PostgresTestServer
{
    public const string Variable = "CSSMSIM_TEST_POSTGRES";

    private static readonly Lazy<Task<string>> Server = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);
    private static Cluster? _cluster;

    /// <summary>A connection string to the server's <c>postgres</c> database (admin rights).</summary>
    public static Task<string> AdminConnectionAsync() => Server.Value;

    /// <summary>
    /// A new, empty schema of its own on the shared server: a store on the returned connection string
    /// is as fresh as a new SQLite file, and stores opened on it share it as processes share a file.
    /// </summary>
    public static async Task<string> NewSchemaAsync()
    {
        var admin = await AdminConnectionAsync();
        var schema = "t_" + Guid.NewGuid().ToString("N");
        await using (var c = new NpgsqlConnection(admin))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE SCHEMA {schema}", c);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(admin) { SearchPath = schema, MaxPoolSize = 8 }.ConnectionString;
    }

    /// <summary>A new, empty database of its own (for <c>cssmsim serve</c> processes, which take the default schema).</summary>
    public static async Task<string> NewDatabaseAsync()
    {
        var admin = await AdminConnectionAsync();
        var name = "d_" + Guid.NewGuid().ToString("N");
        await using (var c = new NpgsqlConnection(admin))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    /// <summary>Drops a schema <see cref="NewSchemaAsync"/> made (best effort: the cluster is thrown away anyway).</summary>
    public static async Task DropSchemaAsync(string connection)
    {
        var schema = new NpgsqlConnectionStringBuilder(connection).SearchPath;
        if (string.IsNullOrEmpty(schema) || !schema.StartsWith("t_", StringComparison.Ordinal)) return;
        try
        {
            await using var c = new NpgsqlConnection(await AdminConnectionAsync());
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE", c);
            await cmd.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
        }
    }

    /// <summary>Stops the cluster this process started, if any.</summary>
    public static void Stop()
    {
        var cluster = Interlocked.Exchange(ref _cluster, null);
        cluster?.Stop();
    }

    private static async Task<string> StartAsync()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } given) return given;
        var cluster = await Task.Run(Cluster.Start);
        _cluster = cluster;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
        return cluster.ConnectionString;
    }

    private sealed class Cluster
    {
        private readonly string _dir;
        private readonly string _pgCtl;
        private readonly bool _asPostgresUser;

        private Cluster(string dir, string pgCtl, bool asPostgresUser, int port)
        {
            _dir = dir;
            _pgCtl = pgCtl;
            _asPostgresUser = asPostgresUser;
            ConnectionString = new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1", Port = port, Username = "postgres", Database = "postgres", Pooling = true, Timeout = 30,
            }.ConnectionString;
        }

        public string ConnectionString { get; }

        public static Cluster Start()
        {
            var bin = FindBin() ?? throw new InvalidOperationException(
                $"PostgreSQL is needed by these tests: no initdb on PATH or in /usr/lib/postgresql/*/bin (apt-get install postgresql-15), or set {Variable}");
            var dir = Path.Combine(Path.GetTempPath(), "cssmsim-pg-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(dir);
            // PostgreSQL refuses to run as root: as root the cluster belongs to the postgres user.
            var root = Environment.UserName == "root";
            if (root) Run("chown", "postgres:postgres", dir);
            var port = FreePort();
            var cluster = new Cluster(dir, Path.Combine(bin, "pg_ctl"), root, port);
            cluster.As(Path.Combine(bin, "initdb"), "-D", Path.Combine(dir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "-N");
            cluster.As(cluster._pgCtl, "-D", Path.Combine(dir, "data"), "-l", Path.Combine(dir, "log"), "-w", "-o",
                $"-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                "start");
            return cluster;
        }

        public void Stop()
        {
            try
            {
                As(_pgCtl, "-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop");
            }
            catch (InvalidOperationException)
            {
            }
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        private void As(string program, params string[] args)
        {
            if (_asPostgresUser) Run("runuser", ["-u", "postgres", "--", program, .. args]);
            else Run(program, args);
        }

        private static void Run(string program, params string[] args)
        {
            var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {program}");
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            if (p.ExitCode != 0)
                throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Result}{stdout.Result}");
        }

        private static string? FindBin()
        {
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"))) return dir;
            }
            const string lib = "/usr/lib/postgresql";
            if (!Directory.Exists(lib)) return null;
            return Directory.GetDirectories(lib).Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending(StringComparer.Ordinal).FirstOrDefault();
        }

        private static int FreePort()
        {
            using var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            return ((IPEndPoint)l.LocalEndpoint).Port;
        }
    }
}
