using System.Text.Json.Nodes;

namespace CssmSim.Testing;

/// <summary>An entry of a Smart Account's event log (control.md §Journal and events).</summary>
/// <param name="Id">Its sequence number.</param>
/// <param name="Time">When it happened (virtual clock).</param>
/// <param name="Type">E.g. <c>TOKEN_CREATED</c>, <c>TRUST_ISSUED</c>, <c>REPORT_RECEIVED</c>.</param>
/// <param name="SmartAccount">The Smart Account's domain, if any.</param>
/// <param name="VirtualAccount">The Virtual Account's name, if any.</param>
/// <param name="Udi">The product instance concerned, if any.</param>
/// <param name="Details">The type's details.</param>
public sealed record SimulatorEvent(long Id, DateTimeOffset Time, string Type, string? SmartAccount, string? VirtualAccount, string? Udi, JsonObject Details);

/// <summary>The event log: what happened to accounts, tokens and product instances.</summary>
public sealed class SimulatorEvents
{
    private readonly EngineAccess _engine;

    internal SimulatorEvents(EngineAccess engine) => _engine = engine;

    /// <summary>Events, oldest first, optionally of one type, Smart Account or Virtual Account, after an event id.</summary>
    public Task<IReadOnlyList<SimulatorEvent>> ListAsync(string? type = null, string? smartAccount = null, string? virtualAccount = null, long? since = null,
        int limit = 1000, CancellationToken ct = default) =>
        EngineAccess.CallAsync(async () =>
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
            var saId = smartAccount is null ? null : (await _engine.SmartAccountAsync(smartAccount, ct)).Id;
            var list = await _engine.Store.Inventory.ListEventsAsync(saId, virtualAccount, type, since, limit, ct);
            var domains = (await _engine.Store.Accounts.ListSmartAccountsAsync(ct)).ToDictionary(a => a.Id, a => a.Domain);
            return (IReadOnlyList<SimulatorEvent>)list.Select(e => new SimulatorEvent(e.Id, e.Time, e.Type,
                e.SmartAccountId is { } id && domains.TryGetValue(id, out var d) ? d : null, e.VirtualAccountName, e.Udi,
                JsonNode.Parse(e.DetailsJson) as JsonObject ?? [])).ToList();
        });
}
