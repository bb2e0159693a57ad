using CssmSim.Engine.UsageFiles;

namespace CssmSim.Engine.Tests.UsageFiles;

/// <summary>Archives made for real by GNU tar and Python's tarfile, read back.</summary>
public sealed class UsageFileReaderInteropTests
{
    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public void Nested_cslu_upload_made_by_gnu_tar_yields_manifest_archives_and_devices(bool gzipOuter, bool gzipInner)
    {
        // Arrange
        using var dir = new ScratchDirectory();
        var upload = Samples.NestedWithGnuTar(dir, gzipInner, gzipOuter);

        // Act
        var file = Samples.Read("UD_SA_1700000000.tar.gz", upload);

        // Assert
        file.Form.ShouldBe(UsageFileForm.NestedArchive);
        file.IsGzip.ShouldBe(gzipOuter);
        file.Manifest.ShouldNotBeNull();
        file.Manifest.SmartAccount.ShouldBe("example.com");
        file.Manifest.SmartAccountId.ShouldBe("4242");
        file.VirtualAccountArchives.Count.ShouldBe(2);
        var va1 = file.VirtualAccountArchives.Single(a => a.Path == Samples.Va1);
        va1.IsGzip.ShouldBe(gzipInner);
        va1.Section.ShouldNotBeNull();
        va1.Section.VirtualAccount.ShouldBe("DEFAULT");
        va1.Section.VirtualAccountId.ShouldBe("100");
        va1.Entries.Select(e => e.InnerPath).Order().ShouldBe(["dev_42_1700000000.txt", "dev_43_1700000000.txt"]);
        file.Entries.Select(e => e.Path).Order(StringComparer.Ordinal).ShouldBe(
            ["UD_VA_1700000000/dev_42_1700000000.txt", "UD_VA_1700000000/dev_43_1700000000.txt", "UD_VA_1700000001/dev_7_1700000001.txt"]);
        var dev7 = file.Entries.Single(e => e.DeviceId == "7");
        dev7.FileName.ShouldBe("dev_7_1700000001.txt");
        dev7.VirtualAccountArchivePath.ShouldBe(Samples.Va2);
        dev7.VirtualAccount!.VirtualAccount.ShouldBe("Lab");
        Samples.Text(dev7).ShouldBe(Samples.DeviceFile("FOC0007"));
    }

    [Fact]
    public void Nested_upload_renamed_without_extension_still_parses()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        var upload = Samples.NestedWithGnuTar(dir);

        // Act
        var file = Samples.Read("usage-upload", upload);

        // Assert
        file.Form.ShouldBe(UsageFileForm.NestedArchive);
        file.IsGzip.ShouldBeTrue();
        file.Entries.Count.ShouldBe(3);
    }

    [Theory]
    [InlineData("pax")]
    [InlineData("gnu")]
    [InlineData("ustar")]
    public void Nested_upload_made_by_python_tarfile_yields_the_devices(string format)
    {
        // Arrange
        using var dir = new ScratchDirectory();
        Samples.WriteNestedTree(dir);
        var va1 = PyTar.Build(dir, "sa/" + Samples.Va1, gzip: true, format,
            new PyMember("./dev_42_1700000000.txt", DataFile: dir.File("va1/dev_42_1700000000.txt")),
            new PyMember("./dev_43_1700000000.txt", DataFile: dir.File("va1/dev_43_1700000000.txt")));
        var va2 = PyTar.Build(dir, "sa/" + Samples.Va2, gzip: true, format,
            new PyMember("dev_7_1700000001.txt", DataFile: dir.File("va2/dev_7_1700000001.txt")));
        var outer = PyTar.Build(dir, "UD_SA_1700000000.tar.gz", gzip: true, format,
            new PyMember("manifest.mf", DataFile: dir.File("sa/manifest.mf")),
            new PyMember(Samples.Va1, DataFile: va1),
            new PyMember(Samples.Va2, DataFile: va2));

        // Act
        var file = Samples.Read("UD_SA_1700000000.tar.gz", File.ReadAllBytes(outer));

        // Assert
        file.Form.ShouldBe(UsageFileForm.NestedArchive);
        file.Manifest!.VirtualAccounts.Select(v => v.FileName).ShouldBe([Samples.Va1, Samples.Va2]);
        file.VirtualAccountArchives.Select(a => a.Section?.VirtualAccount).ShouldBe(["DEFAULT", "Lab"]);
        file.Entries.Select(e => (e.Path, e.DeviceId)).ShouldBe(
        [
            ("UD_VA_1700000000/dev_42_1700000000.txt", "42"),
            ("UD_VA_1700000000/dev_43_1700000000.txt", "43"),
            ("UD_VA_1700000001/dev_7_1700000001.txt", "7"),
        ]);
        Samples.Text(file.Entries[1]).ShouldBe(Samples.DeviceFile("FOC0043"));
    }

    [Theory]
    [InlineData("pax", true)]
    [InlineData("pax", false)]
    [InlineData("gnu", true)]
    [InlineData("gnu", false)]
    public void Plain_tar_with_long_names_made_by_gnu_tar_yields_every_report(string format, bool gzip)
    {
        // Arrange: one name segment longer than ustar's 100 bytes forces a pax record or a GNU long name.
        using var dir = new ScratchDirectory();
        var longName = "reports/" + new string('r', 150) + ".xml";
        dir.Write("tree/all_rum.txt", Samples.DeviceFile("FOC0001"));
        dir.Write("tree/" + longName, Samples.DeviceFile("FOC0002"));
        Tools.Tar(dir.Path, gzip ? "-czf" : "-cf", "UD_1700.tar", "--format=" + format, "-C", "tree", ".");

        // Act
        var file = Samples.Read("UD_1700.tar", dir.Read("UD_1700.tar"));

        // Assert
        file.Form.ShouldBe(UsageFileForm.PlainArchive);
        file.IsGzip.ShouldBe(gzip);
        file.Manifest.ShouldBeNull();
        file.Entries.Select(e => e.Path).Order(StringComparer.Ordinal).ShouldBe(["all_rum.txt", longName]);
        Samples.Text(file.Entries.Single(e => e.Path == longName)).ShouldBe(Samples.DeviceFile("FOC0002"));
        file.Entries.ShouldAllBe(e => e.VirtualAccountArchivePath == null);
    }

    [Theory]
    [InlineData("pax", true)]
    [InlineData("pax", false)]
    [InlineData("gnu", true)]
    public void Plain_tar_with_long_and_non_ascii_names_made_by_python_yields_every_report(string format, bool gzip)
    {
        // Arrange
        using var dir = new ScratchDirectory();
        var longName = "./" + new string('x', 120) + "/" + new string('y', 160) + "_rum.txt";
        var archive = PyTar.Build(dir, "UD_1700.tar", gzip, format,
            new PyMember("./", Type: "dir"),
            new PyMember(longName, Text: "long"),
            new PyMember("./rapport-éàü.xml", Text: "accents"));

        // Act
        var file = Samples.Read("UD_1700.tar", File.ReadAllBytes(archive));

        // Assert
        file.Form.ShouldBe(UsageFileForm.PlainArchive);
        file.Entries.Select(e => e.Path).ShouldBe([longName[2..], "rapport-éàü.xml"]);
        file.Entries.Select(Samples.Text).ShouldBe(["long", "accents"]);
    }

    [Theory]
    [InlineData("ustar")]
    [InlineData("pax")]
    public void Name_split_across_the_ustar_prefix_field_is_joined_back(string format)
    {
        // Arrange: 150 + 1 + 90 bytes: too long for the name field, short enough for prefix + name.
        using var dir = new ScratchDirectory();
        var name = new string('p', 150) + "/" + new string('n', 86) + ".txt";
        var archive = PyTar.Build(dir, "UD_3.tar", gzip: false, format, new PyMember(name, Text: "split"));

        // Act
        var file = Samples.Read("UD_3.tar", File.ReadAllBytes(archive));

        // Assert
        Samples.Text(file.Entries.ShouldHaveSingleItem()).ShouldBe("split");
        file.Entries[0].Path.ShouldBe(name);
    }

    [Fact]
    public void Plain_tar_written_by_the_runtime_tar_writer_yields_every_report()
    {
        // Arrange
        var upload = Samples.TarWithBcl(gzip: true, ("a_rum.txt", "a"), ("./b_rum.xml", "b"));

        // Act
        var file = Samples.Read("UD_1.tgz", upload);

        // Assert
        file.Form.ShouldBe(UsageFileForm.PlainArchive);
        file.Entries.Select(e => e.Path).ShouldBe(["a_rum.txt", "b_rum.xml"]);
    }

    [Fact]
    public void Directories_in_an_archive_are_ignored_and_only_files_become_entries()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        dir.Folder("tree/empty/inner");
        dir.Write("tree/sub/one_rum.txt", "one");
        Tools.Tar(dir.Path, "-cf", "UD_2.tar", "-C", "tree", ".");

        // Act
        var file = Samples.Read("UD_2.tar", dir.Read("UD_2.tar"));

        // Assert
        file.Entries.Select(e => e.Path).ShouldBe(["sub/one_rum.txt"]);
        file.ArchiveEntryCount.ShouldBe(5); // ./, ./empty/, ./empty/inner/, ./sub/, ./sub/one_rum.txt
    }
}
