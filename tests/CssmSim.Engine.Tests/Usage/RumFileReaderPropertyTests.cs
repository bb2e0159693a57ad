using System.Text;
using CssmSim.Engine.Usage;

namespace CssmSim.Engine.Tests.Usage;

/// <summary>Property-style checks over seeded random inputs (deterministic, no FsCheck): Read never throws.</summary>
public sealed class RumFileReaderPropertyTests
{
    private static readonly string[] Fragments =
    [
        "<smartLicense>", "</smartLicense>", "<RUMReport>", "</RUMReport>", "<![CDATA[", "]]>", "<smartLicenseTrustRequest>",
        "</smartLicenseTrustRequest>", "<smartLicenseAuthorizationRequest>", "</smartLicenseAuthorizationRequest>",
        "{", "}", "[", "]", "\"payload\":", "\"signature\":", "\"sudi\":", "\"report_id\":", "\"measurements\":", ",", ":",
        "\"", "\\\"", "\\u0000", "\\uD800", "18446744073709551615", "007", "-1", "1e999", "null", "true", "&amp;", "&lt;",
        "&x;", "<!DOCTYPE x>", "<!--", "-->", "<?xml version=\"1.0\"?>", " ", "\n", "\u0000", "\uFFFE", "é", "😀",
    ];

    private static void AssertWellFormedResult(RumFile file)
    {
        file.ShouldNotBeNull();
        file.Reports.ShouldAllBe(r => r.ReportIdKey.Length > 0 && r.PayloadJson != null);
        file.Errors.ShouldAllBe(e => e.Message.Length > 0);
        (file.Reports.Count + file.TrustRequests.Count + file.AuthorizationRequests.Count).ShouldBeLessThanOrEqualTo(file.EntryCount);
        if (file.Errors.Count(e => e.IsFileLevel) > 1) throw new ShouldAssertException("more than one file-level error");
    }

    [Fact]
    public void Read_never_throws_on_random_bytes()
    {
        var rng = new Random(1234);
        for (var i = 0; i < 1500; i++)
        {
            var bytes = new byte[rng.Next(0, 2000)];
            rng.NextBytes(bytes);
            if (bytes.Length > 0 && i % 3 == 0) bytes[0] = (byte)'<';

            AssertWellFormedResult(RumFileReader.Read(bytes));
        }
    }

    [Fact]
    public void Read_never_throws_on_random_xml_like_text()
    {
        var rng = new Random(4321);
        for (var i = 0; i < 2000; i++)
        {
            var sb = new StringBuilder();
            var parts = rng.Next(0, 60);
            for (var p = 0; p < parts; p++) sb.Append(Fragments[rng.Next(Fragments.Length)]);

            AssertWellFormedResult(RumFileReader.Read(sb.ToString()));
            AssertWellFormedResult(RumFileReader.Read(Encoding.UTF8.GetBytes(sb.ToString())));
        }
    }

    [Fact]
    public void Read_never_throws_on_mutations_of_the_real_sample()
    {
        var rng = new Random(777);
        var original = RumSample.Utf8;
        for (var i = 0; i < 1500; i++)
        {
            var bytes = (byte[])original.Clone();
            var edits = rng.Next(1, 6);
            for (var e = 0; e < edits; e++) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            var length = i % 4 == 0 ? rng.Next(bytes.Length) : bytes.Length;

            AssertWellFormedResult(RumFileReader.Read(bytes.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Read_never_throws_on_random_payload_strings_inside_a_valid_envelope()
    {
        var rng = new Random(99);
        for (var i = 0; i < 1500; i++)
        {
            var sb = new StringBuilder();
            var parts = rng.Next(0, 40);
            for (var p = 0; p < parts; p++) sb.Append(Fragments[rng.Next(9, Fragments.Length)]);
            var payload = RumTestData.Payload().Insert(rng.Next(RumTestData.Payload().Length), sb.ToString());

            var file = RumFileReader.Read(new RumFileWriter().AddReport(payload, null).ToXml());

            AssertWellFormedResult(file);
            file.EntryCount.ShouldBe(1);
            if (file.Reports.Count == 1) file.Reports[0].PayloadJson.ShouldBe(payload);
        }
    }

    [Fact]
    public void FromPayload_never_throws_on_random_strings()
    {
        var rng = new Random(2024);
        for (var i = 0; i < 3000; i++)
        {
            var sb = new StringBuilder();
            var parts = rng.Next(0, 30);
            for (var p = 0; p < parts; p++)
                sb.Append(rng.Next(3) == 0 ? ((char)rng.Next(0, 0x10000)).ToString() : Fragments[rng.Next(9, Fragments.Length)]);

            var result = RumReport.FromPayload(sb.ToString());

            (result.Report is null).ShouldNotBe(result.Error is null);
        }
    }
}
