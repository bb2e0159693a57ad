using CssmSim.Scenarios.Model;

namespace CssmSim.Scenarios.Running;

/// <summary>One step as it ran: what it did in a few words (e.g. <c>trusted 37 of 50; failed LS_LICENGINE_FAIL_TO_CONNECT 13</c>).</summary>
public sealed record StepResult(int Line, string Description, string Summary, TimeSpan Elapsed);

/// <summary>One expectation as evaluated: pass or fail and the actual value (e.g. <c>trusted 37 of 50</c>).</summary>
public sealed record ExpectationResult(int Line, string Description, bool Passed, string Actual);

/// <summary>The outcome of one scenario run.</summary>
public sealed class ScenarioResult(ScenarioDocument scenario)
{
    public ScenarioDocument Scenario { get; } = scenario;
    public List<StepResult> Steps { get; } = [];
    public List<ExpectationResult> Expectations { get; } = [];

    /// <summary>Why the run stopped early (a step the simulator refused, an unreachable target), or null.</summary>
    public string? Error { get; set; }

    /// <summary>The line of the step that stopped the run, when <see cref="Error"/> is set.</summary>
    public int? ErrorLine { get; set; }

    public TimeSpan Elapsed { get; set; }

    public bool Passed => Error is null && Expectations.All(e => e.Passed);

    public int FailedCount => Expectations.Count(e => !e.Passed) + (Error is null ? 0 : 1);
}

/// <summary>Hears of a run's progress (the console shows it; tests ignore it).</summary>
public interface IScenarioObserver
{
    void StepStarted(int index, int count, ScenarioAction step);

    /// <summary>Requests of the current step done so far, of <paramref name="total"/>.</summary>
    void Advanced(int done, int total);

    void StepFinished(StepResult result);
}

/// <summary>How to run: where the simulator is and what to override.</summary>
public sealed record RunOptions
{
    /// <summary>The simulator's base address, e.g. <c>http://127.0.0.1:8080/</c>.</summary>
    public required Uri Target { get; init; }

    /// <summary>Sent as X-CssmSim-Key when the simulator requires a control key.</summary>
    public string? ControlKey { get; init; }

    /// <summary>Overrides the scenario seed's randomSeed.</summary>
    public long? RandomSeed { get; init; }

    /// <summary>Skip the reset; serials, token descriptions and fault ids get a run-id suffix.</summary>
    public bool NoReset { get; init; }

    /// <summary>The suffix used with <see cref="NoReset"/> (default: random).</summary>
    public string? RunId { get; init; }

    /// <summary>How long one HTTP request may take.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
