using System.Diagnostics;
using System.Globalization;

namespace CssmSim.Load;

/// <summary>
/// A process under test started by the driver: <c>cssmsim serve</c> (the cssmsim.dll built beside
/// the driver) or the driver itself in <c>bare</c> mode. Its RSS is read from /proc.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Text.StringBuilder _output = new();

    private ServerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }
    public int Pid => _process.Id;
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>The cssmsim.dll built beside this assembly.</summary>
    public static string CssmsimDll => Path.Combine(AppContext.BaseDirectory, "cssmsim.dll");

    /// <summary>Starts <c>cssmsim serve --urls URL --store STORE</c> in <paramref name="workingDirectory"/> and waits for its banner.</summary>
    /// <param name="cssmsim">Another cssmsim.dll to start (another build, to compare), else <see cref="CssmsimDll"/>.</param>
    /// <param name="startTimeout">How long it may take to listen (default 60 s; a first start on a large store migrates it).</param>
    public static Task<ServerProcess> StartSimulatorAsync(string url, string store, string workingDirectory,
        IDictionary<string, string>? environment = null, CancellationToken ct = default, string? cssmsim = null, TimeSpan? startTimeout = null) =>
        // Warning: a console line per request would weigh on the throughput figures.
        StartAsync(cssmsim ?? CssmsimDll, ["serve", "--urls", url, "--store", store, "--log-level", "Warning"], url, workingDirectory, environment, ct, startTimeout);

    /// <summary>Starts this driver's bare ASP.NET Core comparison server.</summary>
    public static Task<ServerProcess> StartBareAsync(string url, CancellationToken ct = default) =>
        StartAsync(Path.Combine(AppContext.BaseDirectory, "cssmsim-load.dll"), ["bare", "--urls", url], url, AppContext.BaseDirectory, null, ct);

    private static async Task<ServerProcess> StartAsync(string dll, string[] args, string url, string workingDirectory,
        IDictionary<string, string>? environment, CancellationToken ct, TimeSpan? startTimeout = null)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var server = new ServerProcess(Process.Start(psi)!, new Uri(url.TrimEnd('/') + "/"));
        server._process.OutputDataReceived += (_, e) => server.Collect(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Collect(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        var exited = server._process.WaitForExitAsync(ct);
        var done = await Task.WhenAny(server._listening.Task, exited).WaitAsync(startTimeout ?? TimeSpan.FromSeconds(60), ct);
        if (done != server._listening.Task)
            throw new InvalidOperationException($"{Path.GetFileName(dll)} {string.Join(' ', args)} exited before listening:\n{server.Output}");
        return server;
    }

    private void Collect(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        if (line.Contains("listening on", StringComparison.Ordinal)) _listening.TrySetResult();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Resident set size in bytes (VmRSS), or null when the process is gone.</summary>
    public long? RssBytes() => Rss.Of(_process.Id);

    public TimeSpan? CpuTime() => Rss.CpuOf(_process.Id);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}

/// <summary>Reads VmRSS from /proc (Linux).</summary>
public static class Rss
{
    public static long? Of(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
                var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>CPU time (user + system) the process has used, from /proc/PID/stat; null when unreadable.</summary>
    public static TimeSpan? CpuOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    public static string Mb(long? bytes) => bytes is { } b ? (b / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB" : "n/a";
}
