using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CssmSim.Server.Tests.Support;
using CssmSim.Testing.Devices;
using static CssmSim.Server.Tests.UsageFiles.UsageFileKit;

namespace CssmSim.Server.Tests.UsageFiles;

/// <summary>
/// Offline usage uploads are spooled to a temporary file in <c>Uploads:TempDirectory</c> as they
/// arrive, read from there, and the file is deleted when the request ends: answered, refused or
/// aborted (issue 14 item 5: each upload in flight held its body in memory, twice over).
/// </summary>
public sealed class UploadSpoolTests : IDisposable
{
    private readonly string _spool = Directory.CreateTempSubdirectory("cssmsim-spool-test-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_spool, recursive: true); } catch (IOException) { }
    }

    private Task<TestSimulator> StartAsync(Action<CssmSim.Server.Hosting.SimulatorOptions>? configure = null) => TestSimulator.StartAsync(o =>
    {
        o.UploadsTempDirectory = _spool;
        configure?.Invoke(o);
    });

    private string[] SpoolFiles() => Directory.Exists(_spool) ? Directory.GetFiles(_spool) : [];

    /// <summary>Waits (a bounded time) for what another thread does: the server ends a request after the client has gone.</summary>
    private static async Task<bool> EventuallyAsync(Func<bool> condition)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(20)) return false;
            await Task.Delay(20, Ct);
        }
        return true;
    }

    /// <summary>A body sent in two halves: the second only once the test releases it (or never, when it is aborted).</summary>
    private sealed class HalvedContent(byte[] content, TaskCompletionSource firstHalfSent, Task release) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var half = content.Length / 2;
            await stream.WriteAsync(content.AsMemory(0, half));
            await stream.FlushAsync();
            firstHalfSent.TrySetResult();
            await release;
            await stream.WriteAsync(content.AsMemory(half));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = content.Length;
            return true;
        }
    }

    [Fact]
    public async Task An_upload_is_spooled_to_a_temporary_file_as_it_arrives_and_the_file_is_gone_once_it_is_answered()
    {
        await using var sim = await StartAsync();
        var devices = Enumerable.Range(1, 60).Select(i => sim.Device($"SPOOL-{i:D4}")).ToList();
        var export = devices.SaveCsluUsage([(NwStack, 5)], new CsluAccount("example.com", "DEFAULT"));
        var half = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var body = new HalvedContent(export.Content, half, release.Task);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");

        var posted = sim.Http.PostAsync("/_sim/usage-files?fileName=" + Uri.EscapeDataString(export.FileName), body, Ct);
        await half.Task;
        var spooled = await EventuallyAsync(() => SpoolFiles() is [var f] && new FileInfo(f).Length >= export.Content.Length / 2);
        var whileArriving = SpoolFiles();
        release.SetResult();
        var id = (await posted.AcceptedAsync())["id"]!.GetValue<string>();
        var afterAnswer = SpoolFiles();

        spooled.ShouldBeTrue($"the first half of the body was never in a file under {_spool} (found: {string.Join(", ", whileArriving)})");
        afterAnswer.ShouldBeEmpty();
        var status = await sim.StatusAsync(id);
        status["status"]!.GetValue<string>().ShouldBe("No Errors", status.ToJsonString());
        status["productInstances"]!.GetValue<int>().ShouldBe(60);
        status["reports"]!.GetValue<int>().ShouldBe(export.ReportIds.Count);
        var ack = UsageFileExport.ReadAckDownload((await sim.DownloadAckAsync(id)).Content);
        ack.Keys.Count(k => k.EndsWith(".txt", StringComparison.Ordinal)).ShouldBe(60);
        (await devices[0].ImportAckAsync(export, await sim.Http.GetByteArrayAsync($"/_sim/usage-files/{id}/ack", Ct), Ct)).ShouldNotBeNull();
    }

    [Fact]
    public async Task A_multipart_upload_is_read_from_the_spool_and_its_file_is_gone_once_it_is_answered()
    {
        await using var sim = await StartAsync();
        var export = new[] { sim.Device("SPOOL-MP-1"), sim.Device("SPOOL-MP-2") }.SaveCsluUsage([(NwStack, 2)], new CsluAccount("example.com", "DEFAULT"));

        var id = (await sim.UploadMultipartAsync(export.Content, export.FileName).AcceptedAsync())["id"]!.GetValue<string>();

        SpoolFiles().ShouldBeEmpty();
        var status = await sim.StatusAsync(id);
        status["status"]!.GetValue<string>().ShouldBe("No Errors", status.ToJsonString());
        status["reports"]!.GetValue<int>().ShouldBe(export.ReportIds.Count);
    }

    [Fact]
    public async Task A_refused_upload_leaves_no_temporary_file()
    {
        await using var sim = await StartAsync(o => o.UploadLimits = new Engine.UsageFiles.UploadLimits(MaxCompressedBytes: 64 * 1024));
        var export = new[] { sim.Device("SPOOL-REF-1") }.SaveCsluUsage([(NwStack, 1)], new CsluAccount("example.com", "DEFAULT"));

        // No Content-Length: refused while it is being spooled, not before.
        using var large = await sim.Http.PostAsync("/_sim/usage-files?fileName=big.bin&smartAccount=example.com&virtualAccount=DEFAULT",
            new ChunkedContent(new byte[200 * 1024]), Ct);
        var afterLarge = SpoolFiles();
        using var truncated = await sim.UploadRawAsync(export.Content[..^8], export.FileName);
        var afterTruncated = SpoolFiles();
        using var noFile = await sim.Http.PostAsync("/_sim/usage-files", new MultipartFormDataContent { { new StringContent("x"), "smartAccount" } }, Ct);
        var afterNoFile = SpoolFiles();

        await large.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, "UPLOAD_TOO_LARGE");
        afterLarge.ShouldBeEmpty();
        await truncated.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "ARCHIVE_REJECTED");
        afterTruncated.ShouldBeEmpty();
        await noFile.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "FILE_REQUIRED");
        afterNoFile.ShouldBeEmpty();
        (await sim.ListAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task An_upload_the_client_abandons_half_way_leaves_no_temporary_file_and_no_upload()
    {
        await using var sim = await StartAsync();
        var export = new[] { sim.Device("SPOOL-AB-1") }.SaveCsluUsage([(NwStack, 1)], new CsluAccount("example.com", "DEFAULT"));
        var content = export.Content.Concat(new byte[256 * 1024]).ToArray();
        var half = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var body = new HalvedContent(content, half, Task.Delay(Timeout.Infinite, abort.Token));
        using var client = new HttpClient { BaseAddress = sim.Server.BaseAddress };

        var posted = client.PostAsync("/_sim/usage-files?fileName=" + Uri.EscapeDataString(export.FileName), body, abort.Token);
        await half.Task;
        var spooled = await EventuallyAsync(() => SpoolFiles().Length == 1);
        await abort.CancelAsync();
        await Should.ThrowAsync<Exception>(() => posted);
        var cleaned = await EventuallyAsync(() => SpoolFiles().Length == 0);

        spooled.ShouldBeTrue("the upload was never spooled");
        cleaned.ShouldBeTrue($"the abandoned upload's temporary file is still there: {string.Join(", ", SpoolFiles())}");
        (await sim.ListAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_single_file_larger_than_any_rum_file_is_an_error_of_that_file_without_being_read_into_memory()
    {
        await using var sim = await StartAsync();
        // 48 MiB + 1: more bytes than 16 Mi characters can take in UTF-8 (RumLimits.MaxDocumentChars).
        var huge = new byte[3 * 16 * 1024 * 1024 + 1];
        huge.AsSpan().Fill((byte)'x');

        var id = (await sim.UploadRawAsync(huge, "huge_rum.txt", "example.com", "DEFAULT").AcceptedAsync())["id"]!.GetValue<string>();

        var status = await sim.StatusAsync(id);
        status["status"]!.GetValue<string>().ShouldBe("Errors");
        status["errors"]!.AsArray().ShouldHaveSingleItem()!["message"]!.GetValue<string>().ShouldContain("larger than 16777216 characters");
        SpoolFiles().ShouldBeEmpty();
    }

    /// <summary>A body sent with <c>Transfer-Encoding: chunked</c> (no Content-Length), so the server learns its size only by reading it.</summary>
    private sealed class ChunkedContent(byte[] content) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(content).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
