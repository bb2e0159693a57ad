using System.ComponentModel;
using System.Diagnostics;
using Xunit;

namespace CssmSim.Engine.Tests.Signing;

/// <summary>A directory of its own per test, removed afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cssmsim-signing-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder must not fail the test that used it.
        }
    }
}

internal sealed record OpenSslResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string Output => StandardOutput + StandardError;
}

/// <summary>Runs the system <c>openssl</c>, the independent verifier the spec promises to users.</summary>
internal static class OpenSsl
{
    private static readonly Lazy<bool> Available = new(() =>
    {
        try
        {
            return RunCore(Environment.CurrentDirectory, ["version"], CancellationToken.None).ExitCode == 0;
        }
        catch (Win32Exception)
        {
            return false;
        }
    });

    /// <summary>Skips (visibly) where openssl is not installed rather than pretending to verify.</summary>
    public static void RequireInstalled() =>
        Assert.SkipUnless(Available.Value, "openssl is not on PATH; install it to run the openssl interoperability checks.");

    public static OpenSslResult Run(string workingDirectory, params string[] arguments)
    {
        RequireInstalled();
        return RunCore(workingDirectory, arguments, TestContext.Current.CancellationToken);
    }

    private static OpenSslResult RunCore(string workingDirectory, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("openssl")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("openssl did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        process.WaitForExitAsync(timeout.Token).GetAwaiter().GetResult();
        return new OpenSslResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}

internal static class RepositoryRoot
{
    /// <summary>The folder holding CssmSim.sln, found by walking up from the test binaries.</summary>
    public static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CssmSim.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No CssmSim.sln above {AppContext.BaseDirectory}.");
    }
}
