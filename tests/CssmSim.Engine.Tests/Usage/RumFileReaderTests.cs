using System.Diagnostics;
using System.Text;
using CssmSim.Engine.Usage;
using static CssmSim.Engine.Tests.Usage.RumTestData;

namespace CssmSim.Engine.Tests.Usage;

public sealed class RumFileReaderTests
{
    private const string TrustRequest =
        """<smartLicenseTrustRequest><![CDATA[{"sudi":{"udi_pid":"C9800-CL-K9","udi_serial_number":"93SZ7RXN93Y"},"hostname":"wlc-1","ha_udis":[{"role":"Standby","sudi":{"udi_pid":"C9800-CL-K9","udi_serial_number":"9XECPSUU4XN"}}]}]]></smartLicenseTrustRequest>""";

    private const string AuthorizationRequest =
        """<smartLicenseAuthorizationRequest><![CDATA[{"sudi":{"udi_pid":"ISR4351/K9","udi_serial_number":"FDO21512BJB"},"entitlements":[{"tag":"regid.2019-03.com.cisco.DNA_HSEC.1.0_509c41ab-05a8-431f-95fe-ec28086e8844","count":1},{"tag":"regid.x","count":"2"}],"mode":"replace"}]]></smartLicenseAuthorizationRequest>""";

    private static string Wrap(params string[] elements) => "<smartLicense>\n" + string.Join("\n", elements) + "\n</smartLicense>";

    [Fact]
    public void Several_bare_reports_are_read_in_order()
    {
        var xml = ReportElementFor(Payload("1")) + "\n" + ReportElementFor(Payload("2")) + ReportElementFor(Payload("3"));

        var file = RumFileReader.Read(xml);

        file.Errors.ShouldBeEmpty();
        file.Reports.Select(r => r.ReportId).ShouldBe(["1", "2", "3"]);
    }

    [Fact]
    public void A_payload_escaped_with_unicode_escapes_is_unescaped_to_the_same_text()
    {
        // RumTestData.Envelope writes quotes as \u0022; the payload must come back unchanged.
        var payload = Payload();
        Envelope(payload).ShouldContain("\\u0022", caseSensitivity: Case.Sensitive);

        var file = RumFileReader.Read(ReportElementFor(payload));

        file.Reports.ShouldHaveSingleItem().PayloadJson.ShouldBe(payload);
    }

    [Fact]
    public void A_report_in_xml_escaped_text_instead_of_cdata_is_read()
    {
        var envelope = Envelope(Payload("5"));
        var escaped = envelope.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");

        var file = RumFileReader.Read("<RUMReport>" + escaped + "</RUMReport>");

        file.Reports.ShouldHaveSingleItem().ReportId.ShouldBe("5");
    }

    [Fact]
    public void Comments_processing_instructions_and_whitespace_around_entries_are_ignored()
    {
        var xml = "\n\n<?xml version=\"1.0\"?>\n<!-- saved by device -->\n<smartLicense>\n  <?pi x?>\n  " + ReportElementFor(Payload("8")) + "\n  <!-- end -->\n</smartLicense>\n";

        var file = RumFileReader.Read(xml);

        file.Errors.ShouldBeEmpty();
        file.Reports.ShouldHaveSingleItem().ReportId.ShouldBe("8");
    }

    [Fact]
    public void One_broken_report_never_loses_the_good_ones()
    {
        var xml = Wrap(
            ReportElementFor(Payload("100")),
            ReportElement("{\"payload\": \"this is not json\", \"signature\": {}}"),
            ReportElement("{\"payload\":\"{\\\"asset_identification\\\":{\\\"report_id\\\":300}}\"}"),
            ReportElementFor(Payload("400", measurementsJson: """[{"end_time":1,"value":{"value":"lots"}}]""")),
            "<RUMReport><![CDATA[not json at all]]></RUMReport>",
            "<RUMReport/>",
            ReportElementFor(Payload("700")));

        var file = RumFileReader.Read(xml);

        file.Reports.Select(r => (r.EntryIndex, r.ReportId)).ShouldBe([(0, "100"), (6, "700")]);
        file.EntryCount.ShouldBe(7);
        file.FileError.ShouldBeNull();
        file.Errors.Select(e => (e.EntryIndex, e.ReportId, e.Kind)).ShouldBe([
            (1, null, RumErrorKind.Entry),
            (2, "300", RumErrorKind.Entry),
            (3, "400", RumErrorKind.Entry),
            (4, null, RumErrorKind.Entry),
            (5, null, RumErrorKind.Entry),
        ]);
        file.Errors[0].Message.ShouldContain("payload is not valid JSON", caseSensitivity: Case.Sensitive);
        file.Errors[1].Message.ShouldContain("no sudi", caseSensitivity: Case.Sensitive);
        file.Errors[2].Message.ShouldContain("measurements[0].value.value", caseSensitivity: Case.Sensitive);
        file.Errors[3].Message.ShouldContain("not valid JSON", caseSensitivity: Case.Sensitive);
    }

    [Fact]
    public void An_entry_holding_an_element_is_an_entry_error()
    {
        var file = RumFileReader.Read(Wrap("<RUMReport><data>x</data></RUMReport>", ReportElementFor(Payload("2"))));

        file.Errors.ShouldHaveSingleItem().Message.ShouldContain("holds an element <data>", caseSensitivity: Case.Sensitive);
        file.Reports.ShouldHaveSingleItem().ReportId.ShouldBe("2");
    }

    [Fact]
    public void A_file_of_only_trust_and_authorization_requests_is_valid()
    {
        var file = RumFileReader.Read(Wrap(TrustRequest, AuthorizationRequest));

        file.Errors.ShouldBeEmpty();
        file.Reports.ShouldBeEmpty();
        file.EntryCount.ShouldBe(2);

        var trust = file.TrustRequests.ShouldHaveSingleItem();
        trust.EntryIndex.ShouldBe(0);
        trust.Udi.Text.ShouldBe("PID:C9800-CL-K9,SN:93SZ7RXN93Y");
        trust.Hostname.ShouldBe("wlc-1");
        trust.HaUdis.ShouldBe([new RumHaUdi("Standby", new RumUdi("C9800-CL-K9", "9XECPSUU4XN"))]);

        var auth = file.AuthorizationRequests.ShouldHaveSingleItem();
        auth.EntryIndex.ShouldBe(1);
        auth.Udi.Text.ShouldBe("PID:ISR4351/K9,SN:FDO21512BJB");
        auth.Mode.ShouldBe(RumAuthorizationMode.Replace);
        auth.Entitlements.Select(e => (e.Tag, e.Count)).ShouldBe([
            ("regid.2019-03.com.cisco.DNA_HSEC,1.0_509c41ab-05a8-431f-95fe-ec28086e8844", 1L),
            ("regid.x", 2L),
        ]);
        auth.Entitlements[0].TagAsWritten.ShouldBe("regid.2019-03.com.cisco.DNA_HSEC.1.0_509c41ab-05a8-431f-95fe-ec28086e8844");
    }

    [Fact]
    public void A_trust_request_needs_only_a_sudi()
    {
        var file = RumFileReader.Read("""<smartLicenseTrustRequest><![CDATA[{"sudi":{"udi_pid":"P","udi_serial_number":"S"}}]]></smartLicenseTrustRequest>""");

        var trust = file.TrustRequests.ShouldHaveSingleItem();
        trust.Hostname.ShouldBeNull();
        trust.HaUdis.ShouldBeEmpty();
    }

    [Fact]
    public void An_authorization_request_without_mode_adds()
    {
        var file = RumFileReader.Read("""<smartLicenseAuthorizationRequest><![CDATA[{"sudi":{"udi_pid":"P","udi_serial_number":"S"},"entitlements":[]}]]></smartLicenseAuthorizationRequest>""");

        file.AuthorizationRequests.ShouldHaveSingleItem().Mode.ShouldBe(RumAuthorizationMode.Add);
    }

    [Theory]
    [InlineData("""{"entitlements":[],"mode":"add"}""", "no sudi")]
    [InlineData("""{"sudi":{"udi_pid":"P","udi_serial_number":"S"},"entitlements":[],"mode":"remove"}""", "mode 'remove'")]
    [InlineData("""{"sudi":{"udi_pid":"P","udi_serial_number":"S"},"mode":"add"}""", "entitlements is missing")]
    [InlineData("""{"sudi":{"udi_pid":"P","udi_serial_number":"S"},"entitlements":[{"count":1}]}""", "entitlements[0] has no tag")]
    [InlineData("""{"sudi":{"udi_pid":"P","udi_serial_number":"S"},"entitlements":[{"tag":"t","count":-1}]}""", "entitlements[0].count")]
    [InlineData("""{"sudi":{"udi_pid":"P","udi_serial_number":"S"},"entitlements":[{"tag":"t","count":1.5}]}""", "entitlements[0].count")]
    [InlineData("""[]""", "not a JSON object")]
    [InlineData("""{"sudi":""", "does not hold valid JSON")]
    public void A_bad_authorization_request_is_an_entry_error(string json, string message)
    {
        var file = RumFileReader.Read(Wrap("<smartLicenseAuthorizationRequest><![CDATA[" + json + "]]></smartLicenseAuthorizationRequest>", ReportElementFor(Payload("1"))));

        var error = file.Errors.ShouldHaveSingleItem();
        error.EntryIndex.ShouldBe(0);
        error.Kind.ShouldBe(RumErrorKind.Entry);
        error.Message.ShouldContain(message);
        file.Reports.ShouldHaveSingleItem();
    }

    [Fact]
    public void A_bad_trust_request_is_an_entry_error()
    {
        var file = RumFileReader.Read("""<smartLicenseTrustRequest><![CDATA[{"hostname":"x"}]]></smartLicenseTrustRequest>""");

        file.Errors.ShouldHaveSingleItem().Message.ShouldBe("<smartLicenseTrustRequest>: no sudi with udi_pid and udi_serial_number");
    }

    [Fact]
    public void Unknown_elements_are_skipped_with_their_content_and_listed()
    {
        var xml = Wrap(
            "<dlcData><![CDATA[{\"dlc\":true}]]><inner><RUMReport>not read</RUMReport></inner></dlcData>",
            ReportElementFor(Payload("1")),
            "<smartLicenseRumAck/>");

        var file = RumFileReader.Read(xml);

        file.Errors.ShouldBeEmpty();
        file.SkippedElements.ShouldBe(["dlcData", "smartLicenseRumAck"]);
        file.Reports.ShouldHaveSingleItem().ReportId.ShouldBe("1");
    }

    [Fact]
    public void A_file_with_no_entries_says_so()
    {
        var file = RumFileReader.Read("<smartLicense><dlcData/></smartLicense>");

        var error = file.Errors.ShouldHaveSingleItem();
        error.Kind.ShouldBe(RumErrorKind.NoEntries);
        error.EntryIndex.ShouldBeNull();
        file.FileError.ShouldBe(error);
        file.SkippedElements.ShouldBe(["dlcData"]);
    }

    [Fact]
    public void A_doctype_with_billion_laughs_entities_is_refused_quickly_without_expansion()
    {
        var sb = new StringBuilder("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n");
        sb.Append(" <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n");
        for (var i = 2; i <= 9; i++)
            sb.Append($" <!ENTITY lol{i} \"{string.Concat(Enumerable.Repeat($"&lol{i - 1};", 10))}\">\n");
        sb.Append("]>\n<smartLicense><RUMReport>&lol9;</RUMReport></smartLicense>");
        var watch = Stopwatch.StartNew();

        var file = RumFileReader.Read(sb.ToString());

        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
        var error = file.Errors.ShouldHaveSingleItem();
        error.Kind.ShouldBe(RumErrorKind.Dtd);
        error.Message.ShouldContain("DOCTYPE", caseSensitivity: Case.Sensitive);
        file.Reports.ShouldBeEmpty();
    }

    [Fact]
    public void An_external_entity_is_refused_and_never_resolved()
    {
        var secret = Path.Combine(Path.GetTempPath(), "cssmsim-xxe-" + Guid.NewGuid().ToString("N") + ".txt");
        File.WriteAllText(secret, "TOP-SECRET-CONTENT");
        try
        {
            var xml = $"<!DOCTYPE smartLicense [<!ENTITY xxe SYSTEM \"file://{secret}\">]>\n<smartLicense><RUMReport>&xxe;</RUMReport></smartLicense>";

            var file = RumFileReader.Read(xml);

            var error = file.Errors.ShouldHaveSingleItem();
            error.Kind.ShouldBe(RumErrorKind.Dtd);
            error.Message.ShouldNotContain("TOP-SECRET", caseSensitivity: Case.Sensitive);
            file.Reports.ShouldBeEmpty();
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public void A_doctype_after_the_first_element_is_refused_as_a_dtd()
    {
        var file = RumFileReader.Read(ReportElementFor(Payload("1")) + "\n<!DOCTYPE x [<!ENTITY a \"b\">]>\n" + ReportElementFor(Payload("2")));

        file.Errors.ShouldHaveSingleItem().Kind.ShouldBe(RumErrorKind.Dtd);
        file.Reports.Select(r => r.ReportId).ShouldBe(["1"]);
    }

    [Fact]
    public void An_undeclared_entity_reference_is_malformed_xml()
    {
        var file = RumFileReader.Read("<smartLicense><RUMReport>&xxe;</RUMReport></smartLicense>");

        var error = file.Errors.ShouldHaveSingleItem();
        error.Kind.ShouldBe(RumErrorKind.Malformed);
        error.Message.ShouldContain("not well-formed XML", caseSensitivity: Case.Sensitive);
    }

    [Fact]
    public void Invalid_utf8_is_one_clear_error_with_the_offset()
    {
        var bytes = Encoding.UTF8.GetBytes("<smartLicense>").Concat(new byte[] { 0xC3, 0x28 }).Concat(Encoding.UTF8.GetBytes("</smartLicense>")).ToArray();

        var file = RumFileReader.Read(bytes);

        var error = file.Errors.ShouldHaveSingleItem();
        error.Kind.ShouldBe(RumErrorKind.InvalidUtf8);
        error.Message.ShouldBe("the file is not valid UTF-8 (bad byte sequence at offset 14)");
    }

    [Fact]
    public void A_utf16_file_is_refused_as_invalid_utf8()
    {
        var bytes = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(RumSample.Xml)).ToArray();

        RumFileReader.Read(bytes).Errors.ShouldHaveSingleItem().Kind.ShouldBe(RumErrorKind.InvalidUtf8);
    }

    [Fact]
    public void Five_megabytes_of_text_junk_is_one_not_xml_error()
    {
        var rng = new Random(5);
        var junk = new char[5 * 1024 * 1024];
        for (var i = 0; i < junk.Length; i++)
        {
            var c = (char)rng.Next(' ', '~' + 1);
            junk[i] = c == '<' ? 'x' : c;
        }
        junk[0] = 'J';

        var file = RumFileReader.Read(Encoding.UTF8.GetBytes(junk));

        var error = file.Errors.ShouldHaveSingleItem();
        error.Kind.ShouldBe(RumErrorKind.NotXml);
        file.Reports.ShouldBeEmpty();
    }

    [Fact]
    public void Five_megabytes_of_random_bytes_is_one_clear_error()
    {
        var bytes = new byte[5 * 1024 * 1024];
        new Random(55).NextBytes(bytes);

        var file = RumFileReader.Read(bytes);

        file.Errors.ShouldHaveSingleItem().IsFileLevel.ShouldBeTrue();
        file.Reports.ShouldBeEmpty();
    }

    [Fact]
    public void Five_megabytes_of_junk_starting_with_a_tag_is_one_malformed_error()
    {
        var junk = "<" + string.Concat(Enumerable.Repeat("<>&]]>{\"x\"}", 5 * 1024 * 1024 / 12));

        var file = RumFileReader.Read(junk);

        file.Errors.ShouldHaveSingleItem().Kind.ShouldBe(RumErrorKind.Malformed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\t ")]
    [InlineData("\uFEFF")]
    public void An_empty_file_is_one_clear_error(string text)
    {
        var file = RumFileReader.Read(text);

        file.Errors.ShouldHaveSingleItem().Kind.ShouldBe(RumErrorKind.Empty);
    }

    [Fact]
    public void An_empty_byte_array_is_an_empty_file()
    {
        RumFileReader.Read(Array.Empty<byte>()).Errors.ShouldHaveSingleItem().Kind.ShouldBe(RumErrorKind.Empty);
    }

    [Theory]
    [InlineData("{\"payload\":\"{}\"}")]
    [InlineData("hello world")]
    [InlineData("PK\u0003\u0004")]
    public void A_file_that_is_not_xml_is_one_clear_error(string text)
    {
        var file = RumFileReader.Read(text);

        var error = file.Errors.ShouldHaveSingleItem();
        error.Kind.ShouldBe(RumErrorKind.NotXml);
        error.Message.ShouldContain("not XML", caseSensitivity: Case.Sensitive);
    }

    [Fact]
    public void A_truncated_file_keeps_the_reports_before_the_fault()
    {
        var xml = Wrap(ReportElementFor(Payload("1")), ReportElementFor(Payload("2")));
        var truncated = xml[..(xml.LastIndexOf("<RUMReport>", StringComparison.Ordinal) + 30)];

        var file = RumFileReader.Read(truncated);

        file.Reports.ShouldHaveSingleItem().ReportId.ShouldBe("1");
        file.FileError!.Kind.ShouldBe(RumErrorKind.Malformed);
    }

    [Fact]
    public void A_document_over_the_character_limit_is_refused_before_parsing()
    {
        var limits = new RumLimits(MaxDocumentChars: 1000);
        var xml = Wrap(Enumerable.Range(1, 10).Select(i => ReportElementFor(Payload(i.ToString()))).ToArray());

        var fromText = RumFileReader.Read(xml, limits);
        var fromBytes = RumFileReader.Read(Encoding.UTF8.GetBytes(xml), limits);

        fromText.Errors.ShouldHaveSingleItem().Kind.ShouldBe(RumErrorKind.TooLarge);
        fromBytes.Errors.ShouldHaveSingleItem().Kind.ShouldBe(RumErrorKind.TooLarge);
        fromText.Reports.ShouldBeEmpty();
    }

    [Fact]
    public void Entries_beyond_the_cap_stop_the_read_and_the_ones_before_are_kept()
    {
        var xml = Wrap(ReportElementFor(Payload("1")), TrustRequest, ReportElementFor(Payload("3")));

        var file = RumFileReader.Read(xml, new RumLimits(MaxReports: 2));

        file.Reports.ShouldHaveSingleItem().ReportId.ShouldBe("1");
        file.TrustRequests.ShouldHaveSingleItem();
        var error = file.Errors.ShouldHaveSingleItem();
        error.Kind.ShouldBe(RumErrorKind.TooManyReports);
        error.Message.ShouldContain("more than 2", caseSensitivity: Case.Sensitive);
    }

    [Fact]
    public void Json_nested_deeper_than_the_limit_is_an_entry_error()
    {
        var deep = "<RUMReport><![CDATA[{\"payload\":\"{}\",\"x\":" + new string('[', 70) + new string(']', 70) + "}]]></RUMReport>";

        var file = RumFileReader.Read(deep + ReportElementFor(Payload("2")));

        file.Errors.ShouldHaveSingleItem().EntryIndex.ShouldBe(0);
        file.Reports.ShouldHaveSingleItem().ReportId.ShouldBe("2");
    }

    [Fact]
    public void A_cdata_split_around_the_end_marker_is_joined_back()
    {
        var payload = Payload().Replace("17.07.01", "a]]>b");
        var envelope = Envelope(payload).Replace("]]>", "]]]]><![CDATA[>");

        var file = RumFileReader.Read("<RUMReport><![CDATA[" + envelope + "]]></RUMReport>");

        var report = file.Reports.ShouldHaveSingleItem();
        report.SoftwareVersion.ShouldBe("a]]>b");
        report.PayloadJson.ShouldBe(payload);
    }

    [Fact]
    public void Elements_with_a_namespace_prefix_are_recognised_by_local_name()
    {
        var xml = "<sl:smartLicense xmlns:sl=\"urn:x\"><sl:RUMReport><![CDATA[" + Envelope(Payload("9")) + "]]></sl:RUMReport></sl:smartLicense>";

        RumFileReader.Read(xml).Reports.ShouldHaveSingleItem().ReportId.ShouldBe("9");
    }
}
