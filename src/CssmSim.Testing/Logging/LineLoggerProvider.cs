using Microsoft.Extensions.Logging;

namespace CssmSim.Testing;

/// <summary>
/// Writes the simulator's log as single lines to a delegate, e.g. <c>Console.WriteLine</c> or a
/// test framework's output. A line that fails to write (its test already ended) is dropped: logging
/// never fails a request.
/// </summary>
public sealed class LineLoggerProvider : ILoggerProvider
{
    private readonly Action<string> _writeLine;

    /// <param name="writeLine">Receives each formatted line.</param>
    public LineLoggerProvider(Action<string> writeLine)
    {
        ArgumentNullException.ThrowIfNull(writeLine);
        _writeLine = writeLine;
    }

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new LineLogger(ShortName(categoryName), _writeLine);

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    // "CssmSim.Server.Pipeline.ErrorHandling" reads better as "ErrorHandling" in a test's output.
    private static string ShortName(string category) => category.LastIndexOf('.') is var dot and >= 0 ? category[(dot + 1)..] : category;

    private sealed class LineLogger(string category, Action<string> write) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var line = $"[cssmsim {Level(logLevel)}] {category}: {formatter(state, exception)}";
            if (exception is not null) line += Environment.NewLine + exception;
            try
            {
                write(line);
            }
            catch (InvalidOperationException)
            {
                // A test framework's output helper (xunit's) refuses writes once its test has finished.
            }
        }

        private static string Level(LogLevel level) => level switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            _ => "crit",
        };
    }
}
