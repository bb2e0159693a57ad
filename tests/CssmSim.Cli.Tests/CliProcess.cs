using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CssmSim.Cli.Tests;

/// <summary>Runs the built <c>cssmsim</c> executable as a child process, as a user would.</summary>
public sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Text.StringBuilder _output = new();
    private TaskCompletionSource _newLine = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CliProcess(Process process) => _process = process;

    public string Output { get { lock (_output) return _output.ToString(); } }

    public static CliProcess Start(string workingDirectory, IDictionary<string, string>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(CliDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var p = new CliProcess(Process.Start(psi)!);
        p._process.OutputDataReceived += (_, e) => p.Collect(e.Data);
        p._process.ErrorDataReceived += (_, e) => p.Collect(e.Data);
        p._process.BeginOutputReadLine();
        p._process.BeginErrorReadLine();
        return p;
    }

    private void Collect(string? line)
    {
        if (line is null) return;
        TaskCompletionSource signal;
        lock (_output)
        {
            _output.AppendLine(line);
            signal = _newLine;
            _newLine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        signal.TrySetResult();
        if (line.Contains("listening on", StringComparison.Ordinal)) _listening.TrySetResult(line);
    }

    /// <summary>Waits for the banner (or the process to end) instead of polling with sleeps.</summary>
    public async Task WaitUntilListeningAsync()
    {
        var exited = _process.WaitForExitAsync(TestContext.Current.CancellationToken);
        var done = await Task.WhenAny(_listening.Task, exited).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        if (done != _listening.Task) throw new InvalidOperationException("cssmsim exited before listening:\n" + Output);
    }

    /// <summary>Waits until the output holds <paramref name="text"/> (lines after the banner arrive a little later).</summary>
    public async Task WaitForOutputAsync(string text)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            Task next;
            lock (_output)
            {
                if (_output.ToString().Contains(text, StringComparison.Ordinal)) return;
                next = _newLine.Task;
            }
            if (_process.HasExited) throw new InvalidOperationException($"cssmsim exited without printing '{text}':\n" + Output);
            await next.WaitAsync(TimeSpan.FromSeconds(1), timeout.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            if (timeout.IsCancellationRequested) throw new TimeoutException($"cssmsim did not print '{text}':\n" + Output);
        }
    }

    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        _process.WaitForExit(); // flushes the redirected output
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown hooks run, like a crash.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>The cssmsim.dll built beside this test assembly (the test project references the CLI).</summary>
    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "cssmsim.dll");
}
