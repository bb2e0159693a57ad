using System.Text;
using CssmSim.Engine.Usage;

namespace CssmSim.Engine.Tests.Usage;

/// <summary>The real C9800-CL report must parse unchanged, with the values read off the file by hand.</summary>
public sealed class RumSampleTests
{
    private static RumReport ReadSample()
    {
        var file = RumFileReader.Read(RumSample.Utf8);
        file.Errors.ShouldBeEmpty();
        return file.Reports.ShouldHaveSingleItem();
    }

    // Independent of System.Text.Json: cut the "payload" string literal out of the CDATA text and
    // undo its only escape (\" → "), checking that no other escape is present.
    private static string PayloadByHand()
    {
        var xml = RumSample.Xml;
        var cdata = xml[(xml.IndexOf("<![CDATA[", StringComparison.Ordinal) + 9)..xml.IndexOf("]]>", StringComparison.Ordinal)];
        const string open = "\"payload\": \"";
        const string close = "\",\n  \"signature\"";
        var start = cdata.IndexOf(open, StringComparison.Ordinal) + open.Length;
        var literal = cdata[start..cdata.IndexOf(close, StringComparison.Ordinal)];
        var unescaped = literal.Replace("\\\"", "\"");
        unescaped.ShouldNotContain('\\');
        return unescaped;
    }

    [Fact]
    public void The_embedded_sample_is_the_shared_sample_file()
    {
        Assert.SkipUnless(File.Exists(RumSample.SharedPath), "shared sample not present on this machine");

        File.ReadAllBytes(RumSample.SharedPath).ShouldBe(RumSample.Utf8);
    }

    [Fact]
    public void The_sample_parses_as_one_report_with_nothing_skipped()
    {
        var file = RumFileReader.Read(RumSample.Utf8);

        file.Errors.ShouldBeEmpty();
        file.FileError.ShouldBeNull();
        file.EntryCount.ShouldBe(1);
        file.Reports.Count.ShouldBe(1);
        file.TrustRequests.ShouldBeEmpty();
        file.AuthorizationRequests.ShouldBeEmpty();
        file.SkippedElements.ShouldBeEmpty();
    }

    [Fact]
    public void The_sample_report_id_is_the_json_number_1671840750()
    {
        var report = ReadSample();

        report.ReportId.ShouldBe("1671840750");
        report.ReportIdKey.ShouldBe("1671840750");
        report.ReportIdIsNumber.ShouldBeTrue();
        report.ReportIdInMeta.ShouldBeFalse();
    }

    [Fact]
    public void The_sample_comes_from_a_c9800_cl()
    {
        var report = ReadSample();

        report.Udi.ShouldBe(new RumUdi("C9800-CL-K9", "9NTUEA8FIIH"));
        report.Udi.Text.ShouldBe("PID:C9800-CL-K9,SN:9NTUEA8FIIH");
        report.HaUdis.ShouldBe([new RumHaUdi("Active", new RumUdi("C9800-CL-K9", "9NTUEA8FIIH"))]);
        report.AssetName.ShouldBe("regid.2018-05.com.cisco.WLC_9500C,1.0_85665885-b865-4e32-8184-5510412fcb54");
        report.Version.ShouldBe("2.0");
        report.SoftwareVersion.ShouldBe("17.09.02");
        report.UtilityEnabled.ShouldBe(false);
    }

    [Fact]
    public void The_sample_reports_three_dna_nwstack_in_use()
    {
        var report = ReadSample();

        report.EntitlementTag.ShouldBe("regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896");
        report.EntitlementTagAsWritten.ShouldBe(report.EntitlementTag);
        report.InUse.ShouldBe(3);
    }

    [Fact]
    public void The_sample_measurements_are_read_in_order_and_the_last_one_is_latest()
    {
        var report = ReadSample();

        report.Measurements.Select(m => m.Value).ShouldBe([2L, 3L, 3L]);
        report.Measurements.Select(m => m.EndTime).ShouldBe([1671966644L, 1672341045L, 1673790212L]);
        report.Measurements.Select(m => m.LogTime).ShouldBe([1671880245L, 1671966645L, 1672338319L]);
        report.Measurements.ShouldAllBe(m => m.MetricName == "ENTITLEMENT" && m.ValueType == "COUNT");
        report.Measurements[0].SampleInterval.ShouldBe(86399);
        report.Measurements[0].NumSamples.ShouldBe(97);
        report.LatestMeasurement.ShouldBeSameAs(report.Measurements[2]);
        report.LatestMeasurementEnd.ShouldBe(new DateTimeOffset(2023, 1, 15, 13, 43, 32, TimeSpan.Zero));
    }

    [Fact]
    public void The_sample_outer_signature_is_read()
    {
        var report = ReadSample();

        report.Signature.ShouldBe(new RumReportSignature(
            new RumUdi("C9800-CL-K9", "9NTUEA8FIIH"),
            "builtin",
            "regid.2018-05.com.cisco.WLC_9500C,1.0_85665885-b865-4e32-8184-5510412fcb54",
            "Tq2qxHTui7/n675clT/uT0Ih1SjIysZbe5LjQ212nCg="));
        report.Signature!.Value!.Length.ShouldBe(44);
    }

    [Fact]
    public void The_sample_payload_is_kept_byte_for_byte()
    {
        var report = ReadSample();
        var expected = PayloadByHand();

        report.PayloadJson.ShouldBe(expected);
        Encoding.UTF8.GetBytes(report.PayloadJson).ShouldBe(Encoding.UTF8.GetBytes(expected));
        report.PayloadJson.ShouldStartWith("{\"version\":\"2.0\",\"asset_identification\":{\"report_id\":1671840750,", caseSensitivity: Case.Sensitive);
        report.PayloadJson.ShouldEndWith("\"value\":{\"type\":\"COUNT\",\"value\":\"3\"}}]}", caseSensitivity: Case.Sensitive);
    }

    [Fact]
    public void The_sample_envelope_is_kept_as_read()
    {
        var report = ReadSample();

        report.EnvelopeJson.ShouldNotBeNull();
        report.EnvelopeJson.ShouldStartWith("{\n  \"payload\": ", caseSensitivity: Case.Sensitive);
        report.EnvelopeJson.ShouldEndWith("}\n}", caseSensitivity: Case.Sensitive);
    }

    [Fact]
    public void The_sample_reads_the_same_from_text_and_from_bytes()
    {
        var fromText = RumFileReader.Read(RumSample.Xml).Reports.ShouldHaveSingleItem();
        var fromBytes = ReadSample();

        fromText.PayloadJson.ShouldBe(fromBytes.PayloadJson);
        fromText.Signature.ShouldBe(fromBytes.Signature);
    }

    [Fact]
    public void The_sample_wrapped_in_smartLicense_with_a_declaration_reads_the_same()
    {
        var wrapped = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<smartLicense>\n" + RumSample.Xml + "\n</smartLicense>\n";

        var file = RumFileReader.Read(wrapped);

        file.Errors.ShouldBeEmpty();
        file.Reports.ShouldHaveSingleItem().PayloadJson.ShouldBe(ReadSample().PayloadJson);
    }

    [Fact]
    public void The_sample_with_a_bom_and_crlf_line_ends_reads_the_same()
    {
        var crlf = RumSample.Xml.Replace("\n", "\r\n");
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(crlf)).ToArray();

        var file = RumFileReader.Read(bytes);

        file.Errors.ShouldBeEmpty();
        file.Reports.ShouldHaveSingleItem().PayloadJson.ShouldBe(PayloadByHand());
    }

    [Fact]
    public void The_sample_repeated_three_times_bare_gives_three_reports_with_entry_indexes()
    {
        var file = RumFileReader.Read(RumSample.Xml + "\n" + RumSample.Xml + RumSample.Xml);

        file.Errors.ShouldBeEmpty();
        file.Reports.Select(r => r.EntryIndex).ShouldBe([0, 1, 2]);
    }
}
