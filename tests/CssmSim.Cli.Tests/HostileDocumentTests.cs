namespace CssmSim.Cli.Tests;

/// <summary>
/// Seed and scenario files that break the YAML parser: a real <c>cssmsim</c> process must refuse
/// each with exit code 2 and <c>FILE:LINE:COL</c>, never crash (a 64 KB file nested 32,000 deep
/// overflowed the stack; an unclosed <c>{</c> threw out of YamlDotNet with exit code 1).
/// </summary>
public sealed class HostileDocumentTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cssmsim-hostile-doc-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    public static TheoryData<string> Documents() => new()
    {
        "deep-flow",
        "deep-block",
        "unclosed-brace",
        "unclosed-bracket",
        "deep-json",
    };

    private static string Text(string kind) => kind switch
    {
        "deep-flow" => "accounts: " + new string('[', 32_000) + "\n",
        "deep-block" => "accounts:\n  " + string.Concat(Enumerable.Repeat("- ", 32_000)) + "x\n",
        "unclosed-brace" => "accounts:\n  - {domain: a.test, virtualAccounts: [DEFAULT]\n",
        "unclosed-bracket" => "name: x\nsteps: [\n",
        "deep-json" => new string('[', 32_000) + new string(']', 32_000),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private string Write(string kind)
    {
        var path = Path.Combine(_dir, kind + ".yaml");
        File.WriteAllText(path, Text(kind));
        return path;
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public async Task Serve_refuses_a_hostile_seed_with_exit_code_2_and_its_position(string kind)
    {
        var path = Write(kind);
        await using var sim = CliProcess.Start(_dir, null, "serve", "--urls", $"http://127.0.0.1:{CliProcess.FreePort()}", "--store", "memory", "--seed", path);

        var code = await sim.WaitForExitAsync();

        code.ShouldBe(2, sim.Output);
        sim.Output.ShouldMatch($@"{System.Text.RegularExpressions.Regex.Escape(path)}:\d+:\d+: ", sim.Output);
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public async Task Scenario_validate_and_run_refuse_a_hostile_file_with_exit_code_2_and_its_position(string kind)
    {
        var path = Write(kind);
        foreach (var verb in new[] { "validate", "run" })
        {
            await using var cli = CliProcess.Start(_dir, null, "scenario", verb, path);

            var code = await cli.WaitForExitAsync();

            code.ShouldBe(2, $"{verb}: {cli.Output}");
            cli.Output.ShouldMatch($@"{System.Text.RegularExpressions.Regex.Escape(path)}:\d+:\d+: ", $"{verb}: {cli.Output}");
        }
    }
}
