using Microsoft.Extensions.Logging;

namespace CssmSim.Testing;

/// <summary>
/// How <see cref="CssmSimulator.StartAsync"/> starts a simulator. The defaults are the fast ones:
/// in-memory store, default seed, embedded keys, system clock, HTTP only, no logging.
/// </summary>
public sealed class CssmSimulatorOptions
{
    /// <summary>The start-up seed, and what <see cref="CssmSimulator.ResetAsync"/> returns to.</summary>
    public Seed Seed { get; set; } = Seed.Default;

    /// <summary>Where state lives: <see cref="StoreKind.Memory"/> (default) or <see cref="StoreKind.Sqlite"/>.</summary>
    public StoreKind Store { get; set; } = StoreKind.Memory;

    /// <summary>Makes ids, token strings and probabilistic faults reproducible; null takes the seed's <c>randomSeed</c>.</summary>
    public long? RandomSeed { get; set; }

    /// <summary>How the clock starts: <see cref="VirtualClock.System"/> (default), <see cref="VirtualClock.At"/> or <see cref="VirtualClock.Frozen"/>.</summary>
    public VirtualClock Clock { get; set; } = VirtualClock.System;

    /// <summary>Also listens on HTTPS (another random loopback port) with the TLS certificate of <see cref="Signing"/>.</summary>
    public bool Https { get; set; }

    /// <summary>
    /// The loopback HTTP port; 0 (default) picks a free one, so parallel simulators never compete.
    /// A fixed port suits an agent whose URL cannot be changed per test; starting fails if it is taken.
    /// </summary>
    public int Port { get; set; }

    /// <summary>Certificates and signing keys: <see cref="SigningKeys.Embedded"/> (default) or <see cref="SigningKeys.Generate"/>.</summary>
    public SigningKeys Signing { get; set; } = SigningKeys.Embedded;

    /// <summary>Start-up values of the built-in token max-uses bottleneck rule.</summary>
    public TokenBottleneck TokenBottleneck { get; set; } = TokenBottleneck.Default;

    /// <summary>Where the simulator logs; null (default) logs nothing. See the <c>LogTo</c> methods.</summary>
    public ILoggerProvider? Logger { get; set; }

    /// <summary>The least severe level written to <see cref="Logger"/>.</summary>
    public LogLevel MinimumLogLevel { get; set; } = LogLevel.Information;

    /// <summary>The <c>poll_interval</c> asynchronous APIs answer, in seconds, unless a poll transition sets another.</summary>
    public int PollIntervalSeconds { get; set; } = 300;

    /// <summary>
    /// The timing profile at start-up, and what <see cref="CssmSimulator.ResetAsync"/> returns to: <c>Fast</c>
    /// (default: a usage report is answered OK_POLL and its ACK comes on the first poll) or <c>Realistic</c>
    /// (the ACK due <see cref="PollIntervalSeconds"/> of simulator time after the report, as real devices see it).
    /// </summary>
    public Engine.Jobs.TimingProfile Timing { get; set; } = Engine.Jobs.TimingProfile.Fast;

    /// <summary>How many requests the journal keeps (oldest dropped first).</summary>
    public int JournalCapacity { get; set; } = 10_000;

    /// <summary>
    /// Also serves the demo portal at <c>/portal</c> (off by default: its Razor Pages add tens of
    /// milliseconds to a start). Turn it on to drive the portal from a browser test.
    /// </summary>
    public bool Portal { get; set; }

    /// <summary>A key the control API (<c>/_sim/*</c>) then requires in <c>X-CssmSim-Key</c>; null leaves it open, as suits a loopback simulator.</summary>
    public string? ControlApiKey { get; set; }

    /// <summary>Logs each line to <paramref name="writeLine"/> (e.g. <c>Console.WriteLine</c>).</summary>
    public CssmSimulatorOptions LogTo(Action<string> writeLine, LogLevel minimumLevel = LogLevel.Information)
    {
        Logger = new LineLoggerProvider(writeLine);
        MinimumLogLevel = minimumLevel;
        return this;
    }

    /// <summary>Logs to <paramref name="provider"/> (any Microsoft.Extensions.Logging provider).</summary>
    public CssmSimulatorOptions LogTo(ILoggerProvider provider, LogLevel minimumLevel = LogLevel.Information)
    {
        ArgumentNullException.ThrowIfNull(provider);
        Logger = provider;
        MinimumLogLevel = minimumLevel;
        return this;
    }

    /// <summary>Checks every setting; the message names the one at fault and what is allowed.</summary>
    /// <exception cref="ArgumentException">A setting is missing or out of range.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (Seed is null) problems.Add($"{nameof(Seed)} is required (Seed.Default, Seed.FromYaml, Seed.FromJson or Seed.FromFile)");
        if (Store is null) problems.Add($"{nameof(Store)} is required (StoreKind.Memory, StoreKind.Sqlite(path) or StoreKind.Postgres(connection))");
        if (Clock is null) problems.Add($"{nameof(Clock)} is required (VirtualClock.System, VirtualClock.At or VirtualClock.Frozen)");
        if (Signing is null) problems.Add($"{nameof(Signing)} is required (SigningKeys.Embedded or SigningKeys.Generate())");
        if (TokenBottleneck is null) problems.Add($"{nameof(TokenBottleneck)} is required (TokenBottleneck.Default or TokenBottleneck.Off)");
        else
        {
            if (TokenBottleneck.ConcurrentAbove is < 1 or > 100_000) problems.Add($"{nameof(TokenBottleneck)}.ConcurrentAbove must be from 1 to 100000, not {TokenBottleneck.ConcurrentAbove}");
            if (TokenBottleneck.HoldMs is < 0 or > 600_000) problems.Add($"{nameof(TokenBottleneck)}.HoldMs must be from 0 to 600000, not {TokenBottleneck.HoldMs}");
        }
        if (!Enum.IsDefined(MinimumLogLevel)) problems.Add($"{nameof(MinimumLogLevel)} {(int)MinimumLogLevel} is not a log level");
        if (Port is < 0 or > 65_535) problems.Add($"{nameof(Port)} must be from 0 (a free port) to 65535, not {Port}");
        if (PollIntervalSeconds is < 1 or > 86_400) problems.Add($"{nameof(PollIntervalSeconds)} must be from 1 to 86400, not {PollIntervalSeconds}");
        if (JournalCapacity is < 1 or > 10_000_000) problems.Add($"{nameof(JournalCapacity)} must be from 1 to 10000000, not {JournalCapacity}");
        if (ControlApiKey is { } key && string.IsNullOrWhiteSpace(key)) problems.Add($"{nameof(ControlApiKey)} must not be blank (null leaves the control API open)");
        if (problems.Count > 0) throw new ArgumentException("Invalid CssmSimulatorOptions: " + string.Join("; ", problems));
    }
}
