using System.Text;
using CssmSim.Engine.UsageFiles;

namespace CssmSim.Engine.Tests.UsageFiles;

public sealed class UsageManifestTests
{
    [Fact]
    public void Manifest_as_cslu_writes_it_gives_the_account_and_each_virtual_account()
    {
        // Act
        var manifest = UsageManifest.Parse(Samples.Manifest);

        // Assert
        manifest.ManifestVersion.ShouldBe("1.0");
        manifest.CreatedBy.ShouldBe("CSLU 2.0.0");
        manifest.SmartAccount.ShouldBe("example.com");
        manifest.SmartAccountId.ShouldBe("4242");
        manifest.LineEnding.ShouldBe("\n");
        manifest.VirtualAccounts.Select(v => (v.Name, v.FileName, v.VirtualAccount, v.VirtualAccountId)).ShouldBe(
        [
            ("/" + Samples.Va1, Samples.Va1, "DEFAULT", "100"),
            ("/" + Samples.Va2, Samples.Va2, "Lab", "200"),
        ]);
    }

    [Fact]
    public void Manifest_with_crlf_bom_unknown_and_colonless_lines_parses()
    {
        // Arrange
        var text = "\uFEFFManifest-Version: 1.0\r\nCreated-By: script\r\nX-Unknown: kept\r\ngarbage line\r\nSmart-Account: Acme Corp\r\nSmart-Account-ID: 9\r\n\r\n"
                 + "Name: ./UD_VA_5.tar.gz\r\nSpecification-VA: Prod\r\nX-Extra: 1\r\nSpecification-VA-ID: 55\r\n";

        // Act
        var manifest = UsageManifest.Parse(Encoding.UTF8.GetBytes(text));

        // Assert
        manifest.LineEnding.ShouldBe("\r\n");
        manifest.SmartAccount.ShouldBe("Acme Corp");
        manifest.MainAttributes.Select(a => a.Name).ShouldBe(["Manifest-Version", "Created-By", "X-Unknown", "Smart-Account", "Smart-Account-ID"]);
        var section = manifest.VirtualAccounts.ShouldHaveSingleItem();
        section.FileName.ShouldBe("UD_VA_5.tar.gz");
        section.VirtualAccount.ShouldBe("Prod");
        section.VirtualAccountId.ShouldBe("55");
        section.Attributes.Select(a => a.Name).ShouldBe(["Specification-VA", "X-Extra", "Specification-VA-ID"]);
    }

    [Fact]
    public void Missing_lines_are_null_and_empty_values_are_empty()
    {
        // Arrange
        var text = "Manifest-Version: 1.0\nSmart-Account:\n\nName: /UD_VA_1.tar.gz\nSpecification-VA-ID: \n";

        // Act
        var manifest = UsageManifest.Parse(text);

        // Assert
        manifest.CreatedBy.ShouldBeNull();
        manifest.SmartAccount.ShouldBe("");
        manifest.SmartAccountId.ShouldBeNull();
        var section = manifest.VirtualAccounts.ShouldHaveSingleItem();
        section.VirtualAccount.ShouldBeNull();
        section.VirtualAccountId.ShouldBe("");
    }

    [Fact]
    public void Sections_start_at_each_name_line_even_without_a_blank_line()
    {
        // Act
        var manifest = UsageManifest.Parse("Smart-Account: a\nName: /A.tar.gz\nSpecification-VA: one\n\n\n\nName: /B.tar.gz\nSpecification-VA: two");

        // Assert
        manifest.SmartAccount.ShouldBe("a");
        manifest.VirtualAccounts.Select(v => (v.FileName, v.VirtualAccount)).ShouldBe([("A.tar.gz", "one"), ("B.tar.gz", "two")]);
    }

    [Fact]
    public void Jar_continuation_lines_extend_the_previous_value()
    {
        // Act
        var manifest = UsageManifest.Parse("Smart-Account: a-very-long-account-name-that-java-wrap\r\n s-at-72-bytes.example.com\r\n");

        // Assert
        manifest.SmartAccount.ShouldBe("a-very-long-account-name-that-java-wraps-at-72-bytes.example.com");
    }

    [Fact]
    public void Section_is_found_by_exact_path_then_by_file_name()
    {
        // Arrange
        var manifest = UsageManifest.Parse("Name: /UD_VA_1.tar.gz\nSpecification-VA: one\n\nName: /dir/UD_VA_2.tar.gz\nSpecification-VA: two\n");

        // Act & Assert
        manifest.FindSection("UD_VA_1.tar.gz")!.VirtualAccount.ShouldBe("one");
        manifest.FindSection("dir/UD_VA_2.tar.gz")!.VirtualAccount.ShouldBe("two");
        manifest.FindSection("other/UD_VA_1.tar.gz")!.VirtualAccount.ShouldBe("one");
        manifest.FindSection("UD_VA_3.tar.gz").ShouldBeNull();
    }
}
