using CssmSim.Engine.Faults;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Storage.Postgres;
using CssmSim.Engine.Storage.Sqlite;
using CssmSim.Engine.Time;
using CssmSim.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace CssmSim.Cli.Commands;

/// <summary>
/// The lines <c>cssmsim serve</c> prints once listening: where, and what state is in force, so
/// state kept from an earlier run (a fault rule, a moved clock, a merged seed) is never a surprise.
/// </summary>
public static class StartBanner
{
    public static async Task<IReadOnlyList<string>> LinesAsync(SimulatorServer server, SimulatorOptions options, string? seedFile, CancellationToken ct)
    {
        var lines = new List<string>();
        var services = server.Services;
        var version = typeof(SimulatorApp).Assembly.GetName().Version?.ToString(3);
        lines.Add($"CssmSim {version} listening on {string.Join(", ", server.Addresses)}");
        var store = services.GetService<ISimulatorStore>();
        // Read back from the database, so a durability setting that did not take effect shows here,
        // and on PostgreSQL which server and database the replicas share.
        var detail = store switch
        {
            SqliteSimulatorStore sqlite => (await sqlite.DurabilityAsync(ct))?.ToString(),
            PostgresSimulatorStore postgres => await postgres.DescribeAsync(ct),
            _ => null,
        };
        lines.Add($"  store {options.Store}{(detail is null ? "" : $" ({detail})")}, signing {(options.SigningAlgorithm == Engine.Signing.SigningAlgorithm.Ecdsa ? "ECDSA P-256" : "RSA-2048")}, API docs (Swagger UI) {server.BaseAddress}_sim/docs");

        if (options.Store.Engine != StoreEngine.SqliteMemory)
            lines.Add(options.PersistsJournal
                ? "  shared with every process on this store: fault rules and their counters, the clock, and the journal (Journal:Persist)"
                : "  shared with every process on this store: fault rules and their counters, the clock; the journal is this process's (Journal:Persist=true shares it)");

        var seed = seedFile is null ? "the demo account (default seed)" : $"seed {seedFile}";
        var outcome = options.ResetOnStart ? "store reset to it (--reset)" : services.GetRequiredService<SeedService>().StartupOutcome switch
        {
            StartupSeedOutcome.NewStore => "applied to a new store",
            StartupSeedOutcome.MergedIntoExisting => "merged into the existing store (--reset starts from the seed alone)",
            _ => "already applied; the store keeps what earlier runs created (--reset starts from the seed alone)",
        };
        lines.Add($"  state: {seed}, {outcome}");
        var counts = store switch
        {
            SqliteSimulatorStore sqlite => await sqlite.CountsAsync(ct),
            PostgresSimulatorStore postgres => await postgres.CountsAsync(ct),
            _ => null,
        };
        if (counts is { } c)
        {
            lines.Add($"  holds {c.SmartAccounts} Smart Account(s), {c.VirtualAccounts} virtual account(s), {c.Licenses} license(s), {c.Tokens} token(s), "
                + $"{c.ProductInstances} product instance(s), {c.UsageReports} usage report(s)");
            if (c.PollTransitions > 0)
                lines.Add($"  poll transitions: {c.PollTransitions} set (GET /_sim/poll-transitions; POST /_sim/reset clears them)");
        }
        var userRules = services.GetRequiredService<FaultEngine>().List().Where(v => !v.Rule.Builtin).ToList();
        if (userRules.Count > 0)
        {
            lines.Add($"  fault rules in force: {userRules.Count(v => v.Rule.Enabled)} enabled of {userRules.Count} (GET /_sim/faults, the portal's Faults page; DELETE /_sim/faults/ID removes one)");
            foreach (var v in userRules.Take(10))
                lines.Add($"    {(v.Rule.Enabled ? "on " : "off")} {v.Rule.Id}{(v.Rule.Name is null ? "" : $" \"{v.Rule.Name}\"")}: {Describe(v.Rule)}");
            if (userRules.Count > 10) lines.Add($"    ... and {userRules.Count - 10} more");
        }
        var transitions = services.GetRequiredService<Engine.Jobs.PollTransitionService>();
        var current = await transitions.CurrentProfileAsync(ct);
        lines.Add(current switch
        {
            Engine.Jobs.TimingProfile.Realistic => $"  timing: realistic; a usage report's ACK comes on RESULT_POLLING {options.PollIntervalSeconds} s of simulator time after it",
            Engine.Jobs.TimingProfile.Fast => "  timing: fast; usage reports answer OK_POLL and their ACK comes on the first RESULT_POLLING",
            _ => "  timing: custom poll transitions (GET /_sim/poll-transitions)",
        } + $" (--timing fast|realistic, POST /_sim/timing; a reset returns to {Engine.Jobs.TimingProfiles.Name(transitions.StartupProfile)})");
        lines.AddRange(ClientLines);
        var clock = services.GetRequiredService<SimulatorClock>();
        if (clock.Mode != ClockMode.System || clock.Offset != TimeSpan.Zero)
            lines.Add($"  clock: {clock.Mode}, now {clock.GetUtcNow():O} (offset {clock.Offset})");
        return lines;
    }

    /// <summary>What can talk to the simulator, said where a user first looks (SPEC §1): real devices cannot.</summary>
    public static readonly IReadOnlyList<string> ClientLines =
    [
        "  for real clients: the CSSM REST APIs, OAuth and the offline files (usage uploads, ACKs, codes); clients with fixed Cisco URLs need the hosts file and certs/ca.crt",
        "  not for real Cisco devices: they check Cisco's signatures on what they install and smart transport's message bodies are not public;",
        "    /licservice/license is CssmSim's own device protocol, for its simulated product instances and agents written against it",
    ];

    private static string Describe(FaultRule rule)
    {
        var on = rule.Match.Operation ?? rule.Match.Surface ?? rule.Match.Path ?? "every request";
        return $"on {on}" + (rule.Match.Udi is { } udi ? $" for {udi}" : "") + (rule.Match.SmartAccount is { } sa ? $" in {sa}" : "");
    }
}
