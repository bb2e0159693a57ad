using CssmSim.Engine.Accounts;
using CssmSim.Engine.Authorizations;
using CssmSim.Engine.Faults;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Usage;

namespace CssmSim.Engine.Devices;

/// <summary>
/// USAGE_REPORTING as a device sends it: parsed reports, trust requests and SLAC requests;
/// <paramref name="Malformed"/> is the first item a surface could not read (answered after the trust rule).
/// </summary>
public sealed record DeviceUsageReport(IReadOnlyList<RumReport> Reports, IReadOnlyList<Udi> TrustRequests, IReadOnlyList<SlacRequest> AuthorizationRequests,
    CssmError? Malformed = null);

/// <summary>A usage report's outcome: the ACKs (<see cref="Ack"/> is the sender's), or the error; <see cref="Fault"/> for job effects.</summary>
public sealed record UsageReportOutcome(CssmError? Error, UsageResult? Result, UdiAck? Ack, FaultDecision? Fault)
{
    public bool Succeeded => Error is null;

    /// <summary>
    /// The sender's last contact was recorded with its reports (a new one was stored, in the same
    /// transaction): <see cref="DeviceGate.ContactAsync"/> would only write it again.
    /// </summary>
    public bool SenderContactRecorded { get; init; }
}

/// <summary>
/// The usage-report use cases of a device (smart-transport.md USAGE_REPORTING; cssm-api.md §SLP
/// reportusage): the trust-required rule, deduplication and ACK assembly are in <see cref="UsageService"/>,
/// shared with usage-file uploads.
/// </summary>
public sealed class UsageOperations(UsageService usage, DeviceRules rules)
{
    /// <summary>
    /// Reports from a trusted device, or from a known one that asks for trust in the same message,
    /// into its own Virtual Account.
    /// </summary>
    public async Task<UsageReportOutcome> ReportAsync(Admission admitted, DeviceUsageReport report, CancellationToken ct = default)
    {
        var sender = admitted.Sender;
        if (!sender.Trusted && !(sender.Known && report.TrustRequests.Contains(sender.Udi)))
            return Failed(CssmError.TrustRequired($"{sender.Udi} has no trust; establish trust or send a trust request from a known product instance"));
        if (report.Malformed is { } malformed) return Failed(malformed);
        UsageResult result;
        try
        {
            result = await usage.SubmitAsync(new UsageSubmission(sender.VirtualAccount!, report.Reports, report.TrustRequests, "smart-transport",
                admitted.Fault, VerifySignatures: rules.StrictRumSignatures, AuthorizationRequests: report.AuthorizationRequests)
            { Sender = sender }, ct);
        }
        catch (UsageRejectedException e)
        {
            return Failed(new CssmError(e.Code, e.Message));
        }
        var ack = result.Acks.FirstOrDefault(a => a.Udi == sender.Udi) ?? result.Acks.FirstOrDefault();
        if (ack is null) return Failed(CssmError.InvalidMessage("nothing to acknowledge: data.reports and data.trust_requests are empty"));
        return new UsageReportOutcome(null, result, ack, admitted.Fault)
        {
            SenderContactRecorded = sender.Known && result.Reports.Any(r => !r.Duplicate && r.Udi == sender.Udi),
        };
    }

    /// <summary>
    /// SLP reportusage into the account the headers name: any UDI reports (an unknown one joins the VA);
    /// a submission of duplicates only is refused.
    /// </summary>
    public async Task<UsageReportOutcome> ReportToAccountAsync(SmartAccount account, VirtualAccount va, IReadOnlyList<RumReport> reports,
        IReadOnlyList<Udi> trustRequests, IFaultPoint faults, CancellationToken ct = default)
    {
        var first = reports.FirstOrDefault();
        var decision = await faults.AskAsync(new FaultQuestion(SmartAccount: account.Domain, VirtualAccount: va.Name, UdiPid: first?.Udi.Pid,
            UdiSerial: first?.Udi.SerialNumber));
        if (decision?.Effect.Error is { } code) return Failed(CssmError.ServerError(code), decision);
        UsageResult result;
        try
        {
            result = await usage.SubmitAsync(new UsageSubmission(va, reports, trustRequests, "slp", decision, RefuseAllDuplicates: true,
                VerifySignatures: rules.StrictRumSignatures), ct);
        }
        catch (UsageRejectedException e)
        {
            return Failed(new CssmError(e.Code, e.Message), decision);
        }
        if (result.Acks.Count == 0 && result.AllDuplicates)
            return Failed(new CssmError(CssmCodes.DuplicateReport, "Duplicate report: " + string.Join(", ", result.Reports.Select(r => $"{r.Udi} {r.ReportId}"))),
                decision);
        return new UsageReportOutcome(null, result, result.Acks.FirstOrDefault(), decision);
    }

    private static UsageReportOutcome Failed(CssmError error, FaultDecision? decision = null) => new(error, null, null, decision);
}
