using System.Text.Json.Nodes;

namespace CssmSim.Engine.Storage;

/// <summary>
/// Every table's rows in natural-key order, values as JSON scalars: exporting the same state
/// twice gives the same bytes.
/// </summary>
public sealed record StoreSnapshot(int SchemaVersion, IReadOnlyDictionary<string, IReadOnlyList<JsonObject>> Tables);
