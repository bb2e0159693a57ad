using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Server.Tests.Support;
using CssmSim.Testing.Devices;
using static CssmSim.Server.Tests.UsageFiles.UsageFileKit;

namespace CssmSim.Server.Tests.UsageFiles;

/// <summary>The other upload forms, accounts, faults, duplicates and events of <c>POST /_sim/usage-files</c>.</summary>
public sealed class UsageFileUploadTests
{
    /// <summary>The real report from a C9800-CL, read from the shared samples at run time, byte for byte.</summary>
    private static byte[] RealSample()
    {
        foreach (var path in new[] { "/work/shared/samples/rum-report-c9800cl.xml", Path.Combine(AppContext.BaseDirectory, "TestData", "rum-report-c9800cl.xml") })
        {
            if (File.Exists(path)) return File.ReadAllBytes(path);
        }
        Assert.Skip("the shared sample rum-report-c9800cl.xml is not available on this machine");
        return [];
    }

    [Fact]
    public async Task The_real_c9800_report_uploaded_alone_is_acknowledged_in_an_ack_txt_named_after_it()
    {
        await using var sim = await TestSimulator.StartAsync();
        var sample = RealSample();

        var upload = await sim.UploadRawAsync(sample, "rum-report-c9800cl.xml", "example.com", "DEFAULT", "text/xml").AcceptedAsync();
        var id = upload["id"]!.GetValue<string>();

        upload["status"]!.GetValue<string>().ShouldBe("No Errors");
        var status = await sim.StatusAsync(id);
        status["productInstances"]!.GetValue<int>().ShouldBe(1);
        status["reports"]!.GetValue<int>().ShouldBe(1);
        var (name, contentType, content) = await sim.DownloadAckAsync(id);
        name.ShouldBe("ACK_rum-report-c9800cl.txt");
        contentType.ShouldBe("text/plain");
        var ack = RumAcks(Encoding.UTF8.GetString(content)).ShouldHaveSingleItem();
        ack["sudi"]!["udi_serial_number"]!.GetValue<string>().ShouldBe("9NTUEA8FIIH");
        var reportId = ack["acknowledgements"]![0]!["report_id"]!;
        reportId.GetValueKind().ShouldBe(JsonValueKind.Number);
        reportId.ToJsonString().ShouldBe("1671840750");
        ack["acknowledgements"]![0]!["status"]!.GetValue<string>().ShouldBe("ACKED");
        (await sim.Http.GetStringAsync("/_sim/accounts/example.com/virtual-accounts/DEFAULT/product-instances", Ct)).ShouldContain("9NTUEA8FIIH");
        // Stored byte-exact: the payload in the store is the sample's payload string.
        var stored = (await sim.TableAsync("usage_reports")).ShouldHaveSingleItem()!;
        using var envelope = JsonDocument.Parse(XElement.Parse(Encoding.UTF8.GetString(sample)).Value);
        stored["payload"]!.GetValue<string>().ShouldBe(envelope.RootElement.GetProperty("payload").GetString());
    }

    [Fact]
    public async Task A_plain_tar_of_report_files_gets_one_ack_txt_holding_one_rum_ack_per_udi()
    {
        Tools.Require("tar");
        await using var sim = await TestSimulator.StartAsync();
        using var dir = new Scratch();
        var a = sim.Device("PLAIN-A");
        var b = sim.Device("PLAIN-B");
        dir.Write("files/a_rum.txt", a.SaveUsage([(NwStack, 1)], includeTrustRequest: false).Content);
        dir.Write("files/b_rum.xml", b.SaveUsage([(NwStack, 2), (AirDna, 3)], includeTrustRequest: false).Content);
        Tools.Run(dir.Path, "tar", "-cf", "UD_20240101.tar", "-C", "files", "a_rum.txt", "b_rum.xml");

        var upload = await sim.UploadRawAsync(dir.Read("UD_20240101.tar"), "UD_20240101.tar", "example.com", "DEFAULT").AcceptedAsync();
        var id = upload["id"]!.GetValue<string>();

        var status = await sim.StatusAsync(id);
        status["status"]!.GetValue<string>().ShouldBe("No Errors");
        status["productInstances"]!.GetValue<int>().ShouldBe(2);
        status["reports"]!.GetValue<int>().ShouldBe(3);
        var (name, _, content) = await sim.DownloadAckAsync(id);
        name.ShouldBe("ACK_UD_20240101.txt");
        var text = Encoding.UTF8.GetString(content);
        RumAcks(text).Select(x => x["sudi"]!["udi_serial_number"]!.GetValue<string>()).ShouldBe(["PLAIN-A", "PLAIN-B"], ignoreOrder: true);
        (await Tools.OpenSslVerifyAsync(sim, text)).ShouldContain("Verified OK");
    }

    [Fact]
    public async Task A_gzipped_tar_renamed_without_its_extension_is_detected_by_its_magic_bytes()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = sim.Device("RENAMED-1");
        var tarGz = TarGz(("usage.txt", device.SaveUsage([(NwStack, 4)]).Content));

        var upload = await sim.UploadMultipartAsync(tarGz, "UD_renamed", "example.com", "DEFAULT").AcceptedAsync();
        var id = upload["id"]!.GetValue<string>();

        (await sim.StatusAsync(id))["status"]!.GetValue<string>().ShouldBe("No Errors");
        (await sim.DownloadAckAsync(id)).FileName.ShouldBe("ACK_UD_renamed.txt");
    }

    [Fact]
    public async Task A_raw_body_without_a_file_name_is_named_after_its_id()
    {
        await using var sim = await TestSimulator.StartAsync();
        var file = sim.Device("NONAME-1").SaveUsage([(NwStack, 1)]);

        var id = (await sim.UploadRawAsync(file.Content, null, "example.com", "DEFAULT").AcceptedAsync())["id"]!.GetValue<string>();

        (await sim.StatusAsync(id))["fileName"]!.GetValue<string>().ShouldBe("usage-" + id);
        (await sim.DownloadAckAsync(id)).FileName.ShouldBe($"ACK_usage-{id}.txt");
    }

    [Fact]
    public async Task A_browser_form_may_send_the_accounts_as_fields_beside_the_file()
    {
        await using var sim = await TestSimulator.StartAsync();
        var file = sim.Device("FORM-1").SaveUsage([(NwStack, 1)]);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("Lab"), "virtualAccount" },
            { new ByteArrayContent(file.Content), "file", "all_rum.txt" },
            { new StringContent("example.com"), "smartAccount" },
        };

        using var r = await sim.Http.PostAsync("/_sim/usage-files", form, Ct);

        r.StatusCode.ShouldBe(HttpStatusCode.Accepted, await r.Content.ReadAsStringAsync(Ct));
        (await sim.ListAsync()).ShouldHaveSingleItem()!["virtualAccount"]!.GetValue<string>().ShouldBe("Lab");
    }

    [Fact]
    public async Task A_multipart_body_without_a_file_field_is_refused_and_leaves_no_trace()
    {
        await using var sim = await TestSimulator.StartAsync();
        var before = await sim.SnapshotAsync();
        using var form = new MultipartFormDataContent { { new ByteArrayContent([1, 2, 3]), "upload", "x.txt" } };

        using var r = await sim.Http.PostAsync("/_sim/usage-files?smartAccount=example.com&virtualAccount=DEFAULT", form, Ct);

        await r.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "FILE_REQUIRED");
        (await sim.SnapshotAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task An_upload_without_any_virtual_account_is_refused_and_leaves_no_trace()
    {
        await using var sim = await TestSimulator.StartAsync();
        var file = sim.Device("NOVA-1").SaveUsage([(NwStack, 1)]);
        var before = await sim.SnapshotAsync();

        using (var r = await sim.UploadRawAsync(file.Content, "all_rum.txt"))
            (await r.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "VIRTUAL_ACCOUNT_REQUIRED"))["detail"]!.GetValue<string>().ShouldContain("virtualAccount");
        using (var r = await sim.UploadRawAsync(file.Content, "all_rum.txt", "no-such.example", "DEFAULT"))
            await r.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "ACCOUNT_NOT_FOUND");
        using (var r = await sim.UploadRawAsync(file.Content, "all_rum.txt", "example.com", "NoSuchVa"))
            await r.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "ACCOUNT_NOT_FOUND");

        (await sim.SnapshotAsync()).ShouldBe(before);
        (await sim.ListAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task The_manifest_account_wins_over_the_query_and_an_unknown_one_falls_back_to_the_query()
    {
        await using var sim = await TestSimulator.StartAsync();
        var toLab = sim.Device("MANIFEST-LAB");
        var export = new[] { toLab }.SaveCsluUsage([(NwStack, 1)], new CsluAccount("example.com", "Lab"));
        (await sim.UploadRawAsync(export.Content, export.FileName, "example.com", "DEFAULT").AcceptedAsync())["status"]!.GetValue<string>().ShouldBe("No Errors");

        var fallback = sim.Device("MANIFEST-UNKNOWN");
        var unknown = new[] { fallback }.SaveCsluUsage([(NwStack, 1)], new CsluAccount("example.com", "Gone", "", "999"));
        using (var refused = await sim.UploadRawAsync(unknown.Content, unknown.FileName))
            (await refused.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "VIRTUAL_ACCOUNT_REQUIRED"))["detail"]!.GetValue<string>().ShouldContain("Gone");
        await sim.UploadRawAsync(unknown.Content, unknown.FileName, virtualAccount: "DEFAULT").AcceptedAsync();

        (await sim.Http.GetStringAsync("/_sim/accounts/example.com/virtual-accounts/Lab/product-instances", Ct)).ShouldContain("MANIFEST-LAB");
        var inDefault = await sim.Http.GetStringAsync("/_sim/accounts/example.com/virtual-accounts/DEFAULT/product-instances", Ct);
        inDefault.ShouldContain("MANIFEST-UNKNOWN");
        inDefault.ShouldNotContain("MANIFEST-LAB");
        var listed = await sim.ListAsync();
        listed.Select(u => u!["virtualAccount"]!.GetValue<string>()).ShouldBe(["Lab", "DEFAULT"]);
    }

    [Fact]
    public async Task A_return_file_needs_no_account_and_each_code_ends_in_errors_as_unknown_without_an_ack()
    {
        await using var sim = await TestSimulator.StartAsync();
        var decodable = ReturnCode.Generate(Guid.Parse("0b9ef3c8-0a9e-4a5e-9d7c-2d6f7c3e1a11"), new UdiRef("C9800-CL-K9", "RETURN-1"));
        const string RealShaped = "CqaUPW-WSPYiq-ZNU2ci-SnWydS-hBCXHP-MuyPqy-PJ1GiG-tPTGQj-S2h";

        var upload = await sim.UploadRawAsync(Encoding.ASCII.GetBytes($"{decodable}\r\n{RealShaped}\r\n"), "slr_return.txt", contentType: "text/plain")
            .AcceptedAsync();
        var id = upload["id"]!.GetValue<string>();

        var status = await sim.StatusAsync(id);
        status["status"]!.GetValue<string>().ShouldBe("Errors");
        var errors = status["errors"]!.AsArray();
        errors.Count.ShouldBe(2);
        foreach (var e in errors)
        {
            e!.AsObject().ShouldHaveExactKeys("entry", "reportId", "message");
            e["entry"]!.GetValue<string>().ShouldBe("slr_return.txt");
            e["reportId"].ShouldBeNull();
            e["message"]!.GetValue<string>().ShouldStartWith("UNKNOWN_RETURN_CODE");
        }
        errors[0]!["message"]!.GetValue<string>().ShouldContain(decodable);
        using var ack = await sim.AckAsync(id);
        (await ack.ShouldBeProblemAsync(HttpStatusCode.NotFound, "NO_ACK"))["detail"]!.GetValue<string>().ShouldContain("return file");
    }

    [Fact]
    public async Task Reports_sent_in_two_uploads_are_stored_and_counted_once_and_acknowledged_again()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = sim.Device("DUP-UPLOAD");
        var first = device.SaveUsage([(NwStack, 6), (AirDna, 2)], includeTrustRequest: false);

        var one = (await sim.UploadRawAsync(first.Content, "all_rum.txt", "example.com", "DEFAULT").AcceptedAsync())["id"]!.GetValue<string>();
        var two = (await sim.UploadMultipartAsync(first.Content, "all_rum.txt", "example.com", "DEFAULT").AcceptedAsync())["id"]!.GetValue<string>();

        one.ShouldNotBe(two);
        (await sim.TableAsync("usage_reports")).Count.ShouldBe(2);
        var second = RumAcks(Encoding.UTF8.GetString((await sim.DownloadAckAsync(two)).Content)).ShouldHaveSingleItem();
        second["acknowledgements"]!.AsArray().Select(x => x!["status"]!.GetValue<string>()).ShouldBe(["ACKED", "ACKED"]);
        (await sim.StatusAsync(two))["status"]!.GetValue<string>().ShouldBe("No Errors");

        // A later file with one old and one new report adds only the new one.
        var later = device.SaveUsage([(NwStack, 7)], includeTrustRequest: false);
        var merged = new RumMerge(first.Content, later.Content).Bytes;
        await sim.UploadRawAsync(merged, "all_rum_2.txt", "example.com", "DEFAULT").AcceptedAsync();
        (await sim.TableAsync("usage_reports")).Count.ShouldBe(3);
    }

    [Fact]
    public async Task A_fault_error_on_upload_ends_the_upload_in_errors_with_its_message_and_stores_no_report()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.PostJsonAsync("/_sim/faults", """{"match":{"surface":"usage-files","operation":"upload"},"effect":{"error":"LS_LICENGINE_FAIL_TO_CONNECT"},"when":{"times":1}}""");
        var file = sim.Device("FAULTED-1").SaveUsage([(NwStack, 1)]);

        var id = (await sim.UploadRawAsync(file.Content, "all_rum.txt", "example.com", "DEFAULT").AcceptedAsync())["id"]!.GetValue<string>();

        var status = await sim.StatusAsync(id);
        status["status"]!.GetValue<string>().ShouldBe("Errors");
        status["errors"]![0]!["message"]!.GetValue<string>().ShouldBe("Server error occurred: LS_LICENGINE_FAIL_TO_CONNECT");
        (await sim.TableAsync("usage_reports")).ShouldBeEmpty();
        using (var ack = await sim.AckAsync(id)) await ack.ShouldBeProblemAsync(HttpStatusCode.NotFound, "NO_ACK");

        // The rule fired once; the retry goes through.
        var retry = (await sim.UploadRawAsync(file.Content, "all_rum.txt", "example.com", "DEFAULT").AcceptedAsync())["id"]!.GetValue<string>();
        (await sim.StatusAsync(retry))["status"]!.GetValue<string>().ShouldBe("No Errors");
        var journal = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/journal?surface=usage-files&operation=upload", Ct));
        journal["entries"]!.AsArray().Count.ShouldBe(2);
        journal["entries"]!.AsArray().Count(e => e!["fault"] is JsonObject).ShouldBe(1);
    }

    [Fact]
    public async Task A_fault_error_on_ack_download_answers_503_problem_with_the_code()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.PostJsonAsync("/_sim/faults", """{"match":{"surface":"usage-files","operation":"ack","smartAccount":"example.com"},"effect":{"error":"ACK_UNAVAILABLE"},"when":{"times":1}}""");
        var id = (await sim.UploadRawAsync(sim.Device("ACKFAULT-1").SaveUsage([(NwStack, 1)]).Content, "x.txt", "example.com", "DEFAULT").AcceptedAsync())["id"]!
            .GetValue<string>();

        using (var r = await sim.AckAsync(id)) await r.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable, "ACK_UNAVAILABLE");
        (await sim.DownloadAckAsync(id)).FileName.ShouldBe("ACK_x.txt");
    }

    [Fact]
    public async Task An_ack_fault_effect_shapes_the_stored_ack_and_downloads_stay_identical()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.PostJsonAsync("/_sim/faults", """{"match":{"surface":"usage-files","operation":"upload"},"effect":{"ack":{"reportStatus":"REMOVED","omitPolicy":true}}}""");
        var id = (await sim.UploadRawAsync(sim.Device("ACKEFFECT-1").SaveUsage([(NwStack, 1)]).Content, "x.txt", "example.com", "DEFAULT").AcceptedAsync())["id"]!
            .GetValue<string>();

        var first = (await sim.DownloadAckAsync(id)).Content;
        var text = Encoding.UTF8.GetString(first);
        RumAcks(text).Single()["acknowledgements"]![0]!["status"]!.GetValue<string>().ShouldBe("REMOVED");
        text.ShouldNotContain("<smartLicensePolicy>");
        (await sim.DownloadAckAsync(id)).Content.ShouldBe(first);
    }

    [Fact]
    public async Task An_upload_emits_a_usage_file_uploaded_event_and_appears_in_the_listing()
    {
        await using var sim = await TestSimulator.StartAsync();
        var id = (await sim.UploadRawAsync(sim.Device("EVENT-1").SaveUsage([(NwStack, 1)]).Content, "ev.txt", "example.com", "DEFAULT").AcceptedAsync())["id"]!
            .GetValue<string>();

        var events = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/events?type=USAGE_FILE_UPLOADED", Ct));
        var e = events["events"]!.AsArray().ShouldHaveSingleItem()!;
        e["virtualAccount"]!.GetValue<string>().ShouldBe("DEFAULT");
        e["details"]!["id"]!.GetValue<string>().ShouldBe(id);
        e["details"]!["file_name"]!.GetValue<string>().ShouldBe("ev.txt");
        var row = (await sim.ListAsync()).ShouldHaveSingleItem()!;
        row["id"]!.GetValue<string>().ShouldBe(id);
        row["status"]!.GetValue<string>().ShouldBe("No Errors");
        row["ack"]!.GetValue<string>().ShouldBe("ACK_ev.txt");
        row["productInstances"]!.GetValue<int>().ShouldBe(1);
    }

    [Fact]
    public async Task An_unknown_upload_id_is_404_for_status_and_ack()
    {
        await using var sim = await TestSimulator.StartAsync();
        using (var r = await sim.Http.GetAsync("/_sim/usage-files/nope", Ct)) (await TestSimulator.ReadJsonAsync(r))["status"]!.GetValue<int>().ShouldBe(404);
        using (var r = await sim.AckAsync("nope")) r.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Uploads_go_back_to_the_seed_on_reset()
    {
        await using var sim = await TestSimulator.StartAsync();
        var id = (await sim.UploadRawAsync(sim.Device("RESET-1").SaveUsage([(NwStack, 1)]).Content, "r.txt", "example.com", "DEFAULT").AcceptedAsync())["id"]!
            .GetValue<string>();
        await sim.PostJsonAsync("/_sim/reset?smartAccount=example.com", "{}");

        (await sim.ListAsync()).ShouldBeEmpty();
        using var r = await sim.Http.GetAsync($"/_sim/usage-files/{id}", Ct);
        r.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    /// <summary>Two RUM files joined into one <c>&lt;smartLicense&gt;</c>, as a device's "save usage all" holds old and new reports.</summary>
    private sealed class RumMerge(byte[] first, byte[] second)
    {
        public byte[] Bytes { get; } = Encoding.UTF8.GetBytes("<smartLicense>" + Inner(first) + Inner(second) + "</smartLicense>");

        private static string Inner(byte[] file)
        {
            var text = Encoding.UTF8.GetString(file);
            var start = text.IndexOf("<smartLicense>", StringComparison.Ordinal) + "<smartLicense>".Length;
            return text[start..text.LastIndexOf("</smartLicense>", StringComparison.Ordinal)];
        }
    }
}
