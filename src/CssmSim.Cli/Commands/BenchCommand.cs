using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Storage.Sqlite;
using CssmSim.Engine.Usage;
using CssmSim.Server.Hosting;

namespace CssmSim.Cli.Commands;

/// <summary>
/// <c>cssmsim bench populate</c>: fills a store with product instances and usage reports through
/// the storage layer's bulk inserts, for memory and query benchmarks on a lab-sized database
/// (docs/performance.md). Each instance gets one synthetic ACK for its reports.
/// </summary>
public static class BenchCommand
{
    private const string DefaultTag = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";

    public static Command Create()
    {
        var instances = new Option<int>("--instances") { Description = "Product instances to add (default 100000).", DefaultValueFactory = _ => 100_000 };
        var reports = new Option<long>("--reports") { Description = "Usage reports to add, spread evenly over the instances (default 1000000).", DefaultValueFactory = _ => 1_000_000 };
        var store = new Option<string>("--store") { Description = "sqlite:PATH or postgres:CONN to fill (default sqlite:bench.db).", DefaultValueFactory = _ => "sqlite:bench.db" };
        var seed = new Option<string>("--seed") { Description = "Seed document the store starts from, as serve would apply it (default: the demo account)." };
        var account = new Option<string>("--account") { Description = "Smart Account domain that gets the instances (default example.com).", DefaultValueFactory = _ => "example.com" };
        var va = new Option<string>("--virtual-account") { Description = "Virtual Account that gets the instances (default DEFAULT).", DefaultValueFactory = _ => "DEFAULT" };
        var pid = new Option<string>("--pid") { Description = "Product id of the instances (default C9800-CL-K9).", DefaultValueFactory = _ => "C9800-CL-K9" };
        var prefix = new Option<string>("--serial-prefix") { Description = "Serial numbers are PREFIX000001, PREFIX000002, … (default BENCH).", DefaultValueFactory = _ => "BENCH" };
        var batch = new Option<int>("--batch") { Description = "Instances per transaction (default 5000).", DefaultValueFactory = _ => 5000 };
        var populate = new Command("populate", "Bulk-insert product instances and usage reports into a SQLite or PostgreSQL store (ACKs marked synthetic).")
        {
            instances, reports, store, seed, account, va, pid, prefix, batch,
        };
        populate.SetAction(async (parse, ct) =>
        {
            var flags = new Dictionary<string, string?> { ["Store"] = parse.GetValue(store) };
            if (parse.GetValue(seed) is { } s) flags["Seed"] = s;
            var request = new PopulateRequest(parse.GetValue(instances), parse.GetValue(reports), parse.GetValue(account)!, parse.GetValue(va)!,
                parse.GetValue(pid)!, parse.GetValue(prefix)!, parse.GetValue(batch));
            return await PopulateAsync(ServeCommand.BuildConfiguration(flags), request, ct);
        });
        var bench = new Command("bench", "Benchmark helpers.");
        bench.Subcommands.Add(populate);
        return bench;
    }

    private sealed record PopulateRequest(int Instances, long Reports, string Account, string VirtualAccount, string Pid, string SerialPrefix, int Batch);

    private static async Task<int> PopulateAsync(Microsoft.Extensions.Configuration.IConfiguration config, PopulateRequest request, CancellationToken ct)
    {
        if (request.Instances < 1 || request.Reports < 0 || request.Batch < 1)
        {
            await Console.Error.WriteLineAsync("cssmsim: --instances and --batch must be at least 1, --reports at least 0");
            return 2;
        }
        SimulatorOptions options;
        try
        {
            options = SimulatorOptions.FromConfiguration(config);
        }
        catch (SimulatorConfigurationException e)
        {
            await Console.Error.WriteLineAsync("cssmsim: " + e.Message);
            return 2;
        }
        if (options.Store.Engine == StoreEngine.SqliteMemory)
        {
            await Console.Error.WriteLineAsync("cssmsim: bench populate fills a store that outlives it: use --store sqlite:PATH or postgres:CONN");
            return 2;
        }
        if (Engine.ProductInstances.Udi.Problem(request.Pid, request.SerialPrefix + "1") is { } problem)
        {
            await Console.Error.WriteLineAsync("cssmsim: " + problem);
            return 2;
        }

        var clock = Stopwatch.StartNew();
        await using var store = SimulatorStores.Open(options.Store, options.SqliteSynchronous);
        // The same start-up as serve: migrations, then the seed (serve will find it applied).
        var seeds = new SeedService(store, TimeProvider.System, options.Seed, options.SeedText, options.RandomSeed);
        try
        {
            await seeds.InitializeAsync(ct);
        }
        catch (Exception e) when (e is InvalidOperationException or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"cssmsim: cannot open store {options.Store}: {e.Message}");
            return 1;
        }
        var sa = await store.Accounts.FindSmartAccountAsync(request.Account, ct);
        var va = sa is null ? null : await store.Accounts.FindVirtualAccountAsync(sa.Id, request.VirtualAccount, ct);
        if (va is null)
        {
            await Console.Error.WriteLineAsync($"cssmsim: no Virtual Account '{request.VirtualAccount}' in Smart Account '{request.Account}' after seeding");
            return 2;
        }

        var ids = seeds.Ids;
        var now = DateTimeOffset.UtcNow;
        long added = 0, addedReports = 0, addedAcks = 0, nextReport = 0;
        for (var first = 1; first <= request.Instances; first += request.Batch)
        {
            var last = Math.Min(request.Instances, first + request.Batch - 1);
            var pis = new List<StoredProductInstance>(last - first + 1);
            var rows = new List<BulkReport>();
            var acks = new List<BulkAck>(last - first + 1);
            for (var i = first; i <= last; i++)
            {
                var serial = request.SerialPrefix + i.ToString("D6", CultureInfo.InvariantCulture);
                var udi = $"PID:{request.Pid},SN:{serial}";
                pis.Add(ProductInstanceRegistry.Untrusted(new Udi(request.Pid, serial), Piids.For(ids, udi), va.Id, serial.ToLowerInvariant(), now, now));
                // Reports spread evenly: instance i gets the i-th share of the total.
                var mine = request.Reports * i / request.Instances - request.Reports * (i - 1) / request.Instances;
                var reportIds = new List<string>((int)mine);
                for (var n = 0; n < mine; n++)
                {
                    var id = (ulong)(1_000_000_000 + nextReport++);
                    var end = now.AddDays(n - mine);
                    var builder = new RumReportBuilder(new RumUdi(request.Pid, serial), DefaultTag, id) { AssetName = serial.ToLowerInvariant() };
                    builder.AddMeasurement(1, end.AddDays(-1), end);
                    var idText = id.ToString(CultureInfo.InvariantCulture);
                    rows.Add(new BulkReport(new NewUsageReport(udi, idText, idText, true, DefaultTag, 1, end, builder.Build(), null, "bench"), end, "ACKED"));
                    reportIds.Add(idText);
                }
                if (mine > 0) acks.Add(new BulkAck(ids.Uuid5($"bench-ack/{udi}").ToString(), udi, va.Id, now, reportIds));
            }
            var (p, r, a) = await store.Bulk.InsertAsync(new BulkBatch(pis, rows, acks), ct);
            added += p;
            addedReports += r;
            addedAcks += a;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {last:N0} of {request.Instances:N0} instances ({clock.Elapsed.TotalSeconds:0.0} s)"));
        }
        var size = (store is Engine.Storage.Postgres.PostgresSimulatorStore postgres
            ? await postgres.DatabaseSizeAsync(ct) : new FileInfo(options.Store.Path!).Length) / 1048576.0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Added {added:N0} product instances, {addedReports:N0} usage reports and {addedAcks:N0} synthetic ACKs to {options.Store} ({size:0} MB) in {clock.Elapsed.TotalSeconds:0.0} s"));
        if (added < request.Instances)
            Console.WriteLine($"({request.Instances - added:N0} instances were there already and were left as they were)");
        return 0;
    }
}
