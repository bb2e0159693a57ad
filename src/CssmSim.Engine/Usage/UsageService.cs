using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Events;
using CssmSim.Engine.Faults;
using CssmSim.Engine.Ids;
using CssmSim.Engine.Licensing;
using CssmSim.Engine.Policies;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Signing;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Trust;

namespace CssmSim.Engine.Usage;

/// <summary>Reports to take in, from any surface.</summary>
/// <param name="VirtualAccount">Where a UDI not known yet is registered (SLP account headers, an upload's VA); null when every UDI must already exist.</param>
/// <param name="Reports">Parsed reports (payloads byte-exact).</param>
/// <param name="TrustRequests">UDIs that asked for trust inside the report (CSLU and air-gapped devices).</param>
/// <param name="Source">Where they came from: <c>slp</c>, <c>smart-transport</c> or <c>upload</c>.</param>
/// <param name="Fault">A fired fault rule, for ACK effects.</param>
/// <param name="RefuseAllDuplicates">When every report is a duplicate, acknowledge nothing (the SLP API answers <c>Duplicate report</c> instead).</param>
/// <param name="VerifySignatures"><c>Rum:StrictSignatures</c>: every report's builtin signature must verify with its UDI's RUM key.</param>
/// <param name="AuthorizationRequests">SLACs asked for inside the report; each one issued goes into its UDI's ACK, one that cannot be is left out.</param>
/// <param name="UploadId">The offline upload the reports came in: each UDI gets one ACK row per upload, so resuming one cut short adds none.</param>
public sealed record UsageSubmission(VirtualAccount? VirtualAccount, IReadOnlyList<RumReport> Reports, IReadOnlyList<Udi> TrustRequests, string Source,
    FaultDecision? Fault = null, bool RefuseAllDuplicates = false, bool VerifySignatures = false,
    IReadOnlyList<Authorizations.SlacRequest>? AuthorizationRequests = null, string? UploadId = null)
{
    /// <summary>The sender as its admission read it (product instance and accounts): its owner is not read again.</summary>
    internal Devices.DeviceSender? Sender { get; init; }
}

/// <summary>A submission refused whole, with the CSSM error code (nothing was stored).</summary>
public sealed class UsageRejectedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>How one report was acknowledged.</summary>
public sealed record ReportAck(Udi Udi, string ReportId, bool ReportIdIsNumber, string Status, bool Duplicate, string? Tag);

/// <summary>The ACK for one UDI: the signed <c>&lt;smartLicenseRumAck&gt;</c> plus the policy and trust codes, as a file.</summary>
public sealed record UdiAck(Udi Udi, string AckId, DateTimeOffset Timestamp, SmartAccount Account, VirtualAccount VirtualAccount, IReadOnlyList<ReportAck> Reports, string File)
{
    /// <summary>The elements inside the file's <c>&lt;smartLicense&gt;</c> root (what an ACK file bundle concatenates).</summary>
    public string Elements => File[(SignedArtefact.Root.Length + 2)..^(SignedArtefact.Root.Length + 3)];
}

/// <summary>The outcome of a submission.</summary>
public sealed record UsageResult(IReadOnlyList<UdiAck> Acks, IReadOnlyList<ReportAck> Reports)
{
    /// <summary>SLACs asked for in the submission that could not be issued (left out of the ACKs).</summary>
    public IReadOnlyList<Authorizations.SlacOutcome> RefusedAuthorizations { get; init; } = [];

    /// <summary>Every report was stored before (the SLP API then answers <c>Duplicate report</c>).</summary>
    public bool AllDuplicates => Reports.Count > 0 && Reports.All(r => r.Duplicate);
}

/// <summary>
/// Usage reporting (SPEC §2, artefacts.md §ACK file): reports stored byte-exact and deduplicated by
/// (UDI, report id); one signed ACK per UDI listing every report id with its fate, carrying the
/// policy, trust codes for UDIs that asked, and the Smart/Virtual Account. ACK timestamps rise
/// strictly per UDI, since a device keeps only the newest.
/// </summary>
public sealed class UsageService(ISimulatorStore store, TimeProvider clock, Func<DerivedIds> ids, ArtefactSigner signer,
    PolicyService policies, TrustService trust, EventLog events, Authorizations.AuthorizationService? authorizations = null)
{
    public const string AckElement = "smartLicenseRumAck";

    public async Task<UsageResult> SubmitAsync(UsageSubmission submission, CancellationToken ct = default)
    {
        var ackFault = submission.Fault?.Effect.Ack;
        var now = clock.GetUtcNow();
        var byUdi = submission.Reports.GroupBy(r => new Udi(r.Udi.Pid, r.Udi.SerialNumber)).ToDictionary(g => g.Key, g => g.ToList());
        var asked = submission.AuthorizationRequests ?? [];
        var udis = byUdi.Keys.Concat(submission.TrustRequests).Concat(asked.Select(a => a.Udi)).Distinct().ToList();

        // Each UDI reports into the VA its product instance is in; a new one joins the submission's VA.
        var owners = new Dictionary<Udi, (SmartAccount Account, VirtualAccount Va)>();
        // An upload names thousands of UDIs in a handful of VAs: look each VA up once, and create
        // the new product instances in one transaction rather than one each.
        var vas = new Dictionary<string, (SmartAccount, VirtualAccount)?>(StringComparer.Ordinal);
        async Task<(SmartAccount, VirtualAccount)?> OwnerAsync(string vaId)
        {
            if (!vas.TryGetValue(vaId, out var owner)) vas[vaId] = owner = await store.Accounts.FindByVirtualAccountIdAsync(vaId, ct);
            return owner;
        }
        var created = new List<(Udi Udi, StoredProductInstance Pi)>();
        foreach (var udi in udis)
        {
            if (submission.Sender is { Known: true, Account: { } sa, VirtualAccount: { } sva } sender && sender.Udi == udi)
            {
                owners[udi] = (sa, sva);
                continue;
            }
            var pi = await store.Inventory.FindProductInstanceAsync(udi.ToString(), ct);
            if (pi is null)
            {
                if (submission.VirtualAccount is not { } va) continue;
                created.Add((udi, ProductInstanceRegistry.Untrusted(udi, Piids.For(ids(), udi), va.Id, "", now, now)));
                continue;
            }
            if (await OwnerAsync(pi.VirtualAccountId) is { } owner) owners[udi] = owner;
        }
        if (created.Count > 0)
        {
            var (added, _, _) = await store.Bulk.InsertAsync(new BulkBatch(created.Select(c => c.Pi).ToList(), [], []), ct);
            foreach (var (udi, pi) in created)
            {
                // Another request may have created one first: then it counts as it stands.
                var current = added == created.Count ? pi : await store.Inventory.FindProductInstanceAsync(pi.Udi, ct);
                if (current is not null && await OwnerAsync(current.VirtualAccountId) is { } owner) owners[udi] = owner;
            }
        }

        if (submission.VerifySignatures) await VerifySignaturesAsync(submission.Reports, ct);

        var toStore = byUdi.Where(kv => owners.ContainsKey(kv.Key)).SelectMany(kv => kv.Value.Select(r => new NewUsageReport(
            kv.Key.ToString(), r.ReportIdKey, r.ReportId, r.ReportIdIsNumber, r.EntitlementTag, r.InUse, r.LatestMeasurementEnd, r.PayloadJson,
            r.Signature is null ? null : new JsonObject { ["signing_type"] = r.Signature.SigningType, ["key"] = r.Signature.Key, ["value"] = r.Signature.Value }.ToJsonString(),
            submission.Source))).ToList();
        var stored = await StoreWithAckFaultAsync(toStore, now, ackFault, ct);
        var acks = stored.Select(o => new ReportAck(Udi.TryParse(o.Report.Udi, out var u) ? u : default, o.Report.ReportId, o.Report.ReportIdIsNumber,
            o.Status, o.Duplicate, o.Report.Tag)).ToList();
        if (submission.RefuseAllDuplicates && submission.TrustRequests.Count == 0 && acks.Count > 0 && acks.All(a => a.Duplicate))
            return new UsageResult([], acks);

        // SLACs first (their product instances exist now), so each can ride in its UDI's ACK.
        var slacs = new Dictionary<Udi, List<string>>();
        var refused = new List<Authorizations.SlacOutcome>();
        foreach (var request in asked)
        {
            if (authorizations is null || !owners.ContainsKey(request.Udi)) continue;
            var outcome = await authorizations.RequestSlacAsync(request, ct);
            if (!outcome.Succeeded) { refused.Add(outcome); continue; }
            if (!slacs.TryGetValue(request.Udi, out var list)) slacs[request.Udi] = list = [];
            list.Add(outcome.Code!.ToSlacAckElementXml());
        }

        var result = new List<UdiAck>();
        var acksByUdi = acks.ToLookup(a => a.Udi);
        var policyByVa = new Dictionary<string, string>(StringComparer.Ordinal);
        var acked = udis.Where(owners.ContainsKey).ToList();
        var reportsOf = acked.Select(u => (IReadOnlyList<ReportAck>)acksByUdi[u].ToList()).ToList();
        // Every ACK recorded in one store call (one transaction for an upload's thousands), then each
        // signed: on all cores when there are many, since signing is most of an upload's time.
        var derived = ids();
        var recorded = await store.Usage.RecordAcksAsync(
            acked.Select((u, i) => new AckToRecord(u.ToString(), owners[u].Va.Id, reportsOf[i].Select(r => r.ReportId).ToList())).ToList(),
            clock.GetUtcNow(), (udi, n) => derived.Uuid5($"ack/{udi}/{n}").ToString(), ct, submission.UploadId);
        var signed = new string[acked.Count];
        void Sign(int i) => signed[i] = SignAck(acked[i], owners[acked[i]].Account, owners[acked[i]].Va, reportsOf[i], recorded[i].AckId, recorded[i].Timestamp, ackFault);
        if (acked.Count >= ParallelSigningFrom)
            Parallel.For(0, acked.Count, new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = Environment.ProcessorCount }, Sign);
        else
            for (var i = 0; i < acked.Count; i++) Sign(i);
        // Events are appended in order, in as few transactions as the trust codes issued between them allow.
        var pending = new List<NewEvent>();
        var trustRequested = submission.TrustRequests.ToHashSet();
        try
        {
            for (var i = 0; i < acked.Count; i++)
            {
                var udi = acked[i];
                var owner = owners[udi];
                var reports = reportsOf[i];
                var fresh = reports.Where(r => !r.Duplicate).ToList();
                if (fresh.Count > 0)
                    pending.Add(events.Create(EventTypes.ReportReceived, owner.Account.Id, owner.Va.Name, udi.ToString(),
                        new { report_ids = fresh.Select(r => r.ReportId).ToArray(), source = submission.Source }));
                result.Add(await AcknowledgeAsync(udi, owner.Account, owner.Va, reports, recorded[i].AckId, recorded[i].Timestamp, signed[i],
                    trustRequested.Contains(udi), submission.Fault?.Effect, slacs.GetValueOrDefault(udi) ?? [], policyByVa, pending, ct));
            }
        }
        finally
        {
            await events.AppendAsync(pending, ct);
        }
        return new UsageResult(result, acks) { RefusedAuthorizations = refused };
    }

    /// <summary>
    /// Stores the reports with their ACK status: ACKED, or the status of a fired <c>ack</c> effect for the reports it
    /// picks (all when it picks none). An effect that picks reports without a status leaves them out: they are
    /// neither stored nor acknowledged, so the device keeps them pending and sends them again (seed 000 L4321).
    /// </summary>
    private async Task<IReadOnlyList<StoredReportOutcome>> StoreWithAckFaultAsync(List<NewUsageReport> reports, DateTimeOffset now, AckFault? fault,
        CancellationToken ct)
    {
        if (fault?.Reports is not { } pick) return await store.Usage.StoreReportsAsync(reports, now, fault?.ReportStatus ?? "ACKED", ct);
        var picked = new HashSet<NewUsageReport>(ReferenceEqualityComparer.Instance);
        foreach (var r in reports)
        {
            if (pick.Count is { } max && picked.Count >= max) break;
            if (pick.Udi is { } u && !(Udi.TryParse(r.Udi, out var udi) && Matches(u, udi))) continue;
            if (pick.Tag is { } t && (r.Tag is null || EntitlementTag.Normalize(r.Tag) != EntitlementTag.Normalize(LicenseShortNames.Resolve(t)))) continue;
            picked.Add(r);
        }
        var rest = reports.Where(r => !picked.Contains(r)).ToList();
        var outcomes = new List<StoredReportOutcome>();
        if (rest.Count > 0) outcomes.AddRange(await store.Usage.StoreReportsAsync(rest, now, "ACKED", ct));
        if (fault.ReportStatus is { } status && picked.Count > 0)
            outcomes.AddRange(await store.Usage.StoreReportsAsync(reports.Where(picked.Contains).ToList(), now, status, ct));
        // In the order the reports came, as without a fault.
        var order = new Dictionary<NewUsageReport, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < reports.Count; i++) order[reports[i]] = i;
        return outcomes.OrderBy(o => order.TryGetValue(o.Report, out var i) ? i : int.MaxValue).ToList();
    }

    /// <summary>From this many ACKs in one submission on, they are signed in parallel.</summary>
    private const int ParallelSigningFrom = 8;

    /// <summary>The signed <c>smartLicenseRumAck</c> element of one UDI's ACK (thread-safe: run in parallel for an upload).</summary>
    private string SignAck(Udi udi, SmartAccount account, VirtualAccount va, IReadOnlyList<ReportAck> reports, string ackId, DateTimeOffset timestamp, AckFault? fault)
    {
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["ack_id"] = ackId,
            ["timestamp"] = timestamp.ToUnixTimeMilliseconds(),
            ["sudi"] = new JsonObject { ["udi_pid"] = udi.Pid, ["udi_serial_number"] = udi.Serial },
            ["smart_account"] = new JsonObject { ["id"] = account.Id, ["domain"] = account.Domain, ["name"] = account.Name },
            ["virtual_account"] = new JsonObject { ["id"] = va.Id, ["name"] = va.Name },
            ["acknowledgements"] = new JsonArray(reports.Select(r => (JsonNode)new JsonObject
            {
                // Echoed as received: a number stays a number (up to 2^64 - 1), a string a string.
                ["report_id"] = r.ReportIdIsNumber && ulong.TryParse(r.ReportId, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                    ? JsonValue.Create(n) : JsonValue.Create(r.ReportId),
                ["status"] = r.Status,
            }).ToArray()),
        };
        return SignedArtefact.Element(AckElement, Encoding.UTF8.GetBytes(json.ToJsonString()), signer, fault?.CorruptSignature == true);
    }

    private async Task<UdiAck> AcknowledgeAsync(Udi udi, SmartAccount account, VirtualAccount va, IReadOnlyList<ReportAck> reports, string ackId,
        DateTimeOffset timestamp, string signedAck, bool trustRequested, FaultEffect? effect, IReadOnlyList<string> slacElements,
        Dictionary<string, string> policyByVa, List<NewEvent> pending, CancellationToken ct)
    {
        var fault = effect?.Ack;
        var elements = new StringBuilder(signedAck);
        if (fault?.OmitPolicy != true)
        {
            // One policy per VA for the whole submission (the same signed element each time).
            if (!policyByVa.TryGetValue(va.Id, out var policy)) policyByVa[va.Id] = policy = await policies.GetPolicyElementAsync(account, va, ct);
            elements.Append(policy);
        }
        if (trustRequested && !(fault?.OmitTrustFor.Any(u => Matches(u, udi)) ?? false))
        {
            // Trust writes its own events: the earlier ones go first, to keep the log in order.
            await events.AppendAsync(pending.ToList(), ct);
            pending.Clear();
            var issued = await trust.IssueAsync(va, [udi], force: true, ct);
            foreach (var code in issued.Codes) elements.Append(code.Element);
        }
        foreach (var slac in slacElements) elements.Append(slac);
        pending.Add(events.Create(EventTypes.AckIssued, account.Id, va.Name, udi.ToString(), new { ack_id = ackId, reports = reports.Count }));
        // A rule's corrupt and clockSkewMs effects reach every artefact of the ACK (the ACK itself, policy, trust codes, SLACs).
        var file = ArtefactTampering.Apply(SignedArtefact.File(elements.ToString()), effect, signer);
        return new UdiAck(udi, ackId, timestamp, account, va, reports, file);
    }

    // Real devices' keys are unknown to the simulator, which is why this is off unless asked for.
    private async Task VerifySignaturesAsync(IReadOnlyList<RumReport> reports, CancellationToken ct)
    {
        foreach (var r in reports)
        {
            var udi = new Udi(r.Udi.Pid, r.Udi.SerialNumber);
            var key = (await store.Inventory.FindProductInstanceAsync(udi.ToString(), ct))?.RumKey;
            if (!RumSignature.VerifyWithStoredKey(r.PayloadJson, r.Signature?.Value, key))
                throw new UsageRejectedException("INVALID_SIGNATURE", $"report {r.ReportId} of {udi} does not verify with the RUM key of its trust code");
        }
    }

    private static bool Matches(string given, Udi udi) =>
        string.Equals(given, udi.ToString(), StringComparison.OrdinalIgnoreCase) || string.Equals(given, $"{udi.Pid}:{udi.Serial}", StringComparison.OrdinalIgnoreCase)
        || string.Equals(given, udi.Serial, StringComparison.OrdinalIgnoreCase);
}
