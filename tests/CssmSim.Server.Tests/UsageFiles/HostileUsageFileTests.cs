using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using CssmSim.Engine.UsageFiles;
using CssmSim.Server.Tests.Support;
using CssmSim.Testing.Devices;
using static CssmSim.Server.Tests.UsageFiles.UsageFileKit;

namespace CssmSim.Server.Tests.UsageFiles;

/// <summary>
/// Hostile uploads (artefacts.md §Offline usage upload, limits): each container violation refuses
/// the whole upload with 400/413 problem+json, makes no upload record and leaves the store
/// byte-identical (compared through <c>GET /_sim/snapshot</c>). Hostile XML inside a usage file
/// is a per-file error instead: the upload is taken and ends <c>Errors</c>.
/// </summary>
public sealed class HostileUsageFileTests
{
    private const int Block = 512;

    /// <summary>Uploads <paramref name="content"/> (raw and multipart) and asserts the refusal stored nothing.</summary>
    private static async Task<string> ShouldBeRefusedWholeAsync(TestSimulator sim, byte[] content, string fileName, HttpStatusCode status, string code)
    {
        using (var clear = await sim.Http.DeleteAsync("/_sim/journal", Ct)) clear.EnsureSuccessStatusCode();
        var before = await sim.SnapshotAsync();
        string detail;
        using (var raw = await sim.UploadRawAsync(content, fileName, "example.com", "DEFAULT"))
            detail = (await raw.ShouldBeProblemAsync(status, code))["detail"]!.GetValue<string>();
        using (var multipart = await sim.UploadMultipartAsync(content, fileName, "example.com", "DEFAULT"))
            await multipart.ShouldBeProblemAsync(status, code);

        (await sim.SnapshotAsync()).ShouldBe(before, "a refused upload must leave the store byte-identical");
        (await sim.ListAsync()).ShouldBeEmpty();
        var journal = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/journal?surface=usage-files&operation=upload", Ct));
        journal["entries"]!.AsArray().ShouldAllBe(e => e!["httpStatus"]!.GetValue<int>() == (int)status);
        return detail;
    }

    /// <summary>An archive built by Python's tarfile from a member list (names and types no real file tree gives).</summary>
    private static byte[] PyTar(Scratch dir, bool gzip, params object[] members)
    {
        dir.Write("spec.json", JsonSerializer.Serialize(members));
        Tools.Python(dir.Path, """
            import io, json, sys, tarfile
            types = {"file": tarfile.REGTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE, "chr": tarfile.CHRTYPE, "fifo": tarfile.FIFOTYPE}
            with tarfile.open("out.tar", "w:gz" if sys.argv[1] == "gz" else "w") as t:
                for m in json.load(open("spec.json")):
                    info = tarfile.TarInfo(m["name"])
                    info.type = types[m.get("type", "file")]
                    info.linkname = m.get("link", "")
                    data = m.get("text", "").encode()
                    info.size = len(data) if info.type == tarfile.REGTYPE else 0
                    t.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
            """, gzip ? "gz" : "plain");
        return dir.Read("out.tar");
    }

    /// <summary>A ustar header with a valid checksum.</summary>
    private static byte[] Header(string name, long size)
    {
        var h = new byte[Block];
        Encoding.ASCII.GetBytes(name).CopyTo(h, 0);
        Encoding.ASCII.GetBytes("0000644\0").CopyTo(h, 100);
        Encoding.ASCII.GetBytes("0000000\0").CopyTo(h, 108);
        Encoding.ASCII.GetBytes("0000000\0").CopyTo(h, 116);
        Encoding.ASCII.GetBytes(Convert.ToString(size, 8).PadLeft(11, '0') + "\0").CopyTo(h, 124);
        Encoding.ASCII.GetBytes(Convert.ToString(1_700_000_000L, 8).PadLeft(11, '0') + "\0").CopyTo(h, 136);
        h[156] = (byte)'0';
        "ustar\u000000"u8.ToArray().CopyTo(h, 257);
        h.AsSpan(148, 8).Fill((byte)' ');
        var sum = 0;
        foreach (var b in h) sum += b;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(h, 148);
        return h;
    }

    /// <summary>A tar.gz of <paramref name="entries"/> files of <paramref name="size"/> zero bytes, compressed as it is generated.</summary>
    private static byte[] ZerosTarGz(int entries, long size)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            for (var i = 0; i < entries; i++)
            {
                gzip.Write(Header($"f{i}.txt", size));
                for (var left = size + (Block - size % Block) % Block; left > 0; left -= zeros.Length)
                    gzip.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
            }
            gzip.Write(new byte[2 * Block]);
        }
        return output.ToArray();
    }

    [Theory]
    [InlineData("../../etc/cron.d/evil.txt", "'..'")]
    [InlineData("/etc/cron.d/evil.txt", "absolute")]
    [InlineData("UD_VA_1/../../evil.txt", "'..'")]
    public async Task Path_traversal_and_absolute_names_are_refused_whole(string name, string expected)
    {
        await using var sim = await TestSimulator.StartAsync();
        using var dir = new Scratch();
        var tar = PyTar(dir, gzip: true, new { name = "good.txt", text = Encoding.UTF8.GetString(sim.Device("GOOD-1").SaveUsage([(NwStack, 1)]).Content) },
            new { name, text = "<smartLicense/>" });

        (await ShouldBeRefusedWholeAsync(sim, tar, "UD_evil.tar.gz", HttpStatusCode.BadRequest, "ARCHIVE_REJECTED")).ShouldContain(expected);
    }

    [Fact]
    public async Task Traversal_inside_a_virtual_account_archive_is_refused_whole()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var dir = new Scratch();
        var inner = PyTar(dir, gzip: true, new { name = "../dev_1_1700.txt", text = "<smartLicense/>" });
        var outer = TarGz(("manifest.mf", Encoding.UTF8.GetBytes("Manifest-Version: 1.0\nSmart-Account: example.com\n\nName: /UD_VA_1700.tar.gz\nSpecification-VA: DEFAULT\n")),
            ("UD_VA_1700.tar.gz", inner));

        (await ShouldBeRefusedWholeAsync(sim, outer, "UD_SA_1700.tar.gz", HttpStatusCode.BadRequest, "ARCHIVE_REJECTED")).ShouldContain("'..'");
    }

    [Fact]
    public async Task A_symlink_made_by_gnu_tar_is_refused_whole()
    {
        Tools.Require("tar");
        await using var sim = await TestSimulator.StartAsync();
        using var dir = new Scratch();
        dir.Write("files/dev_1_1700.txt", sim.Device("LINK-1").SaveUsage([(NwStack, 1)]).Content);
        File.CreateSymbolicLink(Path.Combine(dir.Path, "files", "dev_2_1700.txt"), "/etc/passwd");
        Tools.Run(dir.Path, "tar", "-czf", "UD_links.tar.gz", "-C", "files", ".");

        (await ShouldBeRefusedWholeAsync(sim, dir.Read("UD_links.tar.gz"), "UD_links.tar.gz", HttpStatusCode.BadRequest, "ARCHIVE_REJECTED"))
            .ShouldContain("link", Case.Insensitive);
    }

    [Theory]
    [InlineData("hardlink")]
    [InlineData("chr")]
    [InlineData("fifo")]
    public async Task Hard_links_devices_and_fifos_are_refused_whole(string type)
    {
        await using var sim = await TestSimulator.StartAsync();
        using var dir = new Scratch();
        var tar = PyTar(dir, gzip: false, new { name = "a.txt", text = "<smartLicense/>" }, new { name = "b.txt", type, link = "a.txt" });

        await ShouldBeRefusedWholeAsync(sim, tar, "UD_special.tar", HttpStatusCode.BadRequest, "ARCHIVE_REJECTED");
    }

    [Fact]
    public async Task A_gzip_bomb_is_refused_whole_with_413_at_the_default_expanded_limit()
    {
        await using var sim = await TestSimulator.StartAsync();
        // 600 MiB of zeros in well under 1 MiB: more than the 512 MiB Uploads:MaxExpandedBytes.
        var bomb = ZerosTarGz(1, 600L * 1024 * 1024);
        bomb.Length.ShouldBeLessThan(2 * 1024 * 1024);

        (await ShouldBeRefusedWholeAsync(sim, bomb, "UD_bomb.tar.gz", HttpStatusCode.RequestEntityTooLarge, "UPLOAD_TOO_LARGE"))
            .ShouldContain("Uploads:MaxExpandedBytes");
    }

    [Fact]
    public async Task An_archive_of_100001_entries_is_refused_whole_at_the_default_entry_limit()
    {
        await using var sim = await TestSimulator.StartAsync();
        var many = ZerosTarGz(100_001, 0);

        (await ShouldBeRefusedWholeAsync(sim, many, "UD_many.tar.gz", HttpStatusCode.BadRequest, "ARCHIVE_REJECTED")).ShouldContain("100000");
    }

    [Fact]
    public async Task Configured_limits_apply_to_entries_expanded_bytes_and_upload_size()
    {
        await using var sim = await TestSimulator.StartAsync(o => o.UploadLimits = new UploadLimits(MaxCompressedBytes: 16 * 1024, MaxExpandedBytes: 64 * 1024, MaxEntries: 10));

        (await ShouldBeRefusedWholeAsync(sim, ZerosTarGz(11, 0), "UD_11.tar.gz", HttpStatusCode.BadRequest, "ARCHIVE_REJECTED")).ShouldContain("Uploads:MaxEntries");
        (await ShouldBeRefusedWholeAsync(sim, ZerosTarGz(1, 100 * 1024), "UD_big.tar.gz", HttpStatusCode.RequestEntityTooLarge, "UPLOAD_TOO_LARGE"))
            .ShouldContain("Uploads:MaxExpandedBytes");
        var tooBig = Encoding.UTF8.GetBytes("<smartLicense>" + new string(' ', 20 * 1024) + "</smartLicense>");
        (await ShouldBeRefusedWholeAsync(sim, tooBig, "all_rum.txt", HttpStatusCode.RequestEntityTooLarge, "UPLOAD_TOO_LARGE"))
            .ShouldContain("Uploads:MaxCompressedBytes");

        // Within the limits the same simulator takes uploads.
        await sim.UploadRawAsync(sim.Device("SMALL-1").SaveUsage([(NwStack, 1)]).Content, "ok.txt", "example.com", "DEFAULT").AcceptedAsync();
    }

    [Fact]
    public async Task A_truncated_gzip_is_refused_whole()
    {
        await using var sim = await TestSimulator.StartAsync();
        var export = new[] { sim.Device("TRUNC-1"), sim.Device("TRUNC-2") }.SaveCsluUsage([(NwStack, 1)], new CsluAccount("example.com", "DEFAULT"));
        var truncated = export.Content[..(export.Content.Length * 2 / 3)];

        await ShouldBeRefusedWholeAsync(sim, truncated, export.FileName, HttpStatusCode.BadRequest, "ARCHIVE_REJECTED");
        // Cutting only the 8-byte trailer (CRC and size) is caught too.
        await ShouldBeRefusedWholeAsync(sim, export.Content[..^8], export.FileName, HttpStatusCode.BadRequest, "ARCHIVE_REJECTED");
    }

    [Fact]
    public async Task An_empty_body_is_refused_whole()
    {
        await using var sim = await TestSimulator.StartAsync();

        await ShouldBeRefusedWholeAsync(sim, [], "empty.txt", HttpStatusCode.BadRequest, "ARCHIVE_REJECTED");
    }

    private const string BillionLaughs = """
        <?xml version="1.0"?>
        <!DOCTYPE lolz [
          <!ENTITY lol "lol">
          <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
          <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
          <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
          <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
          <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
          <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
          <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
          <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
        ]>
        <smartLicense><RUMReport><![CDATA[&lol9;]]></RUMReport><RUMReport>&lol9;</RUMReport></smartLicense>
        """;

    [Fact]
    public async Task Xml_entity_expansion_in_a_rum_file_is_an_error_of_that_file_and_never_expanded()
    {
        await using var sim = await TestSimulator.StartAsync();

        var id = (await sim.UploadRawAsync(Encoding.UTF8.GetBytes(BillionLaughs), "lolz.xml", "example.com", "DEFAULT").AcceptedAsync())["id"]!.GetValue<string>();

        var status = await sim.StatusAsync(id);
        status["status"]!.GetValue<string>().ShouldBe("Errors");
        var error = status["errors"]!.AsArray().ShouldHaveSingleItem()!;
        error["entry"]!.GetValue<string>().ShouldBe("lolz.xml");
        error["message"]!.GetValue<string>().ShouldContain("DOCTYPE");
        status["reports"]!.GetValue<int>().ShouldBe(0);
        (await sim.TableAsync("usage_reports")).ShouldBeEmpty();
        using var ack = await sim.AckAsync(id);
        await ack.ShouldBeProblemAsync(HttpStatusCode.NotFound, "NO_ACK");
    }

    [Fact]
    public async Task A_hostile_device_file_beside_good_ones_fails_alone_and_the_good_devices_are_acknowledged()
    {
        await using var sim = await TestSimulator.StartAsync();
        var good = sim.Device("BESIDE-GOOD");
        var export = new[] { good }.SaveCsluUsage([(NwStack, 3)], new CsluAccount("example.com", "DEFAULT"), DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        // Rebuild the VA archive with a second, hostile device file and a report file that is not JSON.
        var files = UsageFileExport.ReadAckDownload(export.Content);
        var goodFile = files.Single(f => f.Key.EndsWith(".txt", StringComparison.Ordinal));
        var inner = TarGz((goodFile.Key.Split('/')[^1], goodFile.Value), ("dev_2_1700000000.txt", Encoding.UTF8.GetBytes(BillionLaughs)),
            ("dev_3_1700000000.txt", Encoding.UTF8.GetBytes("<smartLicense><RUMReport><![CDATA[{\"payload\":\"not json\"}]]></RUMReport></smartLicense>")));
        var outer = TarGz(("manifest.mf", files["manifest.mf"]), ("UD_VA_1700000000.tar.gz", inner));

        var id = (await sim.UploadRawAsync(outer, export.FileName).AcceptedAsync())["id"]!.GetValue<string>();

        var status = await sim.StatusAsync(id);
        status["status"]!.GetValue<string>().ShouldBe("Errors");
        status["productInstances"]!.GetValue<int>().ShouldBe(1);
        status["reports"]!.GetValue<int>().ShouldBe(1);
        status["errors"]!.AsArray().Select(e => e!["entry"]!.GetValue<string>())
            .ShouldBe(["UD_VA_1700000000/dev_2_1700000000.txt", "UD_VA_1700000000/dev_3_1700000000.txt"]);
        var ack = UsageFileExport.ReadAckDownload((await sim.DownloadAckAsync(id)).Content);
        ack.Keys.Where(k => k.EndsWith(".txt", StringComparison.Ordinal)).ShouldBe(["ACK_UD_VA_1700000000.tar.gz/ACK_" + goodFile.Key.Split('/')[^1]]);
    }

    [Fact]
    public async Task Forty_device_files_in_one_archive_keep_their_own_errors_and_acks_in_archive_order()
    {
        // Enough files for the upload to parse them on all cores: each error and ACK must still name its own file.
        await using var sim = await TestSimulator.StartAsync();
        var devices = Enumerable.Range(0, 32).Select(i => sim.Device($"MANY-{i:00}")).ToArray();
        var export = devices.SaveCsluUsage([(NwStack, 3)], new CsluAccount("example.com", "DEFAULT"), DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        var files = UsageFileExport.ReadAckDownload(export.Content);
        var deviceFiles = files.Where(f => f.Key.EndsWith(".txt", StringComparison.Ordinal)).Select(f => (Name: f.Key.Split('/')[^1], Data: f.Value)).ToList();
        deviceFiles.Count.ShouldBe(32);
        var entries = new List<(string Name, byte[] Data)>();
        var hostile = new List<string>();
        for (var i = 0; i < deviceFiles.Count; i++)
        {
            entries.Add(deviceFiles[i]);
            if (i % 4 != 1) continue;
            var name = $"bad_{i:00}_1700000000.txt";
            entries.Add((name, Encoding.UTF8.GetBytes(i % 8 == 1 ? BillionLaughs : "<smartLicense><RUMReport><![CDATA[{\"payload\":\"not json\"}]]></RUMReport></smartLicense>")));
            hostile.Add("UD_VA_1700000000/" + name);
        }
        var outer = TarGz(("manifest.mf", files["manifest.mf"]), ("UD_VA_1700000000.tar.gz", TarGz([.. entries])));

        var id = (await sim.UploadRawAsync(outer, export.FileName).AcceptedAsync())["id"]!.GetValue<string>();

        var status = await sim.StatusAsync(id);
        status["productInstances"]!.GetValue<int>().ShouldBe(32);
        status["reports"]!.GetValue<int>().ShouldBe(32);
        status["errors"]!.AsArray().Select(e => e!["entry"]!.GetValue<string>()).ShouldBe(hostile);
        var ack = UsageFileExport.ReadAckDownload((await sim.DownloadAckAsync(id)).Content);
        var ackFiles = ack.Where(k => k.Key.EndsWith(".txt", StringComparison.Ordinal)).ToList();
        ackFiles.Select(f => f.Key).ShouldBe(deviceFiles.Select(f => "ACK_UD_VA_1700000000.tar.gz/ACK_" + f.Name));
        for (var i = 0; i < ackFiles.Count; i++)
        {
            var sudi = RumAcks(Encoding.UTF8.GetString(ackFiles[i].Value)).ShouldHaveSingleItem()["sudi"]!;
            sudi["udi_serial_number"]!.GetValue<string>().ShouldBe(devices[i].Udi.Serial);
        }
    }
}
