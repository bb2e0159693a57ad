using System.ComponentModel;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.UsageFiles;

/// <summary>Talking to <c>/_sim/usage-files</c> over HTTP, and the snapshots that prove a refusal stored nothing.</summary>
internal static class UsageFileKit
{
    public const string NwStack = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    public const string AirDna = "regid.2017-08.com.cisco.AIR-DNA-A,1.0_b6308627-3ab0-4a11-a3d9-586911a0d790";

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Query(string? fileName, string? smartAccount, string? virtualAccount)
    {
        var parts = new List<string>();
        if (fileName is not null) parts.Add("fileName=" + Uri.EscapeDataString(fileName));
        if (smartAccount is not null) parts.Add("smartAccount=" + Uri.EscapeDataString(smartAccount));
        if (virtualAccount is not null) parts.Add("virtualAccount=" + Uri.EscapeDataString(virtualAccount));
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    /// <summary>A raw-body upload (<c>?fileName=</c> names it).</summary>
    public static Task<HttpResponseMessage> UploadRawAsync(this TestSimulator sim, byte[] content, string? fileName = null, string? smartAccount = null,
        string? virtualAccount = null, string contentType = "application/octet-stream")
    {
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return sim.Http.PostAsync("/_sim/usage-files" + Query(fileName, smartAccount, virtualAccount), body, Ct);
    }

    /// <summary>A browser-style upload: multipart/form-data with the file in the field <c>file</c>.</summary>
    public static Task<HttpResponseMessage> UploadMultipartAsync(this TestSimulator sim, byte[] content, string fileName, string? smartAccount = null,
        string? virtualAccount = null)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        return sim.Http.PostAsync("/_sim/usage-files" + Query(null, smartAccount, virtualAccount), form, Ct);
    }

    /// <summary>Asserts 202 <c>{"id","status"}</c> and returns the body.</summary>
    public static async Task<JsonObject> AcceptedAsync(this Task<HttpResponseMessage> upload)
    {
        using var r = await upload;
        var text = await r.Content.ReadAsStringAsync(Ct);
        r.StatusCode.ShouldBe(HttpStatusCode.Accepted, text);
        var body = JsonNode.Parse(text)!.AsObject();
        body.ShouldHaveExactKeys("id", "status");
        r.Headers.Location!.OriginalString.ShouldBe("/_sim/usage-files/" + body["id"]!.GetValue<string>());
        return body;
    }

    public static async Task<JsonObject> StatusAsync(this TestSimulator sim, string id, string? waitUntilFinal = null)
    {
        using var r = await sim.Http.GetAsync($"/_sim/usage-files/{id}" + (waitUntilFinal is null ? "" : "?waitUntilFinal=" + waitUntilFinal), Ct);
        var text = await r.Content.ReadAsStringAsync(Ct);
        r.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    public static Task<HttpResponseMessage> AckAsync(this TestSimulator sim, string id) => sim.Http.GetAsync($"/_sim/usage-files/{id}/ack", Ct);

    /// <summary>Downloads a ready ACK and checks it is an attachment; returns its name and bytes.</summary>
    public static async Task<(string FileName, string ContentType, byte[] Content)> DownloadAckAsync(this TestSimulator sim, string id)
    {
        using var r = await sim.AckAsync(id);
        var bytes = await r.Content.ReadAsByteArrayAsync(Ct);
        r.StatusCode.ShouldBe(HttpStatusCode.OK, Encoding.UTF8.GetString(bytes));
        var disposition = r.Content.Headers.ContentDisposition.ShouldNotBeNull();
        disposition.DispositionType.ShouldBe("attachment");
        var name = (disposition.FileNameStar ?? disposition.FileName)!.Trim('"');
        return (name, r.Content.Headers.ContentType!.MediaType!, bytes);
    }

    /// <summary>Asserts an RFC 9457 problem with <paramref name="status"/> and <paramref name="code"/>; returns it.</summary>
    public static async Task<JsonObject> ShouldBeProblemAsync(this HttpResponseMessage r, HttpStatusCode status, string code)
    {
        var text = await r.Content.ReadAsStringAsync(Ct);
        r.StatusCode.ShouldBe(status, text);
        r.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = JsonNode.Parse(text)!.AsObject();
        problem["status"]!.GetValue<int>().ShouldBe((int)status);
        problem["code"]!.GetValue<string>().ShouldBe(code);
        problem["detail"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace();
        return problem;
    }

    public static Task<byte[]> SnapshotAsync(this TestSimulator sim) => sim.Http.GetByteArrayAsync("/_sim/snapshot", Ct);

    public static async Task<JsonArray> ListAsync(this TestSimulator sim)
    {
        using var r = await sim.Http.GetAsync("/_sim/usage-files", Ct);
        r.StatusCode.ShouldBe(HttpStatusCode.OK);
        return (await TestSimulator.ReadJsonAsync(r))["usageFiles"]!.AsArray();
    }

    /// <summary>Rows of one store table in a snapshot.</summary>
    public static async Task<JsonArray> TableAsync(this TestSimulator sim, string table) =>
        JsonNode.Parse(await sim.SnapshotAsync())!["store"]![table]!.AsArray();

    public static async Task PostJsonAsync(this TestSimulator sim, string path, string json)
    {
        using var r = await sim.Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), Ct);
        r.IsSuccessStatusCode.ShouldBeTrue($"{path}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync(Ct)}");
    }

    /// <summary>The JSON inside each <c>&lt;smartLicenseRumAck&gt;</c> of an ACK file, read with LINQ to XML.</summary>
    public static List<JsonObject> RumAcks(string ackFile) =>
        XElement.Parse(ackFile).Elements("smartLicenseRumAck")
            .Select(e => JsonNode.Parse(Convert.FromBase64String(e.Element("data")!.Value))!.AsObject()).ToList();

    /// <summary>A tar.gz of files, written by .NET's tar writer (for content the test does not care to build with a tool).</summary>
    public static byte[] TarGz(params (string Name, byte[] Data)[] files)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new System.Formats.Tar.TarWriter(gzip, System.Formats.Tar.TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (name, data) in files)
                tar.WriteEntry(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
        }
        return output.ToArray();
    }
}

/// <summary>A directory of its own for one test, removed afterwards.</summary>
internal sealed class Scratch : IDisposable
{
    public Scratch() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cssmsim-usagefiles-" + Guid.NewGuid().ToString("N"));

    public string Full(string relative)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        return full;
    }

    public string Write(string relative, byte[] data)
    {
        var full = Full(relative);
        File.WriteAllBytes(full, data);
        return full;
    }

    public string Write(string relative, string text) => Write(relative, new UTF8Encoding(false).GetBytes(text));

    public byte[] Read(string relative) => File.ReadAllBytes(Full(relative));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder must not fail the test that used it.
        }
    }
}

/// <summary>The independent tools the acceptance tests use: GNU tar, Python's tarfile, openssl.</summary>
internal static class Tools
{
    private static readonly Dictionary<string, Lazy<bool>> Availability = new()
    {
        ["tar"] = new(() => Probe("tar", "--version", "GNU tar")),
        ["python3"] = new(() => Probe("python3", "--version", "Python 3")),
        ["openssl"] = new(() => Probe("openssl", "version", "SSL")),
    };

    private static bool Probe(string tool, string argument, string expected)
    {
        try
        {
            var (exit, output, error) = RunCore(Environment.CurrentDirectory, tool, [argument]);
            return exit == 0 && (output + error).Contains(expected, StringComparison.Ordinal);
        }
        catch (Win32Exception)
        {
            return false;
        }
    }

    public static void Require(string tool) =>
        Assert.SkipUnless(Availability[tool].Value, $"{tool} is not on PATH; install it to run this interoperability check (./run-sim.sh test installs it).");

    /// <summary>Runs <paramref name="tool"/> and insists on exit code 0; returns stdout and stderr together.</summary>
    public static string Run(string directory, string tool, params string[] arguments)
    {
        Require(tool);
        var (exit, output, error) = RunCore(directory, tool, arguments);
        exit.ShouldBe(0, $"{tool} {string.Join(' ', arguments)}: {output}{error}");
        return output + error;
    }

    /// <summary>Runs a Python program given as text.</summary>
    public static string Python(string directory, string program, params string[] arguments) => Run(directory, "python3", ["-c", program, .. arguments]);

    private static (int Exit, string Output, string Error) RunCore(string directory, string tool, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(tool)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2))) process.Kill(entireProcessTree: true);
        return (process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
    }

    /// <summary>
    /// artefacts.md §Signing, step by step: the signing certificate from <c>/_sim/certs/signing.pem</c>,
    /// the decoded data and signature of the <paramref name="element"/> in <paramref name="file"/>, and
    /// <c>openssl dgst -sha256 -verify</c>. Returns openssl's output.
    /// </summary>
    public static async Task<string> OpenSslVerifyAsync(TestSimulator sim, string file, string element = "smartLicenseRumAck")
    {
        Require("openssl");
        using var dir = new Scratch();
        var artefact = XElement.Parse(file).Element(element).ShouldNotBeNull($"{element} in {file}");
        dir.Write("signing.crt", await sim.Http.GetStringAsync("/_sim/certs/signing.pem", UsageFileKit.Ct));
        dir.Write("data.bin", Convert.FromBase64String(artefact.Element("data")!.Value));
        dir.Write("sig.bin", Convert.FromBase64String(artefact.Element("signature")!.Value));
        Run(dir.Path, "openssl", "x509", "-in", "signing.crt", "-pubkey", "-noout", "-out", "signing.pub");
        return Run(dir.Path, "openssl", "dgst", "-sha256", "-verify", "signing.pub", "-signature", "sig.bin", "data.bin");
    }
}
