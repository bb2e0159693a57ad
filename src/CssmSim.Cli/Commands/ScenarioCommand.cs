using System.CommandLine;
using CssmSim.Scenarios.Loading;
using CssmSim.Scenarios.Model;
using CssmSim.Scenarios.Reports;
using CssmSim.Scenarios.Running;
using CssmSim.Scenarios.Schema;

namespace CssmSim.Cli.Commands;

/// <summary><c>cssmsim scenario run|validate|schema</c>: QA scenario files (control.md §Scenario files).</summary>
public static class ScenarioCommand
{
    public const int Passed = 0, Failed = 1, Invalid = 2;

    public static Command Create()
    {
        var scenario = new Command("scenario", "QA scenario files: seed, faults, steps driving simulated product instances, expectations.");
        scenario.Subcommands.Add(Run());
        scenario.Subcommands.Add(Validate());
        scenario.Subcommands.Add(SchemaCommand());
        return scenario;
    }

    private static Argument<string[]> Files() => new("FILE") { Description = "Scenario files (YAML or JSON), or folders of them.", Arity = ArgumentArity.OneOrMore };

    private static Command Run()
    {
        var files = Files();
        var target = new Option<string?>("--target") { Description = "A running simulator's URL, e.g. http://127.0.0.1:8080 (default: one started in this process)." };
        var key = new Option<string?>("--key") { Description = "Control API key (X-CssmSim-Key) of the target." };
        // --seed is kept for existing scripts, hidden: `serve --seed` takes a seed document, so the number is --random-seed here too.
        var seed = new Option<long?>("--seed") { Description = "Former name of --random-seed.", Hidden = true };
        var randomSeed = new Option<long?>("--random-seed") { Description = "Random seed (randomSeed) for ids, tokens and probabilistic faults; overrides the scenario seed's." };
        var noReset = new Option<bool>("--no-reset") { Description = "Do not reset the simulator first; serials, token descriptions and fault ids get a run-id suffix." };
        var junit = new Option<string?>("--junit") { Description = "Also write a JUnit XML report to this file." };
        var run = new Command("run", "Run scenarios: exit 0 when every expectation holds, 1 when one fails, 2 for an invalid file or usage.")
            { files, target, key, seed, randomSeed, noReset, junit };
        run.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var documents = LoadAll(parse.GetValue(files)!, error);
            if (documents is null) return Invalid;
            Uri? targetUri = null;
            if (parse.GetValue(target) is { } t && (!Uri.TryCreate(t, UriKind.Absolute, out targetUri) || targetUri.Scheme is not ("http" or "https")))
            {
                await error.WriteLineAsync($"cssmsim: --target must be an http:// or https:// URL, not '{t}'");
                return Invalid;
            }
            if (targetUri is not null && await Unreachable(targetUri, ct) is { } why)
            {
                await error.WriteLineAsync($"cssmsim: cannot reach --target {targetUri}: {why}. Start the simulator first (./run-sim.sh or cssmsim serve), or leave out --target to run one in this process.");
                return Invalid;
            }
            var report = new ConsoleReport(output, interactive: ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected);
            await using var local = targetUri is null ? await InProcessTarget.StartAsync(ct) : null;
            var options = new RunOptions
            {
                Target = targetUri ?? local!.BaseAddress,
                ControlKey = parse.GetValue(key),
                RandomSeed = parse.GetValue(randomSeed) ?? parse.GetValue(seed),
                NoReset = parse.GetValue(noReset),
            };
            await output.WriteLineAsync(local is null ? $"target: {options.Target}" : $"target: a simulator in this process at {options.Target}");
            using var runner = new ScenarioRunner(options);
            var results = new List<ScenarioResult>();
            foreach (var doc in documents)
            {
                var result = await report.RunAsync(doc, observer => runner.RunAsync(doc, observer, ct));
                report.WriteResult(result);
                results.Add(result);
            }
            report.WriteSummary(results);
            if (parse.GetValue(junit) is { } path)
            {
                JUnitWriter.Write(path, results);
                await output.WriteLineAsync($"JUnit report: {Path.GetFullPath(path)}");
            }
            return results.All(r => r.Passed) ? Passed : Failed;
        });
        return run;
    }

    // A target that does not answer is a usage error (exit 2), not "0 of 0 expectations met" (exit 1).
    private static async Task<string?> Unreachable(Uri target, CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) }) { Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            using var reply = await http.GetAsync(new Uri(target, "/_sim/health"), ct);
            return null; // any HTTP answer: the control key or the health body is the runner's business
        }
        catch (HttpRequestException e)
        {
            return e.InnerException?.Message ?? e.Message;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return "no answer within 30 s";
        }
    }

    private static Command Validate()
    {
        var files = Files();
        var validate = new Command("validate", "Check scenario files without running them: exit 0 when valid, 2 otherwise.") { files };
        validate.SetAction(async parse =>
        {
            var documents = LoadAll(parse.GetValue(files)!, parse.InvocationConfiguration.Error);
            if (documents is null) return Invalid;
            foreach (var d in documents) await parse.InvocationConfiguration.Output.WriteLineAsync($"{d.Path}: valid ({d.Steps.Count} steps, {d.Expectations.Count} expectations)");
            return Passed;
        });
        return validate;
    }

    private static Command SchemaCommand()
    {
        var schema = new Command("schema", "Print the JSON Schema of scenario files (scenarios/scenario.schema.json).");
        schema.SetAction(parse => parse.InvocationConfiguration.Output.Write(ScenarioSchema.Generate()));
        return schema;
    }

    /// <summary>Every file (folders expanded), or null after printing each problem with file and line.</summary>
    private static List<ScenarioDocument>? LoadAll(IEnumerable<string> paths, TextWriter error)
    {
        var documents = new List<ScenarioDocument>();
        var ok = true;
        foreach (var file in Expand(paths, error, ref ok))
        {
            try
            {
                documents.Add(ScenarioLoader.LoadFile(file));
            }
            catch (ScenarioFileException e)
            {
                foreach (var problem in e.Errors) error.WriteLine(problem);
                ok = false;
            }
        }
        return ok ? documents : null;
    }

    private static List<string> Expand(IEnumerable<string> paths, TextWriter error, ref bool ok)
    {
        var files = new List<string>();
        foreach (var p in paths)
        {
            if (Directory.Exists(p))
            {
                files.AddRange(Directory.EnumerateFiles(p).Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
                    || (f.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && !f.EndsWith(".schema.json", StringComparison.OrdinalIgnoreCase))).Order(StringComparer.Ordinal));
            }
            else if (File.Exists(p)) files.Add(p);
            else
            {
                error.WriteLine($"{p}: no such file or folder");
                ok = false;
            }
        }
        return files;
    }
}
