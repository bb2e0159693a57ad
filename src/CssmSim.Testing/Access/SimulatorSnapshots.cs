using System.Text.Json;
using System.Text.Json.Nodes;

namespace CssmSim.Testing;

/// <summary>
/// The whole state as JSON (store, fault rules, poll transitions, clock; no journal): export one to
/// keep as a test fixture, import it to start a test from exactly that state.
/// </summary>
public sealed class SimulatorSnapshots
{
    private readonly EngineAccess _engine;

    internal SimulatorSnapshots(EngineAccess engine) => _engine = engine;

    /// <summary>The state as UTF-8 JSON; two exports of one state are byte-identical.</summary>
    public Task<byte[]> ExportAsync(CancellationToken ct = default) => _engine.Snapshots.ExportAsync(ct);

    /// <summary>Replaces the whole state with an export (of this simulator or another).</summary>
    /// <exception cref="ArgumentException">Not a snapshot.</exception>
    /// <exception cref="InvalidOperationException">A snapshot of an unknown schema version.</exception>
    public Task ImportAsync(byte[] snapshot, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(snapshot);
        }
        catch (JsonException e)
        {
            throw new ArgumentException("snapshot: not valid JSON: " + e.Message, nameof(snapshot), e);
        }
        return EngineAccess.CallAsync(() => _engine.Snapshots.ImportAsync(root ?? throw new ArgumentException("snapshot: null", nameof(snapshot)), ct));
    }
}
