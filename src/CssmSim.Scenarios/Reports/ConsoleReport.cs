using CssmSim.Scenarios.Model;
using CssmSim.Scenarios.Running;
using Spectre.Console;

namespace CssmSim.Scenarios.Reports;

/// <summary>
/// What a person sees: each step as it runs (a live progress bar on a terminal, plain lines when
/// the output is a file or a pipe), then a table per scenario with every expectation, pass or
/// fail, and the actual value.
/// </summary>
public sealed class ConsoleReport
{
    private readonly IAnsiConsole _console;
    private readonly TextWriter _output;

    public ConsoleReport(TextWriter output, bool interactive)
    {
        Interactive = interactive;
        _output = output;
        _console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!interactive) _console.Profile.Width = 160;
    }

    /// <summary>Live progress bars (a terminal) rather than plain lines.</summary>
    public bool Interactive { get; }

    /// <summary>Runs <paramref name="run"/>, showing its steps as they go.</summary>
    public async Task<ScenarioResult> RunAsync(ScenarioDocument scenario, Func<IScenarioObserver, Task<ScenarioResult>> run)
    {
        _console.MarkupLine($"[bold]{Markup.Escape(scenario.Name)}[/] [grey]({Markup.Escape(scenario.Path)})[/]");
        if (!Interactive) return await run(new PlainObserver(_output));
        ScenarioResult? result = null;
        await _console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx => result = await run(new ProgressObserver(ctx)));
        return result!;
    }

    public void WriteResult(ScenarioResult result)
    {
        if (result.Expectations.Count > 0)
        {
            var table = new Table().Border(Interactive ? TableBorder.Rounded : TableBorder.Ascii)
                .AddColumn("line").AddColumn("expectation").AddColumn("result").AddColumn("actual");
            foreach (var e in result.Expectations)
                table.AddRow(e.Line.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(e.Description),
                    e.Passed ? "[green]pass[/]" : "[red]FAIL[/]", Markup.Escape(e.Actual));
            _console.Write(table);
        }
        if (result.Error is not null) _console.MarkupLine($"[red]error:[/] {Markup.Escape(result.Error)}");
        var verdict = result.Passed ? "[green]PASSED[/]" : "[red]FAILED[/]";
        _console.MarkupLine($"{verdict} {Markup.Escape(result.Scenario.Name)}: {result.Expectations.Count(e => e.Passed)} of {result.Expectations.Count} expectations met in {result.Elapsed.TotalSeconds:0.00} s");
        _console.WriteLine();
    }

    public void WriteSummary(IReadOnlyList<ScenarioResult> results)
    {
        if (results.Count < 2) return;
        var passed = results.Count(r => r.Passed);
        _console.MarkupLine($"{(passed == results.Count ? "[green]" : "[red]")}scenarios: {passed} passed, {results.Count - passed} failed[/]");
    }

    private sealed class PlainObserver(TextWriter console) : IScenarioObserver
    {
        private int _index;
        private int _count;

        public void StepStarted(int index, int count, ScenarioAction step) => (_index, _count) = (index, count);

        public void Advanced(int done, int total) { }

        public void StepFinished(StepResult result) =>
            console.WriteLine($"  [{_index}/{_count}] line {result.Line}: {result.Description} -> {result.Summary} ({result.Elapsed.TotalMilliseconds:0} ms)");
    }

    private sealed class ProgressObserver(ProgressContext ctx) : IScenarioObserver
    {
        private ProgressTask? _task;
        private string _label = "";

        public void StepStarted(int index, int count, ScenarioAction step)
        {
            _label = $"[{index}/{count}] {step.Name}";
            _task = ctx.AddTask(Markup.Escape(_label), maxValue: 1);
        }

        public void Advanced(int done, int total)
        {
            if (_task is null) return;
            _task.MaxValue = Math.Max(1, total);
            _task.Value = done;
        }

        public void StepFinished(StepResult result)
        {
            if (_task is null) return;
            _task.Description = Markup.Escape($"{_label}: {result.Summary}");
            _task.Value = _task.MaxValue;
            _task.StopTask();
        }
    }
}
