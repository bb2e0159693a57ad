using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using CssmSim.Engine.UsageFiles;

namespace CssmSim.Engine.Tests.UsageFiles;

/// <summary>A directory of its own per test, removed afterwards.</summary>
internal sealed class ScratchDirectory : IDisposable
{
    public ScratchDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cssmsim-usagefiles-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>The full path of <paramref name="relative"/> ('/'-separated), its folder created.</summary>
    public string File(string relative)
    {
        var full = System.IO.Path.Combine(Path, relative.Replace('/', System.IO.Path.DirectorySeparatorChar));
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        return full;
    }

    public string Folder(string relative)
    {
        var full = System.IO.Path.Combine(Path, relative.Replace('/', System.IO.Path.DirectorySeparatorChar));
        Directory.CreateDirectory(full);
        return full;
    }

    public string Write(string relative, string text)
    {
        var full = File(relative);
        System.IO.File.WriteAllText(full, text, new UTF8Encoding(false));
        return full;
    }

    public string Write(string relative, byte[] bytes)
    {
        var full = File(relative);
        System.IO.File.WriteAllBytes(full, bytes);
        return full;
    }

    public byte[] Read(string relative) => System.IO.File.ReadAllBytes(File(relative));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder must not fail the test that used it.
        }
    }
}

internal sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string Output => StandardOutput + StandardError;
}

/// <summary>GNU tar and Python's tarfile: the independent producers and consumers of real archives.</summary>
internal static class Tools
{
    private static readonly Dictionary<string, Lazy<bool>> Availability = new()
    {
        ["tar"] = new(() => Probe("tar", "--version", "GNU tar")),
        ["python3"] = new(() => Probe("python3", "--version", "Python 3")),
    };

    private static bool Probe(string tool, string argument, string expected)
    {
        try
        {
            var result = RunCore(Environment.CurrentDirectory, tool, [argument], CancellationToken.None);
            return result.ExitCode == 0 && result.Output.Contains(expected, StringComparison.Ordinal);
        }
        catch (Win32Exception)
        {
            return false;
        }
    }

    public static void Require(string tool) =>
        Assert.SkipUnless(Availability[tool].Value, $"{tool} is not on PATH; install it to run the archive interoperability checks.");

    /// <summary>Runs GNU tar in <paramref name="workingDirectory"/> and insists on success without warnings.</summary>
    public static string Tar(string workingDirectory, params string[] arguments)
    {
        Require("tar");
        var result = RunCore(workingDirectory, "tar", arguments, TestContext.Current.CancellationToken);
        result.ExitCode.ShouldBe(0, $"tar {string.Join(' ', arguments)}: {result.Output}");
        result.StandardError.ShouldBeEmpty($"tar {string.Join(' ', arguments)} warned");
        return result.StandardOutput;
    }

    /// <summary>Runs a Python program (given as text) with arguments and insists on success.</summary>
    public static string Python(string workingDirectory, string program, params string[] arguments)
    {
        Require("python3");
        var result = RunCore(workingDirectory, "python3", ["-c", program, .. arguments], TestContext.Current.CancellationToken);
        result.ExitCode.ShouldBe(0, $"python3: {result.Output}");
        return result.StandardOutput;
    }

    private static ToolResult RunCore(string workingDirectory, string tool, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(tool)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["LC_ALL"] = "C.UTF-8";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromMinutes(2), cancellationToken).GetAwaiter().GetResult();
        return new ToolResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}

/// <summary>One member of an archive that <see cref="PyTar"/> builds.</summary>
internal sealed record PyMember(string Name, string Type = "file", string? Text = null, string? DataFile = null, string? Link = null);

/// <summary>
/// Builds archives with Python's tarfile, including members no well-behaved tool writes from a
/// real file tree (traversal names, links, devices).
/// </summary>
internal static class PyTar
{
    private const string Program = """
        import json, sys, tarfile, io
        spec = json.load(open(sys.argv[1], encoding="utf-8"))
        formats = {"pax": tarfile.PAX_FORMAT, "gnu": tarfile.GNU_FORMAT, "ustar": tarfile.USTAR_FORMAT}
        types = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
                 "chr": tarfile.CHRTYPE, "blk": tarfile.BLKTYPE, "fifo": tarfile.FIFOTYPE}
        with tarfile.open(spec["out"], "w:gz" if spec["gzip"] else "w", format=formats[spec["format"]]) as tf:
            for m in spec["members"]:
                info = tarfile.TarInfo(m["Name"])
                info.type = types[m["Type"]]
                info.mtime = 1700000000
                data = None
                if m.get("Text") is not None:
                    data = m["Text"].encode("utf-8")
                elif m.get("DataFile") is not None:
                    data = open(m["DataFile"], "rb").read()
                if m.get("Link") is not None:
                    info.linkname = m["Link"]
                if info.type == tarfile.REGTYPE:
                    data = data or b""
                    info.size = len(data)
                    tf.addfile(info, io.BytesIO(data))
                else:
                    tf.addfile(info)
        """;

    /// <summary>Writes <paramref name="fileName"/> in <paramref name="dir"/> and returns its path.</summary>
    public static string Build(ScratchDirectory dir, string fileName, bool gzip, string format, params PyMember[] members)
    {
        var output = dir.File(fileName);
        var spec = dir.Write("spec-" + Guid.NewGuid().ToString("N") + ".json",
            JsonSerializer.Serialize(new { @out = output, gzip, format, members }));
        Tools.Python(dir.Path, Program, spec);
        return output;
    }
}

/// <summary>Sample usage data and archive builders in the shapes devices, CSLU and scripts produce.</summary>
internal static class Samples
{
    public const string Va1 = "UD_VA_1700000000.tar.gz";
    public const string Va2 = "UD_VA_1700000001.tar.gz";
    public const string ReturnCode1 = "CqaUPW-WSPYiq-ZNU2ci-SnWydS-hBCXHP-MuyPqy-PJ1GiG-tPTGQj-S2h";
    public const string ReturnCode2 = "000000-111111-222222-333333-444444-555555-666666-777777-888";

    public static readonly string Manifest = string.Join("\n",
        "Manifest-Version: 1.0",
        "Created-By: CSLU 2.0.0",
        "Smart-Account: example.com",
        "Smart-Account-ID: 4242",
        "",
        "Name: /" + Va1,
        "Specification-VA: DEFAULT",
        "Specification-VA-ID: 100",
        "",
        "Name: /" + Va2,
        "Specification-VA: Lab",
        "Specification-VA-ID: 200",
        "");

    /// <summary>A device file: a <c>&lt;smartLicense&gt;</c> of one RUM report, unique per device.</summary>
    public static string DeviceFile(string udiSerial)
    {
        var payload = JsonSerializer.Serialize(new { asset_identification = new { instance = new { sudi = new { udi_pid = "C9300", udi_serial_number = udiSerial } } } });
        var report = JsonSerializer.Serialize(new { payload, signature = new { value = "c2ln" } });
        return $"<smartLicense><RUMReport><![CDATA[{report}]]></RUMReport></smartLicense>\n";
    }

    /// <summary>
    /// The nested CSLU tree on disk: <c>sa/manifest.mf</c>, <c>va1/dev_42…</c>, <c>dev_43…</c>,
    /// <c>va2/dev_7…</c>; archives are made from it by the caller.
    /// </summary>
    public static void WriteNestedTree(ScratchDirectory dir)
    {
        dir.Write("sa/manifest.mf", Manifest);
        dir.Write("va1/dev_42_1700000000.txt", DeviceFile("FOC0042"));
        dir.Write("va1/dev_43_1700000000.txt", DeviceFile("FOC0043"));
        dir.Write("va2/dev_7_1700000001.txt", DeviceFile("FOC0007"));
    }

    /// <summary>The nested form made by GNU tar the way a CSLU export script does (entries start with <c>./</c>).</summary>
    public static byte[] NestedWithGnuTar(ScratchDirectory dir, bool gzipInner = true, bool gzipOuter = true)
    {
        // Names always say .tar.gz, as CSLU writes them; the content decides (an uncompressed inner tar included).
        WriteNestedTree(dir);
        Tools.Tar(dir.Path, gzipInner ? "-czf" : "-cf", dir.File("sa/" + Va1), "-C", "va1", ".");
        Tools.Tar(dir.Path, gzipInner ? "-czf" : "-cf", dir.File("sa/" + Va2), "-C", "va2", ".");
        Tools.Tar(dir.Path, gzipOuter ? "-czf" : "-cf", dir.File("UD_SA_1700000000.tar.gz"), "-C", "sa", ".");
        return dir.Read("UD_SA_1700000000.tar.gz");
    }

    /// <summary>Gzip of <paramref name="data"/> as a single member.</summary>
    public static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>A tar written by the runtime's own <see cref="TarWriter"/> (a third, independent producer).</summary>
    public static byte[] TarWithBcl(bool gzip, params (string Name, string Text)[] files)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, text) in files)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) };
                writer.WriteEntry(entry);
            }
        }
        return gzip ? Gzip(tar.ToArray()) : tar.ToArray();
    }

    public static string Text(UsageFileEntry entry) => Encoding.UTF8.GetString(entry.Content.Span);

    public static UploadedUsageFile Read(string fileName, byte[] content, UploadLimits? limits = null) =>
        UsageFileReader.Read(fileName, content, limits ?? UploadLimits.Default);

    public static ArchiveRejectedException Rejected(string fileName, byte[] content, UploadLimits? limits = null) =>
        Should.Throw<ArchiveRejectedException>(() => Read(fileName, content, limits));
}
