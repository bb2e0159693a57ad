using CssmSim.Testing.Devices;

namespace CssmSim.Scenarios.Running;

/// <summary>What the runner remembers of one device: its last request's fate, its last ACK, a pending job.</summary>
internal sealed class DeviceState(SimulatedProductInstance device)
{
    public SimulatedProductInstance Device { get; } = device;

    /// <summary>The kind of the last request (trust, report, slac, ...), null before any.</summary>
    public string? LastRequest { get; private set; }

    public bool LastSucceeded { get; private set; }

    public string? LastError { get; private set; }

    public ReceivedAck? Ack { get; set; }

    /// <summary>A job answered OK_POLL, waiting for a poll step.</summary>
    public (long PollId, string Kind)? Pending { get; set; }

    /// <summary>An SLR or SLAC is installed and not returned.</summary>
    public bool Authorized { get; set; }

    /// <summary>Answered OK_POLL: neither succeeded nor failed until a poll says.</summary>
    public void RecordPending(string request, long pollId)
    {
        LastRequest = request;
        LastSucceeded = false;
        LastError = null;
        Pending = (pollId, request);
    }

    /// <summary>The status the last failed request was answered with (FAILED, or OK_TRY_AGAIN for an agent that lists it).</summary>
    public string? LastStatus { get; private set; }

    public void Record(string request, bool succeeded, string? error, string? status = null)
    {
        LastRequest = request;
        LastSucceeded = succeeded;
        LastError = succeeded ? null : error ?? "(no error code)";
        LastStatus = succeeded ? null : status;
    }
}

/// <summary>Devices declared together (a device, a fleet, an HA pair): single devices and HA pairs.</summary>
internal sealed record DeviceGroup(string Name, IReadOnlyList<SimulatedProductInstance> Singles, IReadOnlyList<SimulatedHaPair> Pairs)
{
    public IEnumerable<SimulatedProductInstance> All => Singles.Concat(Pairs.SelectMany(p => p.Members));
}

internal sealed record TokenRef(string Name, string Value, string TokenId, string SmartAccount, string VirtualAccount);

internal sealed record UploadRef(string Name, string Id, string Format, CsluUsageArchive? Archive, IReadOnlyList<SimulatedProductInstance> Devices)
{
    public string Status { get; set; } = "";
}
