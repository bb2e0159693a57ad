using System.Globalization;
using CssmSim.Engine.Signing;
using CssmSim.Load;

// cssmsim-load MODE [--flag value]...; see Usage below and docs/performance.md.
const string Usage = """
    cssmsim-load MODE [options]: drives a cssmsim serve over HTTP and prints rate, latency percentiles and errors.
    Without --target it starts `cssmsim serve` itself (the cssmsim.dll beside it) on --port with --store, and stops it after.

    modes:
      trust      TRUST_ESTABLISHMENT of new UDIs (closed loop), with the raw signing rate measured before and after
      report     USAGE_REPORTING (answered OK_POLL) and the RESULT_POLLING that brings its ACK, --per-request reports per message (closed loop, one trusted device per client)
      control    GET /_sim/health against a bare ASP.NET Core minimal endpoint started on --bare-port, alternating, same run
      ingest     a CSLU nested tar of --devices devices: upload, final status, ACK download (--runs times)
      memory     RSS of the server idle, after --duration s of warm-up (point --store at a `cssmsim bench populate` file)
      soak       mixed load at --rate ops/s for --duration s, sampling errors and RSS every --interval s; exit 1 on failure
      signing    the raw signing rate only
      suite      signing, trust, report 1 and 100, control, ingest, one after another against one server
      scale      SSM On-Prem's size: populate a SQLite file, serve it, time issue 21's scale calls (p50/p95 of --rounds), RSS, reset; each target met or not
      bare       run the bare comparison server (used by `control`)

    options (defaults):
      --target URL            a running simulator (with --pid PID to read its RSS); URL1,URL2,... replicas on one database, in turn
      --port 18082            where a started simulator listens
      --store sqlite:TMP/load.db   store of a started simulator (memory, sqlite:PATH, postgres:CONN)
      --synchronous NORMAL    Sqlite:Synchronous of a started simulator (FULL for power-loss durability)
      --algorithm ECDSA       Signing:Algorithm of a started simulator, and of the raw signing rate (RSA)
      --clients 16            concurrent clients
      --duration 20           seconds measured (soak: run length)
      --warmup 5              seconds of the same load before measuring
      --settle 0              more seconds of warm-up on the target's first phase and on the bare server (tiered compilation settles in ~40 s)
      --per-request 1         reports per USAGE_REPORTING message
      --devices 10000         devices in the ingest tar; --runs 3; --trust-requests false
      --bare-port 18092       bare server port; --rounds 2; --slices 5 (each round alternates 5 slices of each server, ABBA)
      --rate 50               soak: operations per second; --interval 10; --rss-bound 64 (MB)
      scale: --instances 300000 --reports 3000000 --rounds 5 --reset-rounds 3 --dir /tmp/cssmsim-scale (the file, GBs, deleted after
             unless --keep true; an existing one is reused) --db PATH --cssmsim PATH (another build's cssmsim.dll, to compare) --port 18083
             --warm true (one untimed call of each first)
    """;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine(Usage);
    return 0;
}
var mode = args[0];
var opts = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 1; i < args.Length; i++)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
    {
        Console.Error.WriteLine($"cssmsim-load: expected --flag value, got '{args[i]}'\n\n{Usage}");
        return 2;
    }
    opts[args[i][2..]] = args[++i];
}
string Opt(string name, string fallback) => opts.GetValueOrDefault(name, fallback);
int Int(string name, int fallback) => int.Parse(Opt(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
double Dbl(string name, double fallback) => double.Parse(Opt(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

if (mode == "bare")
{
    await BareServer.RunAsync(Opt("urls", "http://127.0.0.1:18092"));
    return 0;
}

var clients = Int("clients", 16);
var duration = TimeSpan.FromSeconds(Dbl("duration", 20));
var warmup = TimeSpan.FromSeconds(Dbl("warmup", 5));
var algorithm = Opt("algorithm", "ECDSA").Equals("RSA", StringComparison.OrdinalIgnoreCase) ? SigningAlgorithm.Rsa : SigningAlgorithm.Ecdsa;
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
var ct = cts.Token;

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"# {DateTimeOffset.UtcNow:u} cssmsim-load {string.Join(' ', args)}\n# {Environment.ProcessorCount} cores, {Machine.CpuModel()}, .NET {Environment.Version}, load average {Machine.LoadAverage()}"));

if (mode == "scale")
{
    return await Scale.RunAsync(new Scale.Options(Int("instances", 300_000), long.Parse(Opt("reports", "3000000"), CultureInfo.InvariantCulture),
        Int("rounds", 5), Int("reset-rounds", 3), Opt("dir", Path.Combine(Path.GetTempPath(), "cssmsim-scale")), bool.Parse(Opt("keep", "false")),
        Path.GetFullPath(Opt("cssmsim", ServerProcess.CssmsimDll)), Int("port", 18083), opts.GetValueOrDefault("db"),
        bool.Parse(Opt("warm", "true"))), ct);
}

if (mode == "signing")
{
    var (rate, _) = await SigningRate.MeasureAsync(algorithm, Environment.ProcessorCount, duration);
    Console.WriteLine(SigningRate.Describe(algorithm, Environment.ProcessorCount, rate));
    return 0;
}

ServerProcess? started = null;
Uri target;
Func<long?> rss;
Func<TimeSpan?> cpu;
if (opts.TryGetValue("target", out var t))
{
    // Several URLs: replicas on one database, sent to in turn (the first also serves the setup calls).
    Workloads.Replicas = [.. t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(u => new Uri(u.TrimEnd('/') + "/"))];
    target = Workloads.Replicas[0];
    var pid = opts.TryGetValue("pid", out var p) ? int.Parse(p, CultureInfo.InvariantCulture) : (int?)null;
    rss = () => pid is { } id ? Rss.Of(id) : null;
    cpu = () => pid is { } id ? Rss.CpuOf(id) : null;
}
else
{
    var dir = Directory.CreateTempSubdirectory("cssmsim-load-").FullName;
    var store = Opt("store", "sqlite:" + Path.Combine(dir, "load.db"));
    var env = new Dictionary<string, string>
    {
        ["CSSMSIM__Sqlite__Synchronous"] = Opt("synchronous", "NORMAL"),
        ["CSSMSIM__Signing__Algorithm"] = algorithm == SigningAlgorithm.Rsa ? "RSA" : "ECDSA",
    };
    started = await ServerProcess.StartSimulatorAsync($"http://127.0.0.1:{Int("port", 18082)}", store, dir, env, ct);
    Console.WriteLine($"# started cssmsim serve (pid {started.Pid}) on {started.BaseAddress} with store {store}, synchronous {env["CSSMSIM__Sqlite__Synchronous"]}, signing {env["CSSMSIM__Signing__Algorithm"]}");
    target = started.BaseAddress;
    rss = started.RssBytes;
    cpu = started.CpuTime;
}

var exit = 0;
try
{
    var runner = new Modes(target, rss, cpu, clients, duration, warmup, algorithm, Opt, Int, Dbl);
    exit = mode switch
    {
        "trust" => await runner.TrustAsync(ct),
        "report" => await runner.ReportAsync(Int("per-request", 1), ct),
        "control" => await runner.ControlAsync(ct),
        "ingest" => await runner.IngestAsync(ct),
        "memory" => await runner.MemoryAsync(ct),
        "soak" => await runner.SoakAsync(ct),
        "suite" => await runner.SuiteAsync(ct),
        _ => throw new ArgumentException($"unknown mode '{mode}'\n\n{Usage}"),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine("cssmsim-load: " + e.Message);
    exit = 2;
}
finally
{
    if (started is not null)
    {
        Console.WriteLine($"# server RSS at the end: {Rss.Mb(started.RssBytes())}");
        await started.DisposeAsync();
    }
}
return exit;
