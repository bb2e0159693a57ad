using CssmSim.Server.Journal;
using CssmSim.Testing.Devices;

namespace CssmSim.Testing;

/// <summary>One request the simulator received on a device or API surface, with what it answered.</summary>
/// <param name="Id">Its sequence number (increasing; a <see cref="JournalQuery.Since"/> value).</param>
/// <param name="Time">When it arrived (virtual clock).</param>
/// <param name="Surface">E.g. <c>smart-transport</c> (<see cref="Surfaces"/>).</param>
/// <param name="Operation">E.g. <c>TRUST_ESTABLISHMENT</c>.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The request path as sent.</param>
/// <param name="SmartAccount">The Smart Account concerned, if known.</param>
/// <param name="VirtualAccount">The Virtual Account concerned, if known.</param>
/// <param name="Udi">The sending product instance, <c>PID:x,SN:y</c>, if any.</param>
/// <param name="TokenId">The registration token presented, if any.</param>
/// <param name="HttpStatus">The HTTP status answered.</param>
/// <param name="Outcome"><c>SUCCESS</c>, <c>COMPLETE</c>, <c>OK_POLL</c>, <c>FAILED</c> or <c>ERROR</c> (a smart-transport <c>FAILED</c> has status 200).</param>
/// <param name="ErrorCode">The CSSM error code answered, if any.</param>
/// <param name="FaultId">The fault rule that fired on it, if any.</param>
/// <param name="LatencyMs">How long it took.</param>
/// <param name="RequestId">The <c>X-Request-Id</c>.</param>
/// <param name="RequestBody">The request body (text, capped at 16 KiB).</param>
/// <param name="ResponseBody">The response body (text, capped at 16 KiB).</param>
/// <param name="Truncated">Whether a body was cut at the cap.</param>
public sealed record JournaledRequest(
    long Id, DateTimeOffset Time, string Surface, string? Operation, string Method, string Path, string? SmartAccount, string? VirtualAccount,
    string? Udi, string? TokenId, int HttpStatus, string Outcome, string? ErrorCode, string? FaultId, long LatencyMs, string RequestId,
    string? RequestBody, string? ResponseBody, bool Truncated)
{
    /// <summary>One line: id, operation, UDI, status, outcome and error.</summary>
    public override string ToString() =>
        $"#{Id} {Surface} {Operation ?? "-"} {Method} {Path}{(Udi is null ? "" : " " + Udi)} -> {HttpStatus} {Outcome}{(ErrorCode is null ? "" : " " + ErrorCode)}{(FaultId is null ? "" : " (fault " + FaultId + ")")}";
}

/// <summary>Which journal entries to take; null members do not filter.</summary>
/// <param name="Operation">The operation (its surface too).</param>
/// <param name="Surface">The surface, when no operation is given.</param>
/// <param name="Udi">The sending UDI, <c>PID:x,SN:y</c>.</param>
/// <param name="Outcome"><c>SUCCESS</c>, <c>COMPLETE</c>, <c>OK_POLL</c>, <c>FAILED</c> or <c>ERROR</c>.</param>
/// <param name="Since">Only entries with a greater id.</param>
public sealed record JournalQuery(Operation? Operation = null, string? Surface = null, string? Udi = null, string? Outcome = null, long? Since = null)
{
    /// <summary>Requests sent by one simulated device.</summary>
    public static JournalQuery From(SimulatedProductInstance device, Operation? operation = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new JournalQuery(operation, Udi: device.Udi.ToString());
    }

    internal JournalFilter ToFilter() => new(Operation?.Surface ?? Surface, Operation?.Name, Udi, Outcome, Since);

    /// <inheritdoc/>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Operation is not null) parts.Add(Operation.ToString());
        else if (Surface is not null) parts.Add(Surface);
        if (Udi is not null) parts.Add("from " + Udi);
        if (Outcome is not null) parts.Add("outcome " + Outcome);
        if (Since is not null) parts.Add("after #" + Since);
        return parts.Count == 0 ? "any request" : string.Join(", ", parts);
    }
}

/// <summary>
/// The requests the simulator received on the oauth, cssm-api, slp, smart-transport and usage-files
/// surfaces (control requests are not journaled), oldest first, read in-process.
/// </summary>
public sealed class SimulatorJournal
{
    private readonly RequestJournal _journal;
    private readonly TimeProvider _wall;

    internal SimulatorJournal(RequestJournal journal, TimeProvider wall)
    {
        _journal = journal;
        _wall = wall;
    }

    /// <summary>Every entry kept (the newest <c>JournalCapacity</c>).</summary>
    public IReadOnlyList<JournaledRequest> Entries => Where(new JournalQuery());

    /// <summary>Entries of one operation, e.g. <c>Where(Operation.TrustEstablishment).Count()</c>.</summary>
    public IReadOnlyList<JournaledRequest> Where(Operation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return Where(new JournalQuery(operation));
    }

    /// <summary>Entries matching a query.</summary>
    public IReadOnlyList<JournaledRequest> Where(JournalQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return _journal.Query(query.ToFilter()).Select(ToRequest).ToList();
    }

    /// <summary>
    /// Waits (wall time, no polling) until at least <paramref name="count"/> entries of
    /// <paramref name="operation"/> exist, and returns them.
    /// </summary>
    /// <exception cref="TimeoutException">They did not arrive within <paramref name="timeout"/> (default 10 s); the message lists what did.</exception>
    public Task<IReadOnlyList<JournaledRequest>> WaitForAsync(Operation operation, int count = 1, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return WaitForAsync(new JournalQuery(operation), count, timeout, ct);
    }

    /// <summary>Waits until at least <paramref name="count"/> entries match <paramref name="query"/>, and returns them.</summary>
    /// <exception cref="TimeoutException">They did not arrive within <paramref name="timeout"/> (default 10 s).</exception>
    public async Task<IReadOnlyList<JournaledRequest>> WaitForAsync(JournalQuery query, int count = 1, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        if (!await _journal.WaitForCountAsync(query.ToFilter(), count, limit, _wall, ct))
        {
            var found = Where(query);
            throw new TimeoutException($"waited {limit.TotalSeconds:0.###} s for {count} journal {(count == 1 ? "entry" : "entries")} of {query}, found {found.Count}"
                + JournalText.Describe(found, Entries));
        }
        return Where(query);
    }

    /// <summary>Forgets every entry.</summary>
    public void Clear() => _journal.Clear();

    private static JournaledRequest ToRequest(JournalEntry e) => new(e.Id, e.Time, e.Surface, e.Operation, e.Method, e.Path, e.SmartAccount, e.VirtualAccount,
        e.Udi, e.TokenId, e.HttpStatus, e.Outcome, e.ErrorCode, e.Fault?.Id, e.LatencyMs, e.RequestId, e.RequestBody, e.ResponseBody, e.Truncated);
}

/// <summary>Journal entries as text for failure messages.</summary>
internal static class JournalText
{
    private const int Shown = 20;

    /// <summary>The matching entries, else the journal's last entries, one per line.</summary>
    public static string Describe(IReadOnlyList<JournaledRequest> matching, IReadOnlyList<JournaledRequest> all)
    {
        var (title, list) = matching.Count > 0 ? ("matching", matching) : ("the journal holds", all);
        if (list.Count == 0) return "\nthe journal is empty";
        var shown = list.Skip(Math.Max(0, list.Count - Shown)).Select(e => "\n  " + e);
        return $"\n{title} ({list.Count}{(list.Count > Shown ? $", last {Shown} shown" : "")}):" + string.Concat(shown);
    }
}
