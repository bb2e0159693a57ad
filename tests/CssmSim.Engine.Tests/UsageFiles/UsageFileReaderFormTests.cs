using System.Text;
using CssmSim.Engine.UsageFiles;

namespace CssmSim.Engine.Tests.UsageFiles;

/// <summary>Form detection by content, entry naming, and the two ways an upload arrives.</summary>
public sealed class UsageFileReaderFormTests
{
    private static readonly byte[] RumXml = Encoding.UTF8.GetBytes(Samples.DeviceFile("FOC0001"));

    [Theory]
    [InlineData("all_rum.txt")]
    [InlineData("report.xml")]
    [InlineData("usage-17")]
    public void Single_rum_file_is_form_3_with_the_upload_as_its_only_entry(string fileName)
    {
        // Act
        var file = Samples.Read(fileName, RumXml);

        // Assert
        file.Form.ShouldBe(UsageFileForm.RumFile);
        file.HasAck.ShouldBeTrue();
        file.IsGzip.ShouldBeFalse();
        var entry = file.Entries.ShouldHaveSingleItem();
        entry.Path.ShouldBe(fileName);
        entry.Content.ToArray().ShouldBe(RumXml);
        file.ReturnCodes.ShouldBeEmpty();
        file.ExpandedBytes.ShouldBe(RumXml.Length);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public void File_whose_every_non_blank_line_is_a_return_code_is_form_4(string newline)
    {
        // Arrange
        var text = "\uFEFF" + Samples.ReturnCode1 + newline + newline + "  " + Samples.ReturnCode2 + "  " + newline;

        // Act
        var file = Samples.Read("return.txt", Encoding.UTF8.GetBytes(text));

        // Assert
        file.Form.ShouldBe(UsageFileForm.ReturnFile);
        file.HasAck.ShouldBeFalse();
        file.ReturnCodes.ShouldBe([Samples.ReturnCode1, Samples.ReturnCode2]);
    }

    [Fact]
    public void A_return_file_as_the_device_saves_it_keeps_the_udi_of_each_code()
    {
        // Arrange: "license smart authorization return all offline bootflash:return-code.txt" (seed 000 L2612, L3589-3593)
        var text = "Enter this return code in Cisco Smart Software Manager portal:\n"
            + "UDI: PID:C9800-CL-K9,SN:93BBAH93MGS\n"
            + "   Return code: " + Samples.ReturnCode1 + "\r\n"
            + "UDI: PID:C9800-CL-K9,SN:9XECPSUU4XN\n"
            + "   Return code: " + Samples.ReturnCode2 + "\n";

        // Act
        var file = Samples.Read("return-code.txt", Encoding.UTF8.GetBytes(text));

        // Assert
        file.Form.ShouldBe(UsageFileForm.ReturnFile);
        file.ReturnCodes.ShouldBe([Samples.ReturnCode1, Samples.ReturnCode2]);
        file.ReturnCodeUdis.ShouldBe(["PID:C9800-CL-K9,SN:93BBAH93MGS", "PID:C9800-CL-K9,SN:9XECPSUU4XN"]);
    }

    [Theory]
    [InlineData("UDI: not-a-udi\nReturn code: CqaUPW-WSPYiq-ZNU2ci-SnWydS-hBCXHP-MuyPqy-PJ1GiG-tPTGQj-S2h")]
    [InlineData("UDI: PID:C9800-CL-K9,SN:93BBAH93MGS\nReturn code: not a code")]
    [InlineData("Return code: CqaUPW-WSPYiq-ZNU2ci-SnWydS-hBCXHP-MuyPqy-PJ1GiG-tPTGQj-S2h\nEnter this return code in Cisco Smart Software Manager portal:")]
    public void A_return_file_with_a_bad_udi_or_code_line_is_not_a_return_file(string text)
    {
        var file = Samples.Read("return-code.txt", Encoding.UTF8.GetBytes(text));

        file.Form.ShouldBe(UsageFileForm.RumFile);
        file.ReturnCodes.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("CqaUPW-WSPYiq-ZNU2ci-SnWydS-hBCXHP-MuyPqy-PJ1GiG-tPTGQj-S2h\nnot a code")]
    [InlineData("CqaUPW-WSPYiq-ZNU2ci-SnWydS-hBCXHP-MuyPqy-PJ1GiG-tPTGQj-S2")]
    [InlineData("CqaUPW-WSPYiq-ZNU2ci-SnWydS-hBCXHP-MuyPqy-PJ1GiG-tPTGQj_S2h")]
    [InlineData("CqaUP!-WSPYiq-ZNU2ci-SnWydS-hBCXHP-MuyPqy-PJ1GiG-tPTGQj-S2h")]
    [InlineData("   \n\n")]
    public void File_with_any_line_that_is_not_a_return_code_is_a_rum_file(string text)
    {
        // Act
        var file = Samples.Read("maybe.txt", Encoding.UTF8.GetBytes(text));

        // Assert
        file.Form.ShouldBe(UsageFileForm.RumFile);
        file.ReturnCodes.ShouldBeEmpty();
    }

    [Fact]
    public void Return_code_shape_is_eight_groups_of_six_and_one_of_three()
    {
        UsageFileReader.IsReturnCode(Samples.ReturnCode1).ShouldBeTrue();
        UsageFileReader.IsReturnCode(Samples.ReturnCode1 + "x").ShouldBeFalse();
        UsageFileReader.IsReturnCode("AB-" + Samples.ReturnCode1[3..]).ShouldBeFalse();
    }

    [Fact]
    public void Upload_read_from_a_stream_equals_the_same_upload_read_from_memory()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        var upload = Samples.NestedWithGnuTar(dir);
        using var stream = new NonSeekableStream(upload);

        // Act
        var fromStream = UsageFileReader.Read("UD_SA_1700000000.tar.gz", stream, UploadLimits.Default);
        var fromMemory = Samples.Read("UD_SA_1700000000.tar.gz", upload);

        // Assert
        fromStream.Entries.Select(e => (e.Path, Samples.Text(e))).ShouldBe(fromMemory.Entries.Select(e => (e.Path, Samples.Text(e))));
        fromStream.CompressedBytes.ShouldBe(upload.Length);
        fromStream.ExpandedBytes.ShouldBe(fromMemory.ExpandedBytes);
    }

    [Fact]
    public void Single_file_entry_does_not_share_the_callers_buffer()
    {
        // Arrange
        var buffer = Encoding.UTF8.GetBytes("<smartLicense/>");

        // Act
        var file = Samples.Read("one.xml", buffer);
        buffer[1] = (byte)'X';

        // Assert
        Samples.Text(file.Entries[0]).ShouldBe("<smartLicense/>");
    }

    [Fact]
    public void Nested_archive_without_a_manifest_is_still_the_nested_form()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        Samples.WriteNestedTree(dir);
        Tools.Tar(dir.Path, "-czf", dir.File("inner/" + Samples.Va1), "-C", "va1", ".");
        Tools.Tar(dir.Path, "-czf", "UD_SA_1.tar.gz", "-C", "inner", ".");

        // Act
        var file = Samples.Read("UD_SA_1.tar.gz", dir.Read("UD_SA_1.tar.gz"));

        // Assert
        file.Form.ShouldBe(UsageFileForm.NestedArchive);
        file.Manifest.ShouldBeNull();
        file.VirtualAccountArchives.ShouldHaveSingleItem().Section.ShouldBeNull();
        file.Entries.Count.ShouldBe(2);
    }

    [Fact]
    public void Virtual_account_section_is_matched_by_file_name_when_the_archive_sits_in_a_folder()
    {
        // Arrange
        using var dir = new ScratchDirectory();
        Samples.WriteNestedTree(dir);
        Tools.Tar(dir.Path, "-czf", dir.File("sa/nested/" + Samples.Va2), "-C", "va2", ".");
        Tools.Tar(dir.Path, "-czf", "UD_SA.tar.gz", "-C", "sa", "manifest.mf", "nested");

        // Act
        var file = Samples.Read("UD_SA.tar.gz", dir.Read("UD_SA.tar.gz"));

        // Assert
        var archive = file.VirtualAccountArchives.ShouldHaveSingleItem();
        archive.Path.ShouldBe("nested/" + Samples.Va2);
        archive.Section!.VirtualAccount.ShouldBe("Lab");
        file.Entries.ShouldHaveSingleItem().Path.ShouldBe("nested/UD_VA_1700000001/dev_7_1700000001.txt");
    }

    [Theory]
    [InlineData("dev_42_1700.txt", "42")]
    [InlineData("ACK_dev_42_1700.txt", "42")]
    [InlineData("dev_FOC1234X_1700.txt", "FOC1234X")]
    [InlineData("dev_42.txt", null)]
    [InlineData("all_rum.txt", null)]
    [InlineData("dev__1700.txt", null)]
    public void Device_id_is_the_token_after_dev(string fileName, string? expected) =>
        EntryPaths.DeviceIdOf(fileName).ShouldBe(expected);

    [Fact]
    public void Empty_tar_archive_is_a_plain_archive_without_entries()
    {
        // Arrange: GNU tar's end-of-archive record alone.
        using var dir = new ScratchDirectory();
        dir.Folder("empty");
        Tools.Tar(dir.Path, "-cf", "empty.tar", "-C", "empty", "--files-from=/dev/null");

        // Act
        var file = Samples.Read("empty.tar", dir.Read("empty.tar"));

        // Assert
        file.Form.ShouldBe(UsageFileForm.PlainArchive);
        file.Entries.ShouldBeEmpty();
    }

    /// <summary>A stream that cannot seek, like a request body.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
    }
}
