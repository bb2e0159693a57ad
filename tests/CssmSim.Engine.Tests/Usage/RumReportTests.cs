using System.Text.Json;
using CssmSim.Engine.Usage;
using static CssmSim.Engine.Tests.Usage.RumTestData;

namespace CssmSim.Engine.Tests.Usage;

public sealed class RumReportTests
{
    [Fact]
    public void A_report_id_of_two_to_the_64_minus_one_keeps_every_digit()
    {
        var report = Parse(Payload(reportIdJson: "18446744073709551615"));

        report.ReportId.ShouldBe("18446744073709551615");
        report.ReportIdKey.ShouldBe("18446744073709551615");
        report.ReportIdIsNumber.ShouldBeTrue();
    }

    [Fact]
    public void A_report_id_string_with_leading_zeros_is_echoed_as_written_and_keyed_without_them()
    {
        var report = Parse(Payload(reportIdJson: "\"007\""));

        report.ReportId.ShouldBe("007");
        report.ReportIdKey.ShouldBe("7");
        report.ReportIdIsNumber.ShouldBeFalse();
    }

    [Fact]
    public void A_report_id_of_zero_is_keyed_as_zero()
    {
        Parse(Payload(reportIdJson: "\"000\"")).ReportIdKey.ShouldBe("0");
        Parse(Payload(reportIdJson: "0")).ReportIdKey.ShouldBe("0");
    }

    [Fact]
    public void A_large_string_report_id_keeps_its_type_and_digits()
    {
        var report = Parse(Payload(reportIdJson: "\"18446744073709551615\""));

        report.ReportId.ShouldBe("18446744073709551615");
        report.ReportIdIsNumber.ShouldBeFalse();
    }

    [Theory]
    [InlineData("18446744073709551616", "larger than 2^64 - 1")]
    [InlineData("\"118446744073709551615\"", "larger than 2^64 - 1")]
    [InlineData("-1", "not a non-negative decimal integer")]
    [InlineData("1.5", "not a non-negative decimal integer")]
    [InlineData("1e3", "not a non-negative decimal integer")]
    [InlineData("1671840750.0", "not a non-negative decimal integer")]
    [InlineData("\"abc\"", "not a non-negative decimal integer")]
    [InlineData("\" 42\"", "not a non-negative decimal integer")]
    [InlineData("\"\"", "report_id is empty")]
    [InlineData("true", "must be a JSON number or a string of digits")]
    [InlineData("{}", "must be a JSON number or a string of digits")]
    public void A_report_id_that_is_not_an_unsigned_64_bit_decimal_is_an_entry_error(string reportIdJson, string message)
    {
        var error = ParseError(Payload(reportIdJson: reportIdJson));

        error.Kind.ShouldBe(RumErrorKind.Entry);
        error.Message.ShouldContain(message);
    }

    [Fact]
    public void Report_id_keys_compare_decimal_values_as_text()
    {
        RumReportId.AreSame("007", "7").ShouldBeTrue();
        RumReportId.AreSame("18446744073709551615", "018446744073709551615").ShouldBeTrue();
        RumReportId.AreSame("70", "7").ShouldBeFalse();
        RumReportId.AreSame("x", "x").ShouldBeFalse();
        RumReportId.KeyOf("0000").ShouldBe("0");
        RumReportId.KeyOf("-7").ShouldBeNull();
    }

    [Fact]
    public void An_older_payload_with_report_id_in_meta_is_accepted()
    {
        var payload = """{"version":"1.0","meta":{"report_id":1638055644,"entitlement_tag":"regid.x,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896"},"asset_identification":{"instance":{"sudi":{"udi_pid":"ISR4351/K9","udi_serial_number":"FDO21512BJB"}}},"measurements":[]}""";

        var report = Parse(payload);

        report.ReportId.ShouldBe("1638055644");
        report.ReportIdIsNumber.ShouldBeTrue();
        report.ReportIdInMeta.ShouldBeTrue();
        report.Udi.Text.ShouldBe("PID:ISR4351/K9,SN:FDO21512BJB");
        report.InUse.ShouldBeNull();
    }

    [Fact]
    public void Asset_identification_report_id_wins_over_meta_report_id()
    {
        var payload = """{"asset_identification":{"report_id":"11","instance":{"sudi":{"udi_pid":"P","udi_serial_number":"S"}}},"meta":{"report_id":22}}""";

        Parse(payload).ReportId.ShouldBe("11");
    }

    [Fact]
    public void A_payload_without_report_id_is_an_entry_error_naming_both_places()
    {
        var error = ParseError("""{"asset_identification":{"instance":{"sudi":{"udi_pid":"P","udi_serial_number":"S"}}}}""");

        error.Message.ShouldContain("asset_identification.report_id or meta.report_id", caseSensitivity: Case.Sensitive);
        error.ReportId.ShouldBeNull();
    }

    [Fact]
    public void A_payload_without_sudi_is_an_entry_error_that_names_the_report()
    {
        var error = ParseError("""{"asset_identification":{"report_id":5}}""");

        error.Message.ShouldContain("no sudi", caseSensitivity: Case.Sensitive);
        error.ReportId.ShouldBe("5");
    }

    [Fact]
    public void A_sudi_without_serial_number_is_missing()
    {
        var error = ParseError("""{"asset_identification":{"report_id":5,"instance":{"sudi":{"udi_pid":"P"}}}}""");

        error.Message.ShouldContain("no sudi", caseSensitivity: Case.Sensitive);
    }

    [Fact]
    public void The_signature_sudi_stands_in_when_the_payload_has_none()
    {
        var result = RumReport.FromPayload(
            """{"asset_identification":{"report_id":5}}""",
            new RumReportSignature(new RumUdi("P", "S"), "builtin", "k", "v"));

        result.Report!.Udi.ShouldBe(new RumUdi("P", "S"));
    }

    [Fact]
    public void Extra_sudi_keys_are_ignored()
    {
        var report = Parse(Payload().Replace("\"udi_serial_number\":\"93SZ7RXN93Y\"}}}", "\"udi_serial_number\":\"93SZ7RXN93Y\",\"udi_vid\":\"V01\"}}}"));

        report.Udi.ShouldBe(new RumUdi("C9800-CL-K9", "93SZ7RXN93Y"));
    }

    [Fact]
    public void Unknown_fields_are_kept_in_the_payload_and_not_refused()
    {
        var payload = Payload().Replace("{\"version\":\"2.0\",", "{\"version\":\"2.0\",\"future_field\":{\"x\":[1,2,3]},");

        var report = Parse(payload);

        report.PayloadJson.ShouldBe(payload);
        report.PayloadJson.ShouldContain("\"future_field\":{\"x\":[1,2,3]}", caseSensitivity: Case.Sensitive);
    }

    [Fact]
    public void The_payload_text_is_kept_exactly_with_its_spacing_and_escapes()
    {
        var payload = "{ \"asset_identification\" : {\"report_id\": 42, \"instance\":{\"sudi\":{\"udi_pid\":\"P\\u0041\",\"udi_serial_number\":\"S\"}}},\n \"meta\":{\"software_version\":\"a\\/b\"} }";

        var report = Parse(payload);

        report.PayloadJson.ShouldBe(payload);
        report.Udi.Pid.ShouldBe("PA");
        report.SoftwareVersion.ShouldBe("a/b");
    }

    [Fact]
    public void The_in_use_count_comes_from_the_latest_measurement_by_end_time_not_array_order()
    {
        var report = Parse(Payload(measurementsJson: """
            [{"log_time":1,"metric_name":"ENTITLEMENT","end_time":300,"value":{"type":"COUNT","value":"9"}},
             {"log_time":2,"metric_name":"ENTITLEMENT","end_time":100,"value":{"type":"COUNT","value":"1"}}]
            """));

        report.InUse.ShouldBe(9);
        report.LatestMeasurement!.EndTime.ShouldBe(300);
    }

    [Fact]
    public void Equal_end_times_are_broken_by_log_time()
    {
        var report = Parse(Payload(measurementsJson: """
            [{"log_time":50,"end_time":300,"value":{"value":"4"}},
             {"log_time":10,"end_time":300,"value":{"value":"6"}}]
            """));

        report.InUse.ShouldBe(4);
    }

    [Fact]
    public void Fully_tied_measurements_take_the_later_in_the_array()
    {
        var report = Parse(Payload(measurementsJson: """[{"end_time":1,"value":{"value":"4"}},{"end_time":1,"value":{"value":"6"}}]"""));

        report.InUse.ShouldBe(6);
    }

    [Fact]
    public void A_numeric_measurement_value_is_accepted()
    {
        Parse(Payload(measurementsJson: """[{"end_time":1,"value":{"type":"COUNT","value":12}}]""")).InUse.ShouldBe(12);
    }

    [Fact]
    public void Measurements_of_other_metrics_are_kept_but_do_not_give_the_in_use_count()
    {
        var report = Parse(Payload(measurementsJson: """
            [{"metric_name":"ENTITLEMENT","end_time":1,"value":{"value":"2"}},
             {"metric_name":"THROUGHPUT","end_time":9,"value":{"value":"1000"}}]
            """));

        report.Measurements.Count.ShouldBe(2);
        report.InUse.ShouldBe(2);
    }

    [Theory]
    [InlineData("""[{"end_time":1,"value":{"type":"COUNT","value":"three"}}]""", "measurements[0].value.value")]
    [InlineData("""[{"end_time":1,"value":{"type":"COUNT","value":"2"}},{"end_time":2,"value":{"type":"COUNT","value":"-1"}}]""", "measurements[1].value.value")]
    [InlineData("""[{"end_time":1,"value":{"type":"COUNT","value":2.5}}]""", "measurements[0].value.value")]
    [InlineData("""[{"end_time":1,"value":{"type":"COUNT"}}]""", "measurements[0].value.value")]
    [InlineData("""[{"end_time":1}]""", "measurements[0].value.value")]
    [InlineData("""[{"end_time":1,"value":{"value":"99999999999999999999"}}]""", "measurements[0].value.value")]
    [InlineData("""[7]""", "measurements[0] is not an object")]
    [InlineData("""{"a":1}""", "measurements is not an array")]
    public void A_bad_measurement_is_an_entry_error(string measurementsJson, string message)
    {
        var error = ParseError(Payload(reportIdJson: "77", measurementsJson: measurementsJson));

        error.Message.ShouldContain(message);
        error.ReportId.ShouldBe("77");
    }

    [Fact]
    public void Measurement_end_times_in_milliseconds_are_read_as_milliseconds()
    {
        var report = Parse(Payload(measurementsJson: """[{"end_time":1673790212000,"value":{"value":"1"}}]"""));

        report.LatestMeasurementEnd.ShouldBe(new DateTimeOffset(2023, 1, 15, 13, 43, 32, TimeSpan.Zero));
    }

    [Fact]
    public void The_entitlement_tag_is_normalised_and_kept_as_written()
    {
        var dotted = "regid.2018-06.com.cisco.DNA_NWStack.1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";

        var report = Parse(Payload(tag: dotted));

        report.EntitlementTag.ShouldBe(Tag);
        report.EntitlementTagAsWritten.ShouldBe(dotted);
    }

    [Fact]
    public void A_payload_without_tag_parses_with_no_tag()
    {
        var report = Parse("""{"asset_identification":{"report_id":1,"instance":{"sudi":{"udi_pid":"P","udi_serial_number":"S"}}}}""");

        report.EntitlementTag.ShouldBeNull();
        report.Measurements.ShouldBeEmpty();
        report.HaUdis.ShouldBeEmpty();
        report.LatestMeasurementEnd.ShouldBeNull();
    }

    [Fact]
    public void A_standby_in_ha_udi_is_listed()
    {
        var payload = Payload().Replace(
            "\"ha_udi\":[{\"role\":\"Active\",\"sudi\":{\"udi_pid\":\"C9800-CL-K9\",\"udi_serial_number\":\"93SZ7RXN93Y\"}}]",
            "\"ha_udi\":[{\"role\":\"Active\",\"sudi\":{\"udi_pid\":\"C9800-CL-K9\",\"udi_serial_number\":\"93SZ7RXN93Y\"}},{\"role\":\"Standby\",\"sudi\":{\"udi_pid\":\"C9800-CL-K9\",\"udi_serial_number\":\"9XECPSUU4XN\"}}]");

        var report = Parse(payload);

        report.HaUdis.Select(h => h.Role + " " + h.Udi.Text).ShouldBe(["Active PID:C9800-CL-K9,SN:93SZ7RXN93Y", "Standby PID:C9800-CL-K9,SN:9XECPSUU4XN"]);
    }

    [Fact]
    public void An_ha_member_without_sudi_is_an_entry_error()
    {
        var error = ParseError(Payload().Replace("{\"role\":\"Active\",\"sudi\":", "{\"role\":\"Active\",\"x\":"));

        error.Message.ShouldContain("meta.ha_udi[0]", caseSensitivity: Case.Sensitive);
    }

    [Theory]
    [InlineData("not json", "payload is not valid JSON")]
    [InlineData("", "payload is not valid JSON")]
    [InlineData("[1,2]", "payload is not a JSON object")]
    [InlineData("{\"a\":1,}", "payload is not valid JSON")]
    [InlineData("{\"a\":\"\\uD800\"}", "no report_id")]
    public void A_payload_that_is_not_a_json_object_is_an_entry_error(string payload, string message)
    {
        var error = ParseError(payload);

        error.Kind.ShouldBe(RumErrorKind.Entry);
        error.Message.ShouldContain(message);
    }

    [Fact]
    public void A_payload_nested_deeper_than_the_limit_is_an_entry_error()
    {
        var deep = "{\"asset_identification\":{\"report_id\":1},\"x\":" + new string('[', 100) + new string(']', 100) + "}";

        ParseError(deep).Message.ShouldContain("payload is not valid JSON", caseSensitivity: Case.Sensitive);
    }

    [Fact]
    public void FromEnvelope_reads_payload_signature_and_ignores_the_header()
    {
        var payload = Payload();
        var envelope = "{\"payload\":" + JsonSerializer.Serialize(payload) + ",\"signature\":{\"sudi\":{\"udi_pid\":\"P\",\"udi_serial_number\":\"S\"},\"signing_type\":\"builtin\",\"key\":\"k\",\"value\":\"v\",\"extra\":1},\"header\":{\"type\":\"rum\"}}";

        var result = RumReport.FromEnvelope(envelope, entryIndex: 4);

        result.IsSuccess.ShouldBeTrue();
        result.Report!.PayloadJson.ShouldBe(payload);
        result.Report.EntryIndex.ShouldBe(4);
        result.Report.EnvelopeJson.ShouldBe(envelope);
        result.Report.Signature.ShouldBe(new RumReportSignature(new RumUdi("P", "S"), "builtin", "k", "v"));
    }

    [Fact]
    public void FromEnvelope_accepts_a_parsed_rest_usage_item()
    {
        var payload = Payload();
        using var doc = JsonDocument.Parse("{\"reports\":[{\"payload\":" + JsonSerializer.Serialize(payload) + ",\"signature\":{\"value\":\"v\"}}]}");

        var result = RumReport.FromEnvelope(doc.RootElement.GetProperty("reports")[0]);

        result.Report!.PayloadJson.ShouldBe(payload);
        result.Report.Signature!.Value.ShouldBe("v");
        result.Report.Signature.Sudi.ShouldBeNull();
    }

    [Theory]
    [InlineData("{\"signature\":{}}", "has no payload")]
    [InlineData("{\"payload\":{\"version\":\"2.0\"}}", "payload must be a JSON string")]
    [InlineData("{\"payload\":\"{}\",\"signature\":\"abc\"}", "signature must be a JSON object")]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{\"payload\":\"\\uDC00\"}", "invalid string")]
    [InlineData("{payload}", "not valid JSON")]
    public void FromEnvelope_reports_a_bad_envelope_as_an_entry_error(string envelope, string message)
    {
        var result = RumReport.FromEnvelope(envelope);

        result.IsSuccess.ShouldBeFalse();
        result.Error!.Message.ShouldContain(message);
    }

    [Fact]
    public void A_report_without_signature_parses_with_a_null_signature()
    {
        var result = RumReport.FromEnvelope("{\"payload\":" + JsonSerializer.Serialize(Payload()) + "}");

        result.Report!.Signature.ShouldBeNull();
    }

    [Theory]
    [InlineData("PID:C9800-CL-K9,SN:93SZ7RXN93Y", "C9800-CL-K9", "93SZ7RXN93Y")]
    [InlineData(" pid:ISR4351/K9, sn:FDO21512BJB ", "ISR4351/K9", "FDO21512BJB")]
    public void A_udi_text_parses_back(string text, string pid, string sn)
    {
        RumUdi.TryParse(text, out var udi).ShouldBeTrue();

        udi.ShouldBe(new RumUdi(pid, sn));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("C9800-CL-K9")]
    [InlineData("PID:,SN:X")]
    [InlineData("PID:X,SN:")]
    public void A_malformed_udi_text_does_not_parse(string? text)
    {
        RumUdi.TryParse(text, out var udi).ShouldBeFalse();
        udi.ShouldBeNull();
    }
}
