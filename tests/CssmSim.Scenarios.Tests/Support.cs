using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CssmSim.Scenarios.Loading;
using CssmSim.Scenarios.Model;
using CssmSim.Scenarios.Running;
using CssmSim.Testing;

namespace CssmSim.Scenarios.Tests;

internal static class Repo
{
    /// <summary>The repository root (the folder holding CssmSim.sln), found upwards from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    public static string Scenarios => Path.Combine(Root, "scenarios");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CssmSim.sln"))) return dir.FullName;
        throw new InvalidOperationException("CssmSim.sln not found above " + AppContext.BaseDirectory);
    }

    public static IEnumerable<string> ScenarioFiles() =>
        Directory.EnumerateFiles(Scenarios, "*.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;
}

internal static class Run
{
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Loads <paramref name="yaml"/> and runs it against a fresh in-process simulator.</summary>
    public static async Task<ScenarioResult> InProcessAsync(string yaml, Func<Uri, RunOptions>? options = null)
    {
        await using var sim = await CssmSimulator.StartAsync(ct: Ct);
        return await AgainstAsync(sim.BaseAddress, ScenarioLoader.Load(yaml, "test.yaml"), options);
    }

    public static async Task<ScenarioResult> AgainstAsync(Uri target, ScenarioDocument doc, Func<Uri, RunOptions>? options = null)
    {
        using var runner = new ScenarioRunner(options?.Invoke(target) ?? new RunOptions { Target = target });
        return await runner.RunAsync(doc, ct: Ct);
    }

    public static string Describe(ScenarioResult r) =>
        (r.Error is null ? "" : "error: " + r.Error + "\n") + string.Join("\n", r.Expectations.Select(e => $"line {e.Line} {(e.Passed ? "pass" : "FAIL")} {e.Description} -> {e.Actual}"))
        + "\nsteps:\n" + string.Join("\n", r.Steps.Select(s => $"line {s.Line} {s.Description} -> {s.Summary}"));
}

/// <summary><c>cssmsim serve</c> as a separate process on a free loopback port, as a QA engineer starts it in another shell.</summary>
internal sealed class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Text.StringBuilder _output = new();

    private ServeProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<ServeProcess> StartAsync()
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((IPEndPoint)l.LocalEndpoint).Port;
        }
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "cssmsim.dll"), "serve", "--urls", $"http://127.0.0.1:{port}", "--store", "memory" })
            psi.ArgumentList.Add(a);
        var p = new ServeProcess(Process.Start(psi)!, new Uri($"http://127.0.0.1:{port}/"));
        p._process.OutputDataReceived += (_, e) => p.Collect(e.Data);
        p._process.ErrorDataReceived += (_, e) => p.Collect(e.Data);
        p._process.BeginOutputReadLine();
        p._process.BeginErrorReadLine();
        var exited = p._process.WaitForExitAsync(Run.Ct);
        var done = await Task.WhenAny(p._listening.Task, exited).WaitAsync(TimeSpan.FromSeconds(60), Run.Ct);
        if (done != p._listening.Task) throw new InvalidOperationException("cssmsim serve exited before listening:\n" + p._output);
        return p;
    }

    private void Collect(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        if (line.Contains("listening on", StringComparison.Ordinal)) _listening.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
