using System.Text;
using System.Text.Json;
using CssmSim.Engine.UsageFiles;

namespace CssmSim.Engine.Tests.UsageFiles;

/// <summary>ACK downloads: names, shapes, and archives that GNU tar and Python unpack exactly.</summary>
public sealed class AckArchiveWriterTests
{
    private static readonly DateTimeOffset Modified = new(2024, 3, 19, 14, 27, 51, TimeSpan.Zero);

    private static string AckText(string path) => $"<smartLicense><smartLicenseRumAck><data>{path}</data></smartLicenseRumAck></smartLicense>\n";

    private static (UploadedUsageFile Upload, AckDownload Ack) NestedAck(ScratchDirectory dir, DateTimeOffset? modified = null)
    {
        var upload = Samples.Read("UD_SA_1700000000.tar.gz", Samples.NestedWithGnuTar(dir));
        var texts = upload.Entries.ToDictionary(e => e.Path, e => AckText(e.Path));
        return (upload, AckArchiveWriter.WriteNested(upload, texts, modified ?? Modified));
    }

    private const string ExpectedManifest =
        "Manifest-Version: 1.0\nCreated-By: CssmSim\nSmart-Account: example.com\nSmart-Account-ID: 4242\n\n"
        + "Name: /ACK_UD_VA_1700000000.tar.gz\nSpecification-VA: DEFAULT\nSpecification-VA-ID: 100\n\n"
        + "Name: /ACK_UD_VA_1700000001.tar.gz\nSpecification-VA: Lab\nSpecification-VA-ID: 200\n\n";

    [Fact]
    public void Nested_ack_unpacks_with_gnu_tar_into_manifest_and_one_ack_archive_per_virtual_account()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        var (_, ack) = NestedAck(dir);
        dir.Write("out/" + ack.FileName, ack.Content);

        // Act
        var listing = Tools.Tar(dir.Path, "-tzf", "out/" + ack.FileName);
        Tools.Tar(dir.Folder("x"), "-xzf", Path.Combine(dir.Path, "out", ack.FileName));
        var inner1 = Tools.Tar(dir.Path, "-tzf", "x/ACK_UD_VA_1700000000.tar.gz");
        var inner2 = Tools.Tar(dir.Path, "-tzf", "x/ACK_UD_VA_1700000001.tar.gz");
        Tools.Tar(dir.Folder("x1"), "-xzf", Path.Combine(dir.Path, "x", "ACK_UD_VA_1700000000.tar.gz"));

        // Assert
        ack.FileName.ShouldBe("ACK_UD_SA_1700000000.tar.gz");
        ack.ContentType.ShouldBe("application/gzip");
        Lines(listing).ShouldBe(["manifest.mf", "ACK_UD_VA_1700000000.tar.gz", "ACK_UD_VA_1700000001.tar.gz"]);
        Lines(inner1).Order(StringComparer.Ordinal).ShouldBe(["ACK_dev_42_1700000000.txt", "ACK_dev_43_1700000000.txt"]);
        Lines(inner2).ShouldBe(["ACK_dev_7_1700000001.txt"]);
        File.ReadAllText(dir.File("x/manifest.mf")).ShouldBe(ExpectedManifest);
        File.ReadAllText(dir.File("x1/ACK_dev_42_1700000000.txt")).ShouldBe(AckText("UD_VA_1700000000/dev_42_1700000000.txt"));
    }

    [Fact]
    public void Nested_ack_opens_with_python_tarfile_with_deterministic_headers()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        var (_, ack) = NestedAck(dir);
        var path = dir.Write(ack.FileName, ack.Content);

        // Act
        var members = PythonListing(dir, path);

        // Assert
        members.Select(m => m.Name).ShouldBe(["manifest.mf", "ACK_UD_VA_1700000000.tar.gz", "ACK_UD_VA_1700000001.tar.gz"]);
        var all = members.Concat(members.SelectMany(m => m.Members ?? [])).ToList();
        all.Count.ShouldBe(6);
        all.ShouldAllBe(m => m.Type == "0" && m.Mode == 420 && m.Uid == 0 && m.Gid == 0 && m.Uname == "" && m.Gname == "" && m.Mtime == Modified.ToUnixTimeSeconds());
        Encoding.UTF8.GetString(members[0].Bytes).ShouldBe(ExpectedManifest);
        members[2].Members!.Select(m => (m.Name, Encoding.UTF8.GetString(m.Bytes))).ShouldBe(
            [("ACK_dev_7_1700000001.txt", AckText("UD_VA_1700000001/dev_7_1700000001.txt"))]);
    }

    [Fact]
    public void Same_input_gives_the_same_bytes_and_another_mtime_does_not()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        var (upload, first) = NestedAck(dir);
        var texts = upload.Entries.ToDictionary(e => e.Path, e => AckText(e.Path));

        // Act
        var again = AckArchiveWriter.WriteNested(upload, texts, Modified);
        var later = AckArchiveWriter.WriteNested(upload, texts, Modified.AddSeconds(1));

        // Assert
        again.Content.ShouldBe(first.Content);
        later.Content.ShouldNotBe(first.Content);
        first.Content[9].ShouldBe((byte)3, "the gzip OS byte is pinned to Unix");
    }

    [Fact]
    public void Nested_ack_reads_back_as_a_nested_upload_with_the_same_accounts()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        var (_, ack) = NestedAck(dir);

        // Act
        var readBack = Samples.Read(ack.FileName, ack.Content);

        // Assert
        readBack.Form.ShouldBe(UsageFileForm.NestedArchive);
        readBack.Manifest!.SmartAccount.ShouldBe("example.com");
        readBack.VirtualAccountArchives.Select(a => (a.Path, a.Section?.VirtualAccountId)).ShouldBe(
            [("ACK_UD_VA_1700000000.tar.gz", "100"), ("ACK_UD_VA_1700000001.tar.gz", "200")]);
        readBack.Entries.Select(e => e.DeviceId).ShouldBe(["42", "43", "7"], ignoreOrder: true);
    }

    [Fact]
    public void Device_without_an_ack_text_gets_no_ack_file()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        var upload = Samples.Read("UD_SA_1700000000.tar.gz", Samples.NestedWithGnuTar(dir));
        var only42 = upload.Entries.Where(e => e.DeviceId == "42").ToDictionary(e => e.Path, e => AckText(e.Path));

        // Act
        var ack = AckArchiveWriter.WriteNested(upload, only42, Modified);
        var readBack = Samples.Read(ack.FileName, ack.Content);

        // Assert
        readBack.VirtualAccountArchives.Count.ShouldBe(2);
        readBack.Entries.ShouldHaveSingleItem().Path.ShouldBe("ACK_UD_VA_1700000000/ACK_dev_42_1700000000.txt");
    }

    [Fact]
    public void Ack_for_an_entry_the_upload_does_not_have_is_an_argument_error()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        var upload = Samples.Read("UD_SA_1700000000.tar.gz", Samples.NestedWithGnuTar(dir));

        // Act & Assert
        Should.Throw<ArgumentException>(() => AckArchiveWriter.WriteNested(upload, new Dictionary<string, string> { ["nope.txt"] = "x" }, Modified))
            .Message.ShouldContain("nope.txt");
    }

    [Fact]
    public void Long_device_file_names_survive_gnu_tar_and_python()
    {
        // Arrange: names beyond ustar's 100-byte name field.
        using var dir = new ScratchDirectory();
        var longDev = "dev_" + new string('9', 150) + "_1700000000.txt";
        var va = PyTar.Build(dir, "sa/" + Samples.Va1, gzip: true, "pax", new PyMember(longDev, Text: "report"));
        var outer = PyTar.Build(dir, "UD_SA_1700000000.tar.gz", gzip: true, "pax",
            new PyMember("manifest.mf", Text: Samples.Manifest), new PyMember(Samples.Va1, DataFile: va));
        var upload = Samples.Read("UD_SA_1700000000.tar.gz", File.ReadAllBytes(outer));
        var ack = AckArchiveWriter.WriteNested(upload, upload.Entries.ToDictionary(e => e.Path, _ => "ack"), Modified);
        var path = dir.Write("ack/" + ack.FileName, ack.Content);

        // Act
        Tools.Tar(dir.Folder("x"), "-xzf", path);
        var gnu = Lines(Tools.Tar(dir.Path, "-tzf", "x/ACK_UD_VA_1700000000.tar.gz"));
        var python = PythonListing(dir, path)[1].Members!.Select(m => m.Name);

        // Assert
        gnu.ShouldBe(["ACK_" + longDev]);
        python.ShouldBe(["ACK_" + longDev]);
    }

    [Theory]
    [InlineData("UD_1700.tar", "ACK_UD_1700.txt")]
    [InlineData("UD_1700.tar.gz", "ACK_UD_1700.txt")]
    [InlineData("UD_1700.TGZ", "ACK_UD_1700.txt")]
    [InlineData("all_rum.txt", "ACK_all_rum.txt")]
    [InlineData("report.xml", "ACK_report.txt")]
    [InlineData("usage-17", "ACK_usage-17.txt")]
    [InlineData("C:\\fakepath\\RUM-unrep.txt", "ACK_RUM-unrep.txt")]
    public void Single_ack_is_named_ack_plus_the_upload_name_without_its_extension_plus_txt(string uploadName, string expected) =>
        AckArchiveWriter.SingleAckFileName(uploadName).ShouldBe(expected);

    [Theory]
    [InlineData("UD_SA_1700.tar.gz", "ACK_UD_SA_1700.tar.gz")]
    [InlineData("dev_42_1700.txt", "ACK_dev_42_1700.txt")]
    [InlineData("sub/dev_42_1700.txt", "sub/ACK_dev_42_1700.txt")]
    public void Ack_name_puts_ack_before_the_file_name_and_keeps_its_timestamp(string name, string expected) =>
        AckArchiveWriter.AckName(name).ShouldBe(expected);

    [Fact]
    public void Plain_and_single_file_uploads_get_one_text_ack_with_exactly_the_given_text()
    {
        // Arrange
        var plain = Samples.Read("UD_1700.tar", Samples.TarWithBcl(gzip: false, ("a_rum.txt", "a")));
        var single = Samples.Read("all_rum.txt", Encoding.UTF8.GetBytes(Samples.DeviceFile("FOC1")));
        const string text = "<smartLicense><smartLicenseRumAck>1</smartLicenseRumAck><smartLicenseRumAck>2</smartLicenseRumAck></smartLicense>";

        // Act
        var plainAck = AckArchiveWriter.WriteSingle(plain, text);
        var singleAck = AckArchiveWriter.WriteSingle(single, Encoding.UTF8.GetBytes(text));

        // Assert
        plainAck.FileName.ShouldBe("ACK_UD_1700.txt");
        singleAck.FileName.ShouldBe("ACK_all_rum.txt");
        plainAck.ContentType.ShouldStartWith("text/plain");
        Encoding.UTF8.GetString(plainAck.Content).ShouldBe(text);
        singleAck.Content.ShouldBe(plainAck.Content);
    }

    [Fact]
    public void Return_file_has_no_ack()
    {
        // Arrange
        var upload = Samples.Read("return.txt", Encoding.UTF8.GetBytes(Samples.ReturnCode1 + "\n"));

        // Act & Assert
        upload.HasAck.ShouldBeFalse();
        Should.Throw<InvalidOperationException>(() => AckArchiveWriter.WriteSingle(upload, "x")).Message.ShouldContain("no ACK");
        Should.Throw<InvalidOperationException>(() => AckArchiveWriter.WriteNested(upload, new Dictionary<string, string>(), Modified));
    }

    [Fact]
    public void Nested_upload_takes_the_archive_writer_not_the_single_file_one()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        var upload = Samples.Read("UD_SA.tar.gz", Samples.NestedWithGnuTar(dir));

        // Act & Assert
        Should.Throw<InvalidOperationException>(() => AckArchiveWriter.WriteSingle(upload, "x"));
    }

    [Fact]
    public void Ack_manifest_keeps_crlf_and_unknown_lines_of_the_upload_manifest()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        Samples.WriteNestedTree(dir);
        dir.Write("sa/manifest.mf", "Manifest-Version: 1.0\r\nCreated-By: script\r\nSmart-Account:\r\nX-Batch: 7\r\n\r\nName: /" + Samples.Va1 + "\r\nSpecification-VA: DEFAULT\r\n");
        Tools.Tar(dir.Path, "-czf", "sa/" + Samples.Va1, "-C", "va1", ".");
        Tools.Tar(dir.Path, "-czf", "UD_SA_5.tar.gz", "-C", "sa", "manifest.mf", Samples.Va1);
        var upload = Samples.Read("UD_SA_5.tar.gz", dir.Read("UD_SA_5.tar.gz"));

        // Act
        var ack = AckArchiveWriter.WriteNested(upload, new Dictionary<string, string>(), Modified, createdBy: "CSSM");
        var manifest = Samples.Read(ack.FileName, ack.Content).Manifest!;

        // Assert
        manifest.LineEnding.ShouldBe("\r\n");
        manifest.MainAttributes.ShouldBe(
        [
            new ManifestAttribute("Manifest-Version", "1.0"),
            new ManifestAttribute("Created-By", "CSSM"),
            new ManifestAttribute("Smart-Account", ""),
            new ManifestAttribute("X-Batch", "7"),
        ]);
        manifest.VirtualAccounts.ShouldHaveSingleItem().Name.ShouldBe("/ACK_" + Samples.Va1);
    }

    private static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private sealed record PyEntry(string Name, string Type, int Mode, int Uid, int Gid, string Uname, string Gname, long Mtime, string Data, List<PyEntry>? Members)
    {
        public byte[] Bytes => Convert.FromBase64String(Data);
    }

    private const string ListProgram = """
        import base64, io, json, sys, tarfile
        def listing(tf):
            out = []
            for m in tf.getmembers():
                data = tf.extractfile(m).read() if m.isfile() else b""
                inner = None
                if m.name.endswith(".tar.gz"):
                    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as t:
                        inner = listing(t)
                out.append({"Name": m.name, "Type": m.type.decode(), "Mode": m.mode, "Uid": m.uid, "Gid": m.gid,
                            "Uname": m.uname, "Gname": m.gname, "Mtime": int(m.mtime),
                            "Data": base64.b64encode(data).decode(), "Members": inner})
            return out
        with tarfile.open(sys.argv[1], mode="r:gz") as tf:
            print(json.dumps(listing(tf)))
        """;

    private static List<PyEntry> PythonListing(ScratchDirectory dir, string archive) =>
        JsonSerializer.Deserialize<List<PyEntry>>(Tools.Python(dir.Path, ListProgram, archive))!;
}
