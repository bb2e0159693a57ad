using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using CssmSim.Engine.Events;
using CssmSim.Engine.Jobs;
using CssmSim.Engine.Policies;
using CssmSim.Engine.Signing;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Tests.Support;
using CssmSim.Engine.Tokens;
using CssmSim.Engine.Trust;
using CssmSim.Engine.Usage;
using CssmSim.Engine.UsageFiles;

namespace CssmSim.Engine.Tests.UsageFiles;

/// <summary><see cref="UsageFileService"/> on a real store: account resolution, naming, error capping, ids and job phases.</summary>
public sealed class UsageFileServiceTests
{
    private const string NwStack = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class Harness : IAsyncDisposable
    {
        private Harness(SeededStore seeded, UsageFileService service, PollTransitionService transitions)
        {
            Seeded = seeded;
            Service = service;
            Transitions = transitions;
        }

        public SeededStore Seeded { get; }
        public ISimulatorStore Store => Seeded.Store;
        public UsageFileService Service { get; }
        public PollTransitionService Transitions { get; }

        public static async Task<Harness> StartAsync(string? seed = null)
        {
            var seeded = await SeededStore.StartAsync(StoreKind.Memory, seed);
            var store = seeded.Store;
            var clock = seeded.Clock;
            var signer = ArtefactSigner.Create(CertificateBundle.LoadEmbedded(), SigningAlgorithm.Ecdsa);
            var events = new EventLog(store, clock);
            var policies = new PolicyService(store, signer, clock, events);
            var tokens = new TokenService(store, clock, () => seeded.Seeds.Ids, events);
            var trust = new TrustService(store, clock, () => seeded.Seeds.Ids, signer, policies, tokens);
            var usage = new UsageService(store, clock, () => seeded.Seeds.Ids, signer, policies, trust, events);
            var transitions = new PollTransitionService(store, 300);
            var jobs = new JobService(store, clock, transitions, () => seeded.Seeds.Ids);
            var service = new UsageFileService(store, clock, () => seeded.Seeds.Ids, usage, jobs, transitions, events, UploadLimits.Default);
            return new Harness(seeded, service, transitions);
        }

        public async Task<UsageFileView> UploadAsync(string? name, byte[] content, string? sa = "example.com", string? va = "DEFAULT") =>
            await Service.ProcessAsync(await Service.PrepareAsync(name, content, sa, va, Ct), null, Ct);

        public ValueTask DisposeAsync() => Seeded.DisposeAsync();
    }

    private static byte[] RumFile(string serial, ulong reportId, long count = 1)
    {
        var builder = new RumReportBuilder(new RumUdi("C9800-CL-K9", serial), NwStack, reportId);
        builder.AddMeasurement(count, ManualTimeProvider.DefaultStart.AddDays(-1), ManualTimeProvider.DefaultStart);
        return new RumFileWriter().AddReport(builder.BuildSigned(new byte[32])).ToUtf8();
    }

    private static byte[] Tar(IEnumerable<(string Name, byte[] Data)> files, bool gzip)
    {
        var output = new MemoryStream();
        using (Stream target = gzip ? new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true) : output)
        using (var tar = new TarWriter(target, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (name, data) in files) tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
        }
        return output.ToArray();
    }

    private static byte[] Nested(string manifest, params (string Name, byte[] Data)[] devices) =>
        Tar([("manifest.mf", Encoding.UTF8.GetBytes(manifest)), ("UD_VA_1.tar.gz", Tar(devices, gzip: true))], gzip: true);

    [Fact]
    public async Task Prepare_reads_and_resolves_without_writing_anything()
    {
        await using var h = await Harness.StartAsync();
        var before = await h.Seeded.StateAsync();

        var prepared = await h.Service.PrepareAsync("all_rum.txt", RumFile("PREP-1", 1), "Example Co", "234567", Ct);
        await Should.ThrowAsync<ArchiveRejectedException>(() => h.Service.PrepareAsync("x.tar.gz", new byte[] { 0x1f, 0x8b, 8, 0, 0 }, "example.com", "DEFAULT", Ct));
        var required = await Should.ThrowAsync<UsageFileRequestException>(() => h.Service.PrepareAsync("all_rum.txt", RumFile("PREP-1", 1), null, null, Ct));

        prepared.Target.ShouldNotBeNull().VirtualAccount.Name.ShouldBe("DEFAULT");
        prepared.NameFromId.ShouldBeFalse();
        required.Code.ShouldBe(UsageFileRequestCodes.VirtualAccountRequired);
        (await h.Seeded.StateAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task A_manifest_names_its_accounts_by_id_and_a_lone_virtual_account_name_finds_its_smart_account()
    {
        await using var h = await Harness.StartAsync();

        var byId = await h.Service.PrepareAsync("UD_SA_1.tar.gz",
            Nested("Smart-Account-ID: 123456\n\nName: /UD_VA_1.tar.gz\nSpecification-VA-ID: 234568\n", ("dev_1_1.txt", RumFile("ID-1", 1))), null, null, Ct);
        var lone = await h.Service.PrepareAsync("all_rum.txt", RumFile("LONE-1", 1), null, "Lab", Ct);

        byId.Target.ShouldNotBeNull().VirtualAccount.Name.ShouldBe("Lab");
        lone.Target.ShouldNotBeNull().Account.Domain.ShouldBe("example.com");
        lone.Target!.VirtualAccount.Name.ShouldBe("Lab");
    }

    [Fact]
    public async Task A_virtual_account_name_held_by_two_smart_accounts_needs_the_smart_account()
    {
        await using var h = await Harness.StartAsync();
        await h.Seeded.MergeAsync("accounts: [{domain: other.example, virtualAccounts: [{name: Lab}]}]");

        var e = await Should.ThrowAsync<UsageFileRequestException>(() => h.Service.PrepareAsync("all_rum.txt", RumFile("TWO-1", 1), null, "Lab", Ct));

        e.Code.ShouldBe(UsageFileRequestCodes.VirtualAccountRequired);
        e.Message.ShouldContain("smartAccount");
        (await h.Service.PrepareAsync("all_rum.txt", RumFile("TWO-1", 1), "other.example", "Lab", Ct)).Target!.Account.Domain.ShouldBe("other.example");
    }

    [Fact]
    public async Task A_file_name_with_control_characters_is_refused_and_a_path_keeps_only_its_last_segment()
    {
        await using var h = await Harness.StartAsync();

        var e = await Should.ThrowAsync<UsageFileRequestException>(() => h.Service.PrepareAsync("bad\r\nname.txt", RumFile("NAME-1", 1), "example.com", "DEFAULT", Ct));
        var view = await h.UploadAsync(@"C:\fakepath\all_rum.txt", RumFile("NAME-1", 1));

        e.Code.ShouldBe(UsageFileRequestCodes.InvalidFileName);
        view.FileName.ShouldBe("all_rum.txt");
    }

    [Fact]
    public async Task Upload_ids_follow_the_seed_and_an_unnamed_upload_and_its_entry_are_named_after_the_id()
    {
        await using var a = await Harness.StartAsync();
        await using var b = await Harness.StartAsync();

        var first = await a.UploadAsync(null, RumFile("IDS-1", 1));
        var same = await b.UploadAsync(null, RumFile("IDS-1", 1));
        var second = await a.UploadAsync(null, RumFile("IDS-2", 2));

        same.Id.ShouldBe(first.Id);
        second.Id.ShouldNotBe(first.Id);
        first.FileName.ShouldBe("usage-" + first.Id);
        first.Record.Ack.ShouldNotBeNull().FileName.ShouldBe($"ACK_usage-{first.Id}.txt");
        first.Record.Seq.ShouldBe(1);
        second.Record.Seq.ShouldBe(2);
    }

    [Fact]
    public async Task Errors_are_kept_up_to_the_cap_and_the_rest_are_counted()
    {
        await using var h = await Harness.StartAsync();
        var files = Enumerable.Range(0, UsageFileService.MaxErrors + 5).Select(i => ($"bad_{i:D4}.txt", Encoding.UTF8.GetBytes("not xml"))).ToList();
        files.Add(("good.txt", RumFile("CAP-1", 9)));

        var view = await h.UploadAsync("UD_many_bad.tar", Tar(files, gzip: false));

        view.Status.ShouldBe(UsageFileStatus.Errors);
        view.Errors.Count.ShouldBe(UsageFileService.MaxErrors + 1);
        view.Errors[^1].Message.ShouldContain("5 more errors");
        view.Errors[0].Entry.ShouldBe("bad_0000.txt");
        view.Reports.ShouldBe(1);
        view.ProductInstances.ShouldBe(1);
        UsageFileService.AckOf(view).Availability.ShouldBe(AckAvailability.Ready);
    }

    [Fact]
    public async Task A_return_file_without_an_account_is_recorded_without_one_and_has_no_ack()
    {
        await using var h = await Harness.StartAsync();

        var view = await h.UploadAsync("return.txt", Encoding.ASCII.GetBytes("CqaUPW-WSPYiq-ZNU2ci-SnWydS-hBCXHP-MuyPqy-PJ1GiG-tPTGQj-S2h\n"), null, null);

        view.Record.SmartAccountId.ShouldBeNull();
        view.Record.Form.ShouldBe(UsageFileForms.Return);
        view.Errors.ShouldHaveSingleItem().Message.ShouldStartWith("UNKNOWN_RETURN_CODE");
        UsageFileService.AckOf(view).Availability.ShouldBe(AckAvailability.None);
        (await h.Service.ListAsync(null, Ct)).ShouldHaveSingleItem().Id.ShouldBe(view.Id);
    }

    [Fact]
    public async Task Peeking_never_counts_a_poll_while_each_get_does()
    {
        await using var h = await Harness.StartAsync();
        await h.Transitions.SetAsync(System.Text.Json.Nodes.JsonNode.Parse("""{"action":"usage-files","progression":"polls","times":1}"""), Ct);
        var view = await h.UploadAsync("p.txt", RumFile("PEEK-1", 1));

        view.Status.ShouldBe(UsageFileStatus.Processing);
        for (var i = 0; i < 3; i++) (await h.Service.PeekAsync(view.Id, Ct))!.Final.ShouldBeFalse();
        (await h.Service.GetAsync(view.Id, ct: Ct))!.Status.ShouldBe(UsageFileStatus.Processing);
        (await h.Service.PeekAsync(view.Id, Ct))!.Final.ShouldBeFalse();
        (await h.Service.GetAsync(view.Id, ct: Ct))!.Status.ShouldBe(UsageFileStatus.NoErrors);
        (await h.Service.PeekAsync(view.Id, Ct))!.Final.ShouldBeTrue();
    }
}
