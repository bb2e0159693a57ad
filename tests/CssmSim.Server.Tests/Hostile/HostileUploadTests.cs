using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.UsageFiles;
using CssmSim.Testing.Devices;

namespace CssmSim.Server.Tests.Hostile;

/// <summary>
/// Broken multipart bodies and hostile file names on the usage-file upload: refused with a
/// problem+json 4xx and no trace, or (a hostile name on good data) accepted with the name kept
/// as a label only, never as a path.
/// </summary>
public sealed class HostileUploadTests(HostileSimulator sim) : IClassFixture<HostileSimulator>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string Upload = "/_sim/usage-files?smartAccount=example.com&virtualAccount=DEFAULT";
    private const string Tag = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";

    private static ByteArrayContent Raw(string contentType, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    private static byte[] Part(string boundary, string disposition, string body, bool close = true, string extraHeaders = "") =>
        Encoding.UTF8.GetBytes($"--{boundary}\r\nContent-Disposition: {disposition}\r\n{extraHeaders}Content-Type: application/octet-stream\r\n\r\n{body}\r\n" + (close ? $"--{boundary}--\r\n" : ""));

    public static TheoryData<string, string> BrokenMultiparts => new()
    {
        { "boundary that is not in the body", "multipart/form-data; boundary=expected" },
        { "no boundary parameter", "multipart/form-data" },
        { "empty boundary", "multipart/form-data; boundary=\"\"" },
        { "boundary of 500 characters", "multipart/form-data; boundary=" + new string('b', 500) },
        { "unterminated body", "multipart/form-data; boundary=actual" },
        { "part headers of 100 KB", "multipart/form-data; boundary=actual" },
        { "no file field", "multipart/form-data; boundary=actual" },
        { "10,000 empty fields", "multipart/form-data; boundary=actual" },
        { "quoted boundary with a quote inside", "multipart/form-data; boundary=\"ac\\\"tual\"" },
    };

    [Theory]
    [MemberData(nameof(BrokenMultiparts))]
    public async Task A_broken_multipart_body_is_refused_with_problem_json_and_leaves_no_trace(string name, string contentType)
    {
        var rum = Encoding.UTF8.GetString(sim.Sim.Device("MP-" + name.Length).SaveUsage([(Tag, 1)]).Content);
        var body = name switch
        {
            "unterminated body" => Part("actual", "form-data; name=\"file\"; filename=\"a.txt\"", rum, close: false),
            "part headers of 100 KB" => Part("actual", "form-data; name=\"file\"; filename=\"a.txt\"", rum, extraHeaders: "X-Pad: " + new string('p', 100_000) + "\r\n"),
            "no file field" => Part("actual", "form-data; name=\"other\"; filename=\"a.txt\"", rum),
            "10,000 empty fields" => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("--actual\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n\r\n", 10_000)) + "--actual--\r\n"),
            _ => Part("actual", "form-data; name=\"file\"; filename=\"a.txt\"", rum),
        };

        var (status, _, media) = await sim.SendHostileAsync(sim.Request(HttpMethod.Post, Upload, Raw(contentType, body)), "multipart: " + name);

        status.ShouldBeInRange(400, 499);
        media.ShouldBe("application/problem+json");
    }

    [Theory]
    [InlineData("../../../../etc/cron.d/evil")]
    [InlineData("/etc/passwd")]
    [InlineData("..\\..\\windows\\system32\\evil.txt")]
    [InlineData("a\r\nX-Injected: 1.txt")]
    [InlineData("<script>alert(1)</script>.txt")]
    public async Task A_hostile_file_name_on_good_data_is_a_label_never_a_path(string fileName)
    {
        var device = sim.Sim.Device("NAME" + Math.Abs(fileName.GetHashCode(StringComparison.Ordinal)) % 100_000);
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(device.SaveUsage([(Tag, 2)]).Content);
        form.Add(file, "file");
        // Set by hand: HttpClient would otherwise sanitise the name this test is about.
        file.Headers.Remove("Content-Disposition");
        file.Headers.TryAddWithoutValidation("Content-Disposition", $"form-data; name=\"file\"; filename=\"{fileName.Replace("\"", "", StringComparison.Ordinal)}\"");

        using var response = await sim.Http.PostAsync(Upload, form, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        if (response.StatusCode == HttpStatusCode.Accepted)
        {
            var id = JsonNode.Parse(text)!["id"]!.GetValue<string>();
            using var ack = await sim.Http.GetAsync($"/_sim/usage-files/{id}/ack", Ct);
            ack.StatusCode.ShouldBe(HttpStatusCode.OK);
            ack.Headers.Contains("X-Injected").ShouldBeFalse();
            var disposition = ack.Content.Headers.ContentDisposition;
            (disposition?.FileName ?? "").Trim('"').ShouldNotContain("/");
            (disposition?.FileName ?? "").Trim('"').ShouldNotContain("\\");
            File.Exists("/etc/cron.d/evil").ShouldBeFalse();
        }
        else
        {
            ((int)response.StatusCode).ShouldBeInRange(400, 499, text);
            response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        }
        await sim.ShouldBeHealthyAsync(fileName);
        await sim.ResetAsync();
    }

    [Fact]
    public async Task A_multipart_archive_with_a_traversal_entry_is_refused_whole()
    {
        var rum = sim.Sim.Device("TRAV-1").SaveUsage([(Tag, 1)]).Content;
        var tar = UsageFileKit.TarGz(("good.txt", rum), ("../../evil.txt", rum));
        var form = new MultipartFormDataContent { { new ByteArrayContent(tar), "file", "UD_evil.tar.gz" } };

        var (status, body, _) = await sim.SendHostileAsync(sim.Request(HttpMethod.Post, Upload, form), "traversal entry");

        status.ShouldBe(400);
        body.ShouldContain("ARCHIVE_REJECTED");
    }
}
