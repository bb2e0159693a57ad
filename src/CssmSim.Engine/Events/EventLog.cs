using System.Text.Json;
using CssmSim.Engine.Storage;

namespace CssmSim.Engine.Events;

/// <summary>The event types of control.md §Journal and events.</summary>
public static class EventTypes
{
    public const string TokenCreated = "TOKEN_CREATED";
    public const string TokenRevoked = "TOKEN_REVOKED";
    public const string TrustIssued = "TRUST_ISSUED";
    public const string TrustSuperseded = "TRUST_SUPERSEDED";
    public const string PiMoved = "PI_MOVED";
    public const string PiRemoved = "PI_REMOVED";
    public const string ReportReceived = "REPORT_RECEIVED";
    public const string AckIssued = "ACK_ISSUED";
    public const string SlacIssued = "SLAC_ISSUED";
    public const string SlacReturned = "SLAC_RETURNED";
    public const string ReservationIssued = "RESERVATION_ISSUED";
    public const string ReservationReturned = "RESERVATION_RETURNED";
    public const string ConfirmationReceived = "CONFIRMATION_RECEIVED";
    public const string UsageFileUploaded = "USAGE_FILE_UPLOADED";
    public const string PolicyChanged = "POLICY_CHANGED";

    public static readonly IReadOnlyList<string> All = [TokenCreated, TokenRevoked, TrustIssued, TrustSuperseded, PiMoved, PiRemoved, ReportReceived,
        AckIssued, SlacIssued, SlacReturned, ReservationIssued, ReservationReturned, ConfirmationReceived, UsageFileUploaded, PolicyChanged];
}

/// <summary>The per-account event log, kept in the store (what CSSM's Event Log tab shows).</summary>
public sealed class EventLog(ISimulatorStore store, TimeProvider clock)
{
    public Task AppendAsync(string type, string? smartAccountId, string? virtualAccountName, string? udi, object details, CancellationToken ct = default) =>
        store.Inventory.AppendEventAsync(clock.GetUtcNow(), type, smartAccountId, virtualAccountName, udi, JsonSerializer.Serialize(details), ct);

    /// <summary>An event stamped now, to append later with others in one transaction (<see cref="AppendAsync(IReadOnlyList{NewEvent}, CancellationToken)"/>).</summary>
    public NewEvent Create(string type, string? smartAccountId, string? virtualAccountName, string? udi, object details) =>
        new(clock.GetUtcNow(), type, smartAccountId, virtualAccountName, udi, JsonSerializer.Serialize(details));

    /// <summary>Appends events in order, in one transaction (an upload's thousands of devices would otherwise pay one each).</summary>
    public Task AppendAsync(IReadOnlyList<NewEvent> events, CancellationToken ct = default) =>
        events.Count == 0 ? Task.CompletedTask : store.Inventory.AppendEventsAsync(events, ct);
}
