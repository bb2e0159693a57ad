using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using CssmSim.Engine.UsageFiles;

namespace CssmSim.Engine.Tests.UsageFiles;

/// <summary>The hostile corpus: every upload here is refused whole, with the right code.</summary>
public sealed class HostileUploadTests
{
    private const string Rejected = UploadRejectionCodes.ArchiveRejected;
    private const string TooLarge = UploadRejectionCodes.UploadTooLarge;

    public static TheoryData<string, string, string?, string, bool> UnsafeMembers => new()
    {
        // name, type, link target, expected message fragment, gzip
        { "../../etc/passwd", "file", null, "'..' path segment", true },
        { "reports/../../../x_rum.txt", "file", null, "'..' path segment", false },
        { "/etc/passwd", "file", null, "absolute path", true },
        { "..\\..\\evil.txt", "file", null, "backslash", false },
        { "C:/Windows/evil.txt", "file", null, "drive letter", true },
        { "innocent-link", "symlink", "/etc/passwd", "symbolic link", true },
        { "hard-link", "hardlink", "etc/passwd", "hard link", false },
        { "dev/null", "chr", null, "character device", true },
        { "dev/sda", "blk", null, "block device", false },
        { "pipe", "fifo", null, "FIFO", true },
    };

    [Theory]
    [MemberData(nameof(UnsafeMembers))]
    public void Unsafe_member_refuses_the_whole_upload(string name, string type, string? link, string fragment, bool gzip)
    {
        // Arrange: a good report first, so refusal is visibly of the whole upload.
        using var dir = new ScratchDirectory();
        var archive = PyTar.Build(dir, "UD_1.tar", gzip, "pax",
            new PyMember("good_rum.txt", Text: Samples.DeviceFile("FOC1")),
            new PyMember(name, type, Text: type == "file" ? "pwned" : null, Link: link));

        // Act
        var ex = Samples.Rejected("UD_1.tar", File.ReadAllBytes(archive));

        // Assert
        ex.Code.ShouldBe(Rejected);
        ex.Message.ShouldContain(fragment);
        ex.Message.ShouldContain(name);
        ex.Entry.ShouldBe("UD_1.tar/" + name);
    }

    [Theory]
    [InlineData("../../etc/passwd", "file", null, "'..' path segment")]
    [InlineData("dev_9_1.txt", "symlink", "/etc/shadow", "symbolic link")]
    public void Unsafe_member_inside_a_virtual_account_archive_refuses_the_whole_upload(string name, string type, string? link, string fragment)
    {
        // Arrange
        using var dir = new ScratchDirectory();
        Samples.WriteNestedTree(dir);
        var va = PyTar.Build(dir, "sa/" + Samples.Va1, gzip: true, "pax",
            new PyMember("dev_42_1700000000.txt", DataFile: dir.File("va1/dev_42_1700000000.txt")),
            new PyMember(name, type, Text: type == "file" ? "x" : null, Link: link));
        var outer = PyTar.Build(dir, "UD_SA_1.tar.gz", gzip: true, "pax",
            new PyMember("manifest.mf", DataFile: dir.File("sa/manifest.mf")),
            new PyMember(Samples.Va1, DataFile: va));

        // Act
        var ex = Samples.Rejected("UD_SA_1.tar.gz", File.ReadAllBytes(outer));

        // Assert
        ex.Code.ShouldBe(Rejected);
        ex.Message.ShouldContain(fragment);
        ex.Entry.ShouldBe($"UD_SA_1.tar.gz/{Samples.Va1}/{name}");
    }

    [Fact]
    public void Gzip_bomb_of_one_gigabyte_of_zeros_is_refused_without_being_inflated()
    {
        // Arrange: one tar entry of 1 GiB of zeros, about 10 MB compressed.
        var bomb = HostileArchives.ZeroFilesTarGz(1, 1L << 30, "bomb");
        var before = GC.GetAllocatedBytesForCurrentThread();

        // Act
        var ex = Samples.Rejected("UD_bomb.tar.gz", bomb);

        // Assert
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        ex.Code.ShouldBe(TooLarge);
        ex.Message.ShouldContain("bomb_0.txt");
        allocated.ShouldBeLessThan(16L << 20);
    }

    [Fact]
    public void Gzip_bomb_without_any_tar_header_is_stopped_at_the_expanded_limit_while_streaming()
    {
        // Arrange: 1 GiB of zeros, gzip only; its first block reads as an empty tar, so nothing declares
        // a size and the rest must be counted as it inflates. (A 64 MiB limit keeps the checksum work small.)
        var bomb = HostileArchives.ZerosGz(1L << 30);
        var limits = new UploadLimits(MaxExpandedBytes: 64L << 20);
        var before = GC.GetAllocatedBytesForCurrentThread();

        // Act
        var ex = Samples.Rejected("zeros.gz", bomb, limits);

        // Assert
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        ex.Code.ShouldBe(TooLarge);
        ex.Message.ShouldContain("Uploads:MaxExpandedBytes");
        allocated.ShouldBeLessThan(16L << 20);
    }

    [Fact]
    public void Bomb_of_many_small_entries_is_stopped_once_their_sum_passes_the_expanded_limit()
    {
        // Arrange: 1,024 entries of 1 MiB of zeros (1 GiB), each under the limit on its own.
        var bomb = HostileArchives.ZeroFilesTarGz(1024, 1 << 20);
        var limits = new UploadLimits(MaxExpandedBytes: 32L << 20);
        var before = GC.GetAllocatedBytesForCurrentThread();

        // Act
        var ex = Samples.Rejected("UD_many.tar.gz", bomb, limits);

        // Assert
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        ex.Code.ShouldBe(TooLarge);
        allocated.ShouldBeLessThan(64L << 20);
    }

    [Fact]
    public void Gzip_bomb_inside_a_virtual_account_archive_is_refused_and_named()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        dir.Write("sa/" + Samples.Va1, HostileArchives.ZeroFilesTarGz(1, 1L << 30, "dev_1_1700000000"));
        dir.Write("sa/manifest.mf", Samples.Manifest);
        Tools.Tar(dir.Path, "-czf", "UD_SA_1.tar.gz", "-C", "sa", ".");

        // Act
        var ex = Samples.Rejected("UD_SA_1.tar.gz", dir.Read("UD_SA_1.tar.gz"));

        // Assert
        ex.Code.ShouldBe(TooLarge);
        ex.Entry.ShouldBe($"UD_SA_1.tar.gz/{Samples.Va1}/dev_1_1700000000_0.txt");
    }

    [Fact]
    public void Expanded_bytes_are_counted_across_nested_levels()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        var upload = Samples.NestedWithGnuTar(dir);
        var expanded = Samples.Read("UD_SA.tar.gz", upload).ExpandedBytes;
        var outerTarBytes = DecompressGzip(upload).Length;

        // Act
        var atLimit = Samples.Read("UD_SA.tar.gz", upload, new UploadLimits(MaxExpandedBytes: expanded));
        var ex = Samples.Rejected("UD_SA.tar.gz", upload, new UploadLimits(MaxExpandedBytes: expanded - 1));

        // Assert
        expanded.ShouldBeGreaterThan(outerTarBytes, "the inner archives' expansion counts on top of the outer one");
        atLimit.Entries.Count.ShouldBe(3);
        ex.Code.ShouldBe(TooLarge);
    }

    [Fact]
    public void Entries_are_counted_across_nested_levels()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        var upload = Samples.NestedWithGnuTar(dir);
        var count = Samples.Read("UD_SA.tar.gz", upload).ArchiveEntryCount;

        // Act
        var atLimit = Samples.Read("UD_SA.tar.gz", upload, new UploadLimits(MaxEntries: count));
        var ex = Samples.Rejected("UD_SA.tar.gz", upload, new UploadLimits(MaxEntries: count - 1));

        // Assert: outer ./, manifest, 2 VA archives; each VA ./ and its devices.
        count.ShouldBe(4 + 3 + 2);
        atLimit.Entries.Count.ShouldBe(3);
        ex.Code.ShouldBe(Rejected);
        ex.Message.ShouldContain("Uploads:MaxEntries");
    }

    [Fact]
    public void Archive_of_100001_entries_is_refused()
    {
        // Arrange: empty files written by the runtime's TarWriter, gzip-compressed.
        var tar = new MemoryStream();
        using (var gzip = new GZipStream(tar, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new TarWriter(gzip, TarEntryFormat.Ustar))
        {
            for (var i = 0; i < 100_001; i++) writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, $"r{i}.txt"));
        }

        // Act
        var ex = Samples.Rejected("UD_many.tar.gz", tar.ToArray());

        // Assert
        ex.Code.ShouldBe(Rejected);
        ex.Message.ShouldContain("more than 100000");
        ex.Entry.ShouldBe("UD_many.tar.gz/r100000.txt");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(-2)] // half of the stream
    public void Truncated_gzip_is_refused(int cut)
    {
        // Arrange
        using var dir = new ScratchDirectory();
        var upload = Samples.NestedWithGnuTar(dir);
        var length = cut < 0 ? upload.Length / -cut : upload.Length - cut;

        // Act
        var ex = Samples.Rejected("UD_SA.tar.gz", upload[..length]);

        // Assert
        ex.Code.ShouldBe(Rejected);
        ex.Message.ShouldContain("gzip");
    }

    [Fact]
    public void Gzip_followed_by_trailing_garbage_is_refused()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        var upload = Samples.NestedWithGnuTar(dir).Concat("garbage!"u8.ToArray()).ToArray();

        // Act
        var ex = Samples.Rejected("UD_SA.tar.gz", upload);

        // Assert
        ex.Code.ShouldBe(Rejected);
    }

    [Fact]
    public void Gzip_magic_followed_by_nonsense_is_refused()
    {
        // Act
        var ex = Samples.Rejected("UD_1.tar.gz", [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]);

        // Assert
        ex.Code.ShouldBe(Rejected);
        ex.Message.ShouldContain("gzip");
    }

    [Fact]
    public void Truncated_virtual_account_archive_is_refused_and_named()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        Samples.WriteNestedTree(dir);
        Tools.Tar(dir.Path, "-czf", "va.tar.gz", "-C", "va1", ".");
        var va = dir.Read("va.tar.gz");
        dir.Write("sa/" + Samples.Va1, va[..(va.Length - 4)]);
        Tools.Tar(dir.Path, "-czf", "UD_SA_1.tar.gz", "-C", "sa", ".");

        // Act
        var ex = Samples.Rejected("UD_SA_1.tar.gz", dir.Read("UD_SA_1.tar.gz"));

        // Assert
        ex.Code.ShouldBe(Rejected);
        ex.Entry.ShouldBe("UD_SA_1.tar.gz/" + Samples.Va1);
    }

    [Fact]
    public void Gzip_that_does_not_hold_a_tar_is_refused()
    {
        // Act
        var ex = Samples.Rejected("all_rum.txt.gz", Samples.Gzip(Encoding.UTF8.GetBytes(Samples.DeviceFile("FOC1"))));

        // Assert
        ex.Code.ShouldBe(Rejected);
        ex.Message.ShouldContain("does not hold a tar archive");
    }

    [Theory]
    [InlineData(0)]   // a byte of the first header's name
    [InlineData(150)] // a digit of the first header's checksum
    [InlineData(-1)]  // a byte of the second header's name
    public void Corrupt_tar_header_is_refused(int offset)
    {
        // Arrange
        using var dir = new ScratchDirectory();
        dir.Write("tree/a_rum.txt", new string('a', 700));
        dir.Write("tree/b_rum.txt", "b");
        Tools.Tar(dir.Path, "-cf", "UD.tar", "-C", "tree", "a_rum.txt", "b_rum.txt");
        var tar = dir.Read("UD.tar");
        var at = offset >= 0 ? offset : 512 + 1024 + 3; // header, 700 bytes of data padded to 1024, then the second header
        tar[at] = tar[at] == (byte)'7' ? (byte)'6' : (byte)'7';

        // Act
        var ex = Samples.Rejected("UD.tar", tar);

        // Assert
        ex.Code.ShouldBe(Rejected);
        ex.Message.ShouldContain("checksum");
    }

    [Theory]
    [InlineData(512 + 100, "inside the data")]  // in the middle of the first file's data
    [InlineData(512 + 1024, "end-of-archive")]  // right after the first entry: no end marker
    [InlineData(512 + 1024 + 200, "inside the header")]
    public void Truncated_tar_is_refused(int length, string fragment)
    {
        // Arrange
        using var dir = new ScratchDirectory();
        dir.Write("tree/a_rum.txt", new string('a', 700));
        dir.Write("tree/b_rum.txt", "b");
        Tools.Tar(dir.Path, "-cf", "UD.tar", "-C", "tree", "a_rum.txt", "b_rum.txt");

        // Act
        var ex = Samples.Rejected("UD.tar", dir.Read("UD.tar")[..length]);

        // Assert
        ex.Code.ShouldBe(Rejected);
        ex.Message.ShouldContain("truncated");
        ex.Message.ShouldContain(fragment);
    }

    [Fact]
    public void Upload_over_the_compressed_limit_is_refused_from_memory_and_from_streams()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        var upload = Samples.NestedWithGnuTar(dir);
        var limits = new UploadLimits(MaxCompressedBytes: upload.Length - 1);

        // Act
        var fromMemory = Samples.Rejected("UD_SA.tar.gz", upload, limits);
        var fromSeekable = Should.Throw<ArchiveRejectedException>(() => UsageFileReader.Read("UD_SA.tar.gz", new MemoryStream(upload), limits));
        var fromBody = Should.Throw<ArchiveRejectedException>(() => UsageFileReader.Read("UD_SA.tar.gz", new TrickleStream(upload), limits));
        var atLimit = UsageFileReader.Read("UD_SA.tar.gz", new TrickleStream(upload), limits with { MaxCompressedBytes = upload.Length });

        // Assert
        fromMemory.Code.ShouldBe(TooLarge);
        fromSeekable.Code.ShouldBe(TooLarge);
        fromBody.Code.ShouldBe(TooLarge);
        fromMemory.Message.ShouldContain("Uploads:MaxCompressedBytes");
        atLimit.Entries.Count.ShouldBe(3);
    }

    [Fact]
    public void Archive_nested_deeper_than_the_cslu_form_is_refused()
    {
        // Arrange: UD_SA > UD_VA > deeper.tar.gz > dev file.
        using var dir = new ScratchDirectory();
        Samples.WriteNestedTree(dir);
        Tools.Tar(dir.Path, "-czf", dir.File("deep/deeper.tar.gz"), "-C", "va1", ".");
        dir.Write("deep/dev_1_1700000000.txt", Samples.DeviceFile("FOC1"));
        Tools.Tar(dir.Path, "-czf", "sa/" + Samples.Va1, "-C", "deep", ".");
        Tools.Tar(dir.Path, "-czf", "UD_SA_1.tar.gz", "-C", "sa", ".");

        // Act
        var ex = Samples.Rejected("UD_SA_1.tar.gz", dir.Read("UD_SA_1.tar.gz"));

        // Assert
        ex.Code.ShouldBe(Rejected);
        ex.Message.ShouldContain("itself an archive");
        ex.Entry.ShouldBe($"UD_SA_1.tar.gz/{Samples.Va1}/deeper.tar.gz");
    }

    [Fact]
    public void Uncompressed_tar_inside_a_virtual_account_archive_is_too_deep_as_well()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        Samples.WriteNestedTree(dir);
        Tools.Tar(dir.Path, "-cf", dir.File("deep/renamed.txt"), "-C", "va1", ".");
        Tools.Tar(dir.Path, "-czf", "sa/" + Samples.Va1, "-C", "deep", ".");
        Tools.Tar(dir.Path, "-czf", "UD_SA_1.tar.gz", "-C", "sa", ".");

        // Act
        var ex = Samples.Rejected("UD_SA_1.tar.gz", dir.Read("UD_SA_1.tar.gz"));

        // Assert
        ex.Code.ShouldBe(Rejected);
        ex.Entry.ShouldBe($"UD_SA_1.tar.gz/{Samples.Va1}/renamed.txt");
    }

    [Fact]
    public void Empty_upload_is_refused()
    {
        // Act
        var fromMemory = Samples.Rejected("UD_1.tar.gz", []);
        var fromStream = Should.Throw<ArchiveRejectedException>(() => UsageFileReader.Read("UD_1.tar.gz", new MemoryStream(), UploadLimits.Default));

        // Assert
        fromMemory.Code.ShouldBe(Rejected);
        fromMemory.Message.ShouldContain("empty");
        fromStream.Code.ShouldBe(Rejected);
    }

    [Fact]
    public void Archive_naming_the_same_file_twice_is_refused()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        var archive = PyTar.Build(dir, "UD_1.tar", gzip: false, "ustar",
            new PyMember("a_rum.txt", Text: "first"),
            new PyMember("./a_rum.txt", Text: "second"));

        // Act
        var ex = Samples.Rejected("UD_1.tar", File.ReadAllBytes(archive));

        // Assert
        ex.Code.ShouldBe(Rejected);
        ex.Message.ShouldContain("twice");
    }

    [Fact]
    public void Extended_header_larger_than_a_megabyte_is_refused_without_reading_it()
    {
        // Arrange: a pax header declaring 2 GiB of records.
        var tar = HostileArchives.Header("PaxHeader", 2L << 30, 'x').Concat(new byte[1024]).ToArray();

        // Act
        var ex = Samples.Rejected("UD_1.tar", tar);

        // Assert
        ex.Code.ShouldBe(Rejected);
        ex.Message.ShouldContain("extended header");
    }

    [Theory]
    [InlineData("gnu")]
    [InlineData("pax")]
    public void Sparse_file_is_refused(string format)
    {
        // Arrange: a file that is one big hole, archived with --sparse.
        using var dir = new ScratchDirectory();
        using (var sparse = new FileStream(dir.File("tree/holes_rum.txt"), FileMode.Create)) sparse.SetLength(4 << 20);
        Tools.Tar(dir.Path, "-cSf", "UD.tar", "--format=" + format, "-C", "tree", ".");

        // Act
        var ex = Samples.Rejected("UD.tar", dir.Read("UD.tar"));

        // Assert
        ex.Code.ShouldBe(Rejected);
        ex.Message.ShouldContain("sparse");
    }

    private static byte[] DecompressGzip(byte[] data)
    {
        using var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>A request body: no length, and a few bytes per read.</summary>
    private sealed class TrickleStream(byte[] data) : Stream
    {
        private int _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, 7), data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
