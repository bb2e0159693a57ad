using System.Diagnostics;
using System.Runtime;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Authorizations;
using CssmSim.Engine.Events;
using CssmSim.Engine.Faults;
using CssmSim.Engine.Ids;
using CssmSim.Engine.Jobs;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Signing;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Usage;

namespace CssmSim.Engine.UsageFiles;

/// <summary>
/// Offline usage uploads (artefacts.md §Offline usage upload and ACK file; control.md usage-files):
/// an upload is read safely and its accounts resolved first (<c>PrepareAsync</c>, which
/// stores nothing and may refuse the whole upload), then processed report by report
/// (<see cref="ProcessAsync"/>): good reports are stored and acknowledged through
/// <see cref="UsageService"/>, bad ones go to <c>errors[]</c>, and the ACK download that mirrors the
/// upload's form is kept with the record. Processing happens at upload time; a <c>usage-files</c>
/// job decides how long the upload shows <see cref="UsageFileStatus.Processing"/> (a status GET is
/// its poll), so the outcome appears when the poll transition allows. With
/// <paramref name="strictSignatures"/> (<c>Rum:StrictSignatures</c>) each report's builtin signature
/// must verify with its UDI's RUM key; one that does not is an <c>INVALID_SIGNATURE</c> error of its
/// own while the others go on. Return codes (form 4) are released through
/// <paramref name="authorizations"/>; without it none can be, and each is <c>UNKNOWN_RETURN_CODE</c>.
/// </summary>
public sealed class UsageFileService(ISimulatorStore store, TimeProvider clock, Func<DerivedIds> ids, UsageService usage, JobService jobs,
    PollTransitionService transitions, EventLog events, UploadLimits limits, bool strictSignatures = false, AuthorizationService? authorizations = null)
{
    /// <summary>The poll-transition action of uploads.</summary>
    public const string JobAction = "usage-files";

    /// <summary>Jobs are keyed by a UDI; an upload's job uses this PID with the upload id as serial number.</summary>
    public const string JobPid = "USAGE-FILE";

    /// <summary>At most this many errors are kept per upload; a last one says how many more there were.</summary>
    public const int MaxErrors = 1000;

    /// <summary>The longest a status request waits for the final status (wall time).</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(60);

    private const string CounterKey = "usage-file";
    private const string PlaceholderName = "usage-upload";
    private const int MaxFileNameLength = 255;
    private static readonly TimeSpan WaitStep = TimeSpan.FromMilliseconds(50);

    public UploadLimits Limits => limits;

    /// <summary>
    /// Reads the upload (refusing it whole with <see cref="ArchiveRejectedException"/>) and resolves
    /// where each usage file goes (refusing it with <see cref="UsageFileRequestException"/>). Stores
    /// nothing. <paramref name="fileName"/> null or blank names the upload <c>usage-&lt;id&gt;</c>.
    /// </summary>
    public Task<PreparedUsageFile> PrepareAsync(string? fileName, ReadOnlyMemory<byte> content, string? smartAccount, string? virtualAccount,
        CancellationToken ct = default)
    {
        var name = CleanFileName(fileName);
        var upload = UsageFileReader.Read(name ?? PlaceholderName, content, limits);
        return PrepareAsync(name, upload, hash => hash.AppendData(content.Span), smartAccount, virtualAccount, ct);
    }

    /// <summary>
    /// <see cref="PrepareAsync(string?, ReadOnlyMemory{byte}, string?, string?, CancellationToken)"/> of an
    /// upload in a seekable stream (an upload spooled to a temporary file), read from its position to its
    /// end without holding it in memory. The stream is left open; the prepared upload does not use it.
    /// </summary>
    public Task<PreparedUsageFile> PrepareAsync(string? fileName, Stream content, string? smartAccount, string? virtualAccount,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (!content.CanSeek) throw new ArgumentException("the upload stream must be seekable (spool it to a file first)", nameof(content));
        var name = CleanFileName(fileName);
        var start = content.Position;
        var upload = UsageFileReader.Read(name ?? PlaceholderName, content, limits);
        return PrepareAsync(name, upload, hash =>
        {
            content.Position = start;
            var chunk = new byte[81920];
            int n;
            while ((n = content.Read(chunk)) > 0) hash.AppendData(chunk, 0, n);
        }, smartAccount, virtualAccount, ct);
    }

    private async Task<PreparedUsageFile> PrepareAsync(string? name, UploadedUsageFile upload, Action<System.Security.Cryptography.IncrementalHash> hashContent,
        string? smartAccount, string? virtualAccount, CancellationToken ct)
    {
        var resolver = await AccountResolver.CreateAsync(store, upload.Manifest, Blank(smartAccount), Blank(virtualAccount), ct);

        var groups = new List<(List<int> Entries, UsageFileTarget Target)>();
        void Add(int index, UsageFileTarget target)
        {
            var group = groups.FirstOrDefault(g => g.Target.VirtualAccount.Id == target.VirtualAccount.Id);
            if (group.Entries is null) groups.Add(([index], target));
            else group.Entries.Add(index);
        }

        UsageFileTarget? target;
        switch (upload.Form)
        {
            case UsageFileForm.ReturnFile:
                // A return file names its product instances itself; the account is optional.
                target = await resolver.ForAsync(null, ct);
                break;
            case UsageFileForm.NestedArchive:
                // Each archive entry's place among the upload's entries, found once (a 10,000-device
                // upload searched the list for each entry: 50 million comparisons).
                var indexOf = new Dictionary<UsageFileEntry, int>(upload.Entries.Count, ReferenceEqualityComparer.Instance);
                for (var i = 0; i < upload.Entries.Count; i++) indexOf.TryAdd(upload.Entries[i], i); // the first place, as a scan found
                foreach (var archive in upload.VirtualAccountArchives)
                {
                    var archiveTarget = await resolver.ForAsync(archive.Section, ct) ?? throw resolver.Required($"'{archive.Path}'", archive.Section);
                    foreach (var entry in archive.Entries) Add(indexOf[entry], archiveTarget);
                }
                for (var i = 0; i < upload.Entries.Count; i++)
                {
                    if (upload.Entries[i].VirtualAccountArchivePath is not null) continue;
                    Add(i, await resolver.ForAsync(null, ct) ?? throw resolver.Required($"'{upload.Entries[i].Path}'", null));
                }
                target = groups.Count > 0 ? groups[0].Target : await resolver.ForAsync(null, ct) ?? throw resolver.Required("the upload", null);
                break;
            default:
                target = await resolver.ForAsync(null, ct) ?? throw resolver.Required("the upload", null);
                for (var i = 0; i < upload.Entries.Count; i++) Add(i, target);
                break;
        }

        return new PreparedUsageFile
        {
            Upload = upload,
            NameFromId = name is null,
            Target = target,
            Groups = groups.Select(g => ((IReadOnlyList<int>)g.Entries, g.Target)).ToList(),
            ContentKey = ContentKeyOf(name, hashContent, target, groups),
        };
    }

    /// <summary>SHA-256 of the upload's name, bytes and destinations: the same upload sent again has the same key.</summary>
    private static string ContentKeyOf(string? name, Action<System.Security.Cryptography.IncrementalHash> hashContent, UsageFileTarget? target,
        List<(List<int> Entries, UsageFileTarget Target)> groups)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var text = new System.Text.StringBuilder().Append(name).Append('\n').Append(target?.VirtualAccount.Id).Append('\n');
        foreach (var (entries, groupTarget) in groups) text.Append(groupTarget.VirtualAccount.Id).Append(':').AppendJoin(',', entries).Append('\n');
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(text.ToString()));
        hashContent(hash);
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>
    /// Records and processes a prepared upload. <paramref name="fault"/> is the rule that fired on
    /// the upload request, if any: <c>error</c> ends the upload <see cref="UsageFileStatus.Errors"/>
    /// with its message and processes nothing; <c>ack</c> effects shape the ACKs; <c>poll</c>
    /// effects shape the job.
    /// </summary>
    public async Task<UsageFileView> ProcessAsync(PreparedUsageFile prepared, FaultDecision? fault, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        var target = prepared.Target;
        // Begun in the store before anything is stored and completed last: an upload cut short
        // (SIGKILL) stays hidden, and the same upload sent again resumes it under the same id,
        // storing each report once and adding no ACK row (they are keyed by upload and UDI).
        var (begun, _) = await store.UsageFiles.BeginAsync(prepared.ContentKey, seq =>
        {
            var newId = ids().Uuid5($"{CounterKey}/{seq}").ToString();
            return new StoredUsageFile(newId, seq, target?.Account.Id, target?.VirtualAccount.Id, prepared.NameFromId ? "usage-" + newId : prepared.Upload.FileName,
                UsageFileForms.Name(prepared.Upload.Form), clock.GetUtcNow(), null, UsageFileStatus.Processing, 0, 0, [], null);
        }, ct);
        var (id, seq, now) = (begun.Id, begun.Seq, begun.UploadedAt);
        var upload = prepared.NameFromId ? Renamed(prepared.Upload, "usage-" + id) : prepared.Upload;
        var errors = new ErrorList();
        var outcome = new UsageOutcome(null, 0, 0);

        if (fault?.Effect.Error is { } code) errors.Add(upload.FileName, null, ServerError(code));
        else if (upload.Form == UsageFileForm.ReturnFile) await ReturnCodesAsync(upload, errors, ct);
        else outcome = await ProcessReportsAsync(upload, id, prepared.Groups, fault, errors, now, ct);

        var poll = fault?.Effect.Poll;
        var transition = await transitions.ResolveAsync(JobAction, target?.Account.Domain, ct);
        string? pollId = null;
        var ack = outcome.Ack;
        if (transition.Progression != Progression.Immediate || poll?.NeverComplete == true)
        {
            var job = await jobs.SubmitAsync(new JobRequest(JobAction, JobPid, id, target?.Account.Id, target?.Account.Domain, null,
                FailCode: poll?.FailWith, FailMessage: poll?.FailWith is { } f ? ServerError(f) : null, NeverComplete: poll?.NeverComplete == true), ct);
            pollId = job.PollId;
        }
        else if (poll?.FailWith is { } failWith)
        {
            // Final at once, and failed: the upload ends with the failure and offers no ACK.
            errors.Add(upload.FileName, null, ServerError(failWith));
            ack = null;
        }

        var record = new StoredUsageFile(id, seq, target?.Account.Id, target?.VirtualAccount.Id, upload.FileName, UsageFileForms.Name(upload.Form), now, pollId,
            errors.Count > 0 ? UsageFileStatus.Errors : UsageFileStatus.NoErrors, outcome.ProductInstances, outcome.Reports, errors.ToList(), ack);
        // Completed by a concurrent retry of the same upload: that one's outcome stands (and was logged).
        if (!await store.UsageFiles.CompleteAsync(record, ct))
            return await PeekAsync(id, ct) ?? throw new InvalidOperationException($"upload {id} was completed but cannot be found");
        await events.AppendAsync(EventTypes.UsageFileUploaded, target?.Account.Id, target?.VirtualAccount.Name, null, new
        {
            id,
            file_name = upload.FileName,
            form = record.Form,
            status = record.Status,
            product_instances = record.ProductInstances,
            reports = record.Reports,
            errors = record.Errors.Count,
        }, ct);
        if (record.ProductInstances >= ReleaseMemoryFrom) ReleaseUploadMemory();
        return await ViewAsync(record, countPoll: false, ct);
    }

    /// <summary>From this many product instances in one upload on, its working memory is handed back to the OS after it.</summary>
    public const int ReleaseMemoryFrom = 1_000;

    /// <summary>
    /// An upload of thousands of devices builds hundreds of megabytes of short-lived objects (reports,
    /// ACK elements, the ACK archive). The workstation GC frees them but keeps the memory committed
    /// (RSS stood at 0.7–0.9 GB after the load suite's three 10,000-device uploads); one aggressive
    /// collection once such an upload is complete returns it. Rare by construction, so its pause is too.
    /// </summary>
    private static void ReleaseUploadMemory()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    /// <summary>
    /// The upload's status. This is a poll of its job (control.md §Poll transitions: for an upload, a
    /// poll is a GET of its status). With <paramref name="waitUntilFinal"/>, waits up to that long
    /// (wall time, at most <see cref="MaxWait"/>) for the final status, then answers with
    /// <see cref="UsageFileView.TimedOut"/> when it did not come. Null when the upload is unknown.
    /// </summary>
    public async Task<UsageFileView?> GetAsync(string id, TimeSpan? waitUntilFinal = null, CancellationToken ct = default)
    {
        var record = await store.UsageFiles.FindAsync(id, ct);
        if (record is null) return null;
        var view = await ViewAsync(record, countPoll: true, ct);
        if (view.Final || waitUntilFinal is not { } wait) return view;

        var budget = wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxWait ? MaxWait : wait;
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var left = budget - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero) return view with { TimedOut = true };
            await Task.Delay(left < WaitStep ? left : WaitStep, ct);
            // Waiting is not polling: only other status requests and virtual time move the job on.
            var latest = await PeekAsync(id, ct);
            if (latest is null) return view with { TimedOut = true };
            if (latest.Final) return latest;
            view = latest;
        }
    }

    /// <summary>The upload's status without counting a poll (ACK downloads, listings); null when unknown.</summary>
    public async Task<UsageFileView?> PeekAsync(string id, CancellationToken ct = default) =>
        await store.UsageFiles.FindAsync(id, ct) is { } record ? await ViewAsync(record, countPoll: false, ct) : null;

    /// <summary>Uploads in upload order, of one Smart Account (domain, name or id; all when null), without polling them.</summary>
    public async Task<IReadOnlyList<UsageFileView>> ListAsync(string? smartAccount, CancellationToken ct = default)
    {
        string? accountId = null;
        if (Blank(smartAccount) is { } given)
        {
            accountId = (await FindSmartAccountAsync(store, given, ct))?.Id
                ?? throw new UsageFileRequestException(UsageFileRequestCodes.AccountNotFound, $"no Smart Account '{given}' (give its domain, name or id)");
        }
        var views = new List<UsageFileView>();
        foreach (var record in await store.UsageFiles.ListAsync(accountId, ct)) views.Add(await ViewAsync(record, countPoll: false, ct));
        return views;
    }

    /// <summary>Whether <paramref name="view"/>'s ACK can be downloaded, and the download when it can.</summary>
    public static UsageFileAck AckOf(UsageFileView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (view.Record.Form == UsageFileForms.Return)
            return new UsageFileAck(AckAvailability.None, $"upload {view.Id} is a return file; return files have no ACK", null);
        if (!view.Final)
        {
            return new UsageFileAck(AckAvailability.Processing,
                $"upload {view.Id} is still '{UsageFileStatus.Processing}'; poll GET /_sim/usage-files/{view.Id} until it is final", null);
        }
        if (view.FailureMessage is not null)
            return new UsageFileAck(AckAvailability.None, $"upload {view.Id} failed ({view.FailureMessage}); it has no ACK", null);
        if (view.Record.Ack is null)
            return new UsageFileAck(AckAvailability.None, $"nothing in upload {view.Id} was acknowledged, so it has no ACK; see its errors", null);
        return new UsageFileAck(AckAvailability.Ready, "", view.Record.Ack);
    }

    private async Task<UsageFileView> ViewAsync(StoredUsageFile record, bool countPoll, CancellationToken ct)
    {
        var (final, failure) = await PhaseAsync(record, countPoll, ct);
        var owner = record.VirtualAccountId is null ? null : await store.Accounts.FindByVirtualAccountIdAsync(record.VirtualAccountId, ct);
        var status = !final ? UsageFileStatus.Processing : failure is not null ? UsageFileStatus.Errors : record.Status;
        return new UsageFileView(record, status, final, failure, owner?.Account, owner?.VirtualAccount);
    }

    /// <summary>Whether the upload's job lets it show its outcome, and the job's failure message if it failed.</summary>
    private async Task<(bool Final, string? Failure)> PhaseAsync(StoredUsageFile record, bool countPoll, CancellationToken ct)
    {
        if (record.PollId is null) return (true, null);
        if (countPoll)
        {
            var outcome = await jobs.PollAsync(record.PollId, JobAction, ct);
            return outcome.State switch
            {
                PollState.Pending => (false, null),
                PollState.Failed => (true, outcome.Message ?? ServerError(outcome.Code ?? "UNKNOWN")),
                _ => (true, null), // Complete, or a job that no longer exists
            };
        }
        var job = await store.Jobs.FindJobAsync(record.PollId, ct);
        if (job is null) return (true, null);
        // The same rule JobService applies when it counts a poll.
        var due = !job.NeverComplete && (job.CompleteAfterPolls is { } k ? job.Polls > k : job.CompleteAt is { } at && clock.GetUtcNow() >= at);
        if (!due) return (false, null);
        return (true, job.FailCode is null ? null : job.FailMessage ?? ServerError(job.FailCode));
    }

    private sealed record UsageOutcome(AckDownload? Ack, int ProductInstances, int Reports);

    /// <summary>From this many files in one Virtual Account's group on, they are parsed in parallel.</summary>
    private const int ParallelParsingFrom = 16;

    /// <summary>
    /// Reads every usage file on its own, submits the good reports and trust requests of each
    /// destination together (one ACK per UDI), and builds the ACK download in the upload's form.
    /// </summary>
    private async Task<UsageOutcome> ProcessReportsAsync(UploadedUsageFile upload, string uploadId, IReadOnlyList<(IReadOnlyList<int> Entries, UsageFileTarget Target)> groups,
        FaultDecision? fault, ErrorList errors, DateTimeOffset now, CancellationToken ct)
    {
        if (upload.Entries.Count == 0)
        {
            errors.Add(upload.FileName, null, "the upload holds no usage files: expected RUM report files (.txt/.xml) or Virtual Account archives of device files");
            return new UsageOutcome(null, 0, 0);
        }

        var ackTextByEntry = new Dictionary<string, string>(StringComparer.Ordinal);
        var singleElements = new List<string>();
        var inSingle = new HashSet<Udi>();
        var acknowledged = new HashSet<Udi>();
        var reportCount = 0;

        foreach (var (indexes, target) in groups)
        {
            // Device files are parsed on all cores (each parse stands alone): one after another they
            // were a tenth of a 10,000-device upload's time, on one core.
            var files = new (UsageFileEntry Entry, RumFile File)[indexes.Count];
            void Parse(int k)
            {
                var entry = upload.Entries[indexes[k]];
                files[k] = (entry, entry.UnreadBytes > 0 ? RumFileReader.TooLarge() : RumFileReader.Read(entry.Content.Span));
            }
            if (indexes.Count >= ParallelParsingFrom)
                Parallel.For(0, indexes.Count, new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = Environment.ProcessorCount }, Parse);
            else
                for (var k = 0; k < indexes.Count; k++) Parse(k);
            var reports = new List<RumReport>();
            var accepted = new HashSet<RumReport>(ReferenceEqualityComparer.Instance);
            var trust = new List<Udi>();
            var slacs = new List<SlacRequest>();
            var asking = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (entry, file) in files)
            {
                foreach (var e in file.Errors) errors.Add(entry.Path, e.ReportId, e.Message);
                foreach (var r in file.Reports)
                {
                    if (!strictSignatures || await SignatureVerifiesAsync(r, ct))
                    {
                        reports.Add(r);
                        accepted.Add(r);
                    }
                    else errors.Add(entry.Path, r.ReportId, $"INVALID_SIGNATURE: report {r.ReportId} of {ToUdi(r.Udi)} does not verify with the RUM key of its trust code");
                }
                trust.AddRange(TrustUdisOf(file));
                foreach (var a in file.AuthorizationRequests)
                {
                    slacs.Add(new SlacRequest(ToUdi(a.Udi), a.Entitlements.Select(e => (e.Tag, e.Count)).ToList(), a.Mode == RumAuthorizationMode.Replace, Confirmed: false));
                    asking.Add(entry.Path);
                }
            }
            if (reports.Count == 0 && trust.Count == 0 && slacs.Count == 0) continue;

            var result = await usage.SubmitAsync(new UsageSubmission(target.VirtualAccount, reports, trust.Distinct().ToList(), "upload", fault,
                AuthorizationRequests: slacs, UploadId: uploadId), ct);
            reportCount += result.Reports.Count;
            // A refused SLAC does not say which request it was; name the file when only one asked.
            foreach (var refused in result.RefusedAuthorizations)
                errors.Add(asking.Count == 1 ? asking.First() : null, null, $"SLAC request refused: {refused.ErrorCode}: {refused.ErrorMessage}");
            var byUdi = new Dictionary<Udi, UdiAck>();
            foreach (var a in result.Acks)
            {
                byUdi.TryAdd(a.Udi, a);
                acknowledged.Add(a.Udi);
            }
            foreach (var (entry, file) in files)
            {
                foreach (var r in file.Reports.Where(r => accepted.Contains(r) && !byUdi.ContainsKey(ToUdi(r.Udi))))
                    errors.Add(entry.Path, r.ReportId, $"the report was not acknowledged: {ToUdi(r.Udi)} belongs to no Virtual Account");
                var elements = new List<string>();
                foreach (var udi in UdisOf(file))
                {
                    if (!byUdi.TryGetValue(udi, out var ack)) continue;
                    elements.Add(ack.Elements);
                    if (inSingle.Add(udi)) singleElements.Add(ack.Elements);
                }
                if (elements.Count > 0) ackTextByEntry[entry.Path] = SignedArtefact.File([.. elements]);
            }
        }

        if (acknowledged.Count == 0) return new UsageOutcome(null, 0, reportCount);
        var download = upload.Form == UsageFileForm.NestedArchive
            ? AckArchiveWriter.WriteNested(upload, ackTextByEntry, now)
            : AckArchiveWriter.WriteSingle(upload, SignedArtefact.File([.. singleElements]));
        return new UsageOutcome(download, acknowledged.Count, reportCount);
    }

    /// <summary>
    /// Form 4: there is no device context, so each code must decode to an active authorization of
    /// this simulator (whose UDI it matches), which it releases; any other is <c>UNKNOWN_RETURN_CODE</c>.
    /// </summary>
    private async Task ReturnCodesAsync(UploadedUsageFile upload, ErrorList errors, CancellationToken ct)
    {
        var entry = upload.Entries.Count > 0 ? upload.Entries[0].Path : upload.FileName;
        for (var i = 0; i < upload.ReturnCodes.Count; i++)
        {
            var code = upload.ReturnCodes[i];
            if (authorizations is null)
            {
                errors.Add(entry, null, $"UNKNOWN_RETURN_CODE: return code {code}: this simulator holds no authorizations to return");
                continue;
            }
            // A device's saved file names the UDI of each code: that is the context in which any well-formed code
            // releases the UDI's authorization (artefacts.md §Reservation and SLAC codes); a bare code must decode.
            var outcome = i < upload.ReturnCodeUdis.Count && upload.ReturnCodeUdis[i] is { } named && Udi.TryParse(named, out var udi)
                ? await authorizations.ReturnAnyAsync(udi, code, ct)
                : await authorizations.ReturnByCodeAsync(code, ct);
            if (!outcome.Succeeded) errors.Add(entry, null, $"{outcome.ErrorCode}: return code {code}: {outcome.ErrorMessage}");
        }
    }

    /// <summary>A report's builtin signature checked with the RUM key of its UDI's trust code (none: it fails).</summary>
    private async Task<bool> SignatureVerifiesAsync(RumReport report, CancellationToken ct)
    {
        var key = (await store.Inventory.FindProductInstanceAsync(ToUdi(report.Udi).ToString(), ct))?.RumKey;
        return RumSignature.VerifyWithStoredKey(report.PayloadJson, report.Signature?.Value, key);
    }

    /// <summary>The UDIs a usage file speaks for, in order of appearance: reporters, trust requesters and their HA members, SLAC requesters.</summary>
    private static List<Udi> UdisOf(RumFile file)
    {
        var seen = new HashSet<Udi>();
        var list = new List<Udi>();
        foreach (var udi in file.Reports.Select(r => ToUdi(r.Udi)).Concat(TrustUdisOf(file)).Concat(file.AuthorizationRequests.Select(a => ToUdi(a.Udi))))
        {
            if (seen.Add(udi)) list.Add(udi);
        }
        return list;
    }

    // An HA active asks trust for its members too (17.7.1+): each member gets its own code.
    private static IEnumerable<Udi> TrustUdisOf(RumFile file) =>
        file.TrustRequests.SelectMany(t => t.HaUdis.Select(h => ToUdi(h.Udi)).Prepend(ToUdi(t.Udi)));

    private static Udi ToUdi(RumUdi udi) => new(udi.Pid, udi.SerialNumber);

    private static string ServerError(string code) => Devices.CssmError.ServerErrorMessage(code);

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    /// <summary>The last path segment of a given name (browsers send <c>C:\fakepath\x</c>), or null for none.</summary>
    private static string? CleanFileName(string? fileName)
    {
        if (Blank(fileName) is not { } trimmed) return null;
        var name = EntryPaths.FileNameOf(trimmed).Trim();
        if (name.Length == 0) return null;
        if (name.Any(char.IsControl))
            throw new UsageFileRequestException(UsageFileRequestCodes.InvalidFileName, "the file name holds control characters");
        if (name.Length > MaxFileNameLength)
            throw new UsageFileRequestException(UsageFileRequestCodes.InvalidFileName, $"the file name is longer than {MaxFileNameLength} characters");
        return name;
    }

    /// <summary>The same upload under another name (a single file's entry is the upload itself, so it is renamed too).</summary>
    private static UploadedUsageFile Renamed(UploadedUsageFile upload, string name) => new()
    {
        FileName = name,
        Form = upload.Form,
        IsGzip = upload.IsGzip,
        Manifest = upload.Manifest,
        VirtualAccountArchives = upload.VirtualAccountArchives,
        Entries = upload.Form is UsageFileForm.RumFile or UsageFileForm.ReturnFile
            ? upload.Entries.Select(e => new UsageFileEntry { Path = name, InnerPath = name, Content = e.Content }).ToList()
            : upload.Entries,
        ReturnCodes = upload.ReturnCodes,
        ReturnCodeUdis = upload.ReturnCodeUdis,
        CompressedBytes = upload.CompressedBytes,
        ExpandedBytes = upload.ExpandedBytes,
        ArchiveEntryCount = upload.ArchiveEntryCount,
    };

    /// <summary>A Smart Account by domain, name or id.</summary>
    internal static async Task<SmartAccount?> FindSmartAccountAsync(ISimulatorStore store, string given, CancellationToken ct)
    {
        if (await store.Accounts.FindSmartAccountAsync(given, ct) is { } byDomain) return byDomain;
        var all = await store.Accounts.ListSmartAccountsAsync(ct);
        return all.FirstOrDefault(a => string.Equals(a.Name, given, StringComparison.OrdinalIgnoreCase))
            ?? all.FirstOrDefault(a => string.Equals(a.Id, given, StringComparison.Ordinal));
    }

    /// <summary>Errors in order, at most <see cref="MaxErrors"/>, then one that counts the rest.</summary>
    private sealed class ErrorList
    {
        private readonly List<UsageFileError> _errors = [];
        private int _dropped;

        public int Count => _errors.Count + _dropped;

        public void Add(string? entry, string? reportId, string message)
        {
            if (_errors.Count < MaxErrors) _errors.Add(new UsageFileError(entry, reportId, message));
            else _dropped++;
        }

        public List<UsageFileError> ToList() => _dropped == 0 ? [.. _errors]
            : [.. _errors, new UsageFileError(null, null, $"{_dropped} more errors are not listed (at most {MaxErrors} are kept)")];
    }

    /// <summary>
    /// Where usage files go (artefacts.md): the manifest's Smart Account and Virtual Account (by
    /// name or id) when both exist; otherwise <c>?smartAccount=</c> and <c>?virtualAccount=</c>
    /// (the Smart Account may also come from the manifest, or be the only one holding that Virtual
    /// Account). Accounts the request names must exist even when the manifest wins.
    /// </summary>
    private sealed class AccountResolver
    {
        private readonly ISimulatorStore _store;
        private readonly UsageManifest? _manifest;
        private readonly SmartAccount? _manifestAccount;
        private readonly UsageFileTarget? _query;

        private AccountResolver(ISimulatorStore store, UsageManifest? manifest, SmartAccount? manifestAccount, UsageFileTarget? query)
        {
            _store = store;
            _manifest = manifest;
            _manifestAccount = manifestAccount;
            _query = query;
        }

        public static async Task<AccountResolver> CreateAsync(ISimulatorStore store, UsageManifest? manifest, string? smartAccount, string? virtualAccount,
            CancellationToken ct)
        {
            SmartAccount? queryAccount = null;
            if (smartAccount is not null)
            {
                queryAccount = await FindSmartAccountAsync(store, smartAccount, ct)
                    ?? throw new UsageFileRequestException(UsageFileRequestCodes.AccountNotFound, $"no Smart Account '{smartAccount}' (give its domain, name or id)");
            }
            var manifestAccount = await FindManifestAccountAsync(store, manifest, ct);
            UsageFileTarget? query = null;
            if (virtualAccount is not null)
            {
                var account = queryAccount ?? manifestAccount;
                if (account is not null)
                {
                    var va = await store.Accounts.FindVirtualAccountAsync(account.Id, virtualAccount, ct)
                        ?? throw new UsageFileRequestException(UsageFileRequestCodes.AccountNotFound,
                            $"no Virtual Account '{virtualAccount}' in Smart Account {account.Domain}");
                    query = new UsageFileTarget(account, va);
                }
                else
                {
                    query = await UniqueVirtualAccountAsync(store, virtualAccount, ct);
                }
            }
            return new AccountResolver(store, manifest, manifestAccount, query);
        }

        /// <summary>The destination of a Virtual Account archive's files (<paramref name="section"/> its manifest section) or of loose files (null).</summary>
        public async Task<UsageFileTarget?> ForAsync(ManifestVaSection? section, CancellationToken ct)
        {
            if (_manifestAccount is not null && section is not null)
            {
                foreach (var given in new[] { section.VirtualAccount, section.VirtualAccountId })
                {
                    if (string.IsNullOrWhiteSpace(given)) continue;
                    if (await _store.Accounts.FindVirtualAccountAsync(_manifestAccount.Id, given.Trim(), ct) is { } va)
                        return new UsageFileTarget(_manifestAccount, va);
                }
            }
            return _query;
        }

        public UsageFileRequestException Required(string what, ManifestVaSection? section)
        {
            var manifest = _manifest is null ? "there is no manifest.mf"
                : _manifestAccount is null ? $"the manifest's Smart Account ('{_manifest.SmartAccount}', id '{_manifest.SmartAccountId}') does not exist"
                : section is null ? "the manifest names no Virtual Account for it"
                : $"the manifest's Virtual Account ('{section.VirtualAccount}', id '{section.VirtualAccountId}') does not exist in {_manifestAccount.Domain}";
            return new UsageFileRequestException(UsageFileRequestCodes.VirtualAccountRequired,
                $"no Virtual Account for {what}: {manifest}, and the request gives no ?virtualAccount= (with ?smartAccount=)");
        }

        private static async Task<SmartAccount?> FindManifestAccountAsync(ISimulatorStore store, UsageManifest? manifest, CancellationToken ct)
        {
            if (manifest is null) return null;
            foreach (var given in new[] { manifest.SmartAccount, manifest.SmartAccountId })
            {
                if (string.IsNullOrWhiteSpace(given)) continue;
                if (await FindSmartAccountAsync(store, given.Trim(), ct) is { } account) return account;
            }
            return null;
        }

        // ?virtualAccount= alone: the one Smart Account that has it, if only one does.
        private static async Task<UsageFileTarget?> UniqueVirtualAccountAsync(ISimulatorStore store, string virtualAccount, CancellationToken ct)
        {
            var matches = new List<UsageFileTarget>();
            foreach (var account in await store.Accounts.ListSmartAccountsAsync(ct))
            {
                if (await store.Accounts.FindVirtualAccountAsync(account.Id, virtualAccount, ct) is { } va) matches.Add(new UsageFileTarget(account, va));
            }
            return matches.Count switch
            {
                1 => matches[0],
                0 => throw new UsageFileRequestException(UsageFileRequestCodes.AccountNotFound, $"no Smart Account has a Virtual Account '{virtualAccount}'"),
                _ => throw new UsageFileRequestException(UsageFileRequestCodes.VirtualAccountRequired,
                    $"{matches.Count} Smart Accounts have a Virtual Account '{virtualAccount}'; add ?smartAccount= to pick one"),
            };
        }
    }
}
