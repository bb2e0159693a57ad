using System.Text.Json;
using CssmSim.Engine.Usage;

namespace CssmSim.Engine.Tests.Usage;

public sealed class RumRoundTripTests
{
    private static readonly byte[] RumKey = Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray();
    private static readonly RumUdi Device = new("C9800-CL-K9", "9NTUEA8FIIH");
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_671_880_245);

    private static RumReportBuilder SampleLikeBuilder(ulong reportId = 1671840750)
    {
        var b = new RumReportBuilder(Device, RumTestData.Tag, reportId)
        {
            AssetName = "regid.2018-05.com.cisco.WLC_9500C,1.0_85665885-b865-4e32-8184-5510412fcb54",
        };
        // The sample's first two measurements: access points joining are listed in added_sudi_list.
        b.AddMeasurement(2, T0, T0.AddSeconds(86399),
                added: [new RumUdi("AIR-AP2802I-E-K9", "FDW2109B29P"), new RumUdi("AIR-AP2802I-E-K9", "FDW2109B2BX")])
         .AddMeasurement(3, T0.AddSeconds(86399), T0.AddSeconds(86399 + 374401),
                added: [new RumUdi("AIR-AP2802I-E-K9", "FDW2028D3SV")]);
        return b;
    }

    // Key paths in document order, arrays reduced to their first element.
    private static List<string> KeyPaths(JsonElement e, string prefix = "")
    {
        var paths = new List<string>();
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject())
            {
                paths.Add(prefix + p.Name);
                paths.AddRange(KeyPaths(p.Value, prefix + p.Name + "."));
            }
        }
        else if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() > 0)
        {
            paths.AddRange(KeyPaths(e[0], prefix + "[0]."));
        }
        return paths;
    }

    [Fact]
    public void The_builder_writes_the_fields_of_the_real_sample_in_the_same_order()
    {
        var sample = RumFileReader.Read(RumSample.Xml).Reports.Single();
        using var samplePayload = JsonDocument.Parse(sample.PayloadJson);
        using var built = JsonDocument.Parse(SampleLikeBuilder().Build());

        KeyPaths(built.RootElement).ShouldBe(KeyPaths(samplePayload.RootElement));
    }

    [Fact]
    public void The_builder_payload_matches_the_sample_apart_from_its_measurement_details()
    {
        var payload = SampleLikeBuilder().Build();

        payload.ShouldStartWith("{\"version\":\"2.0\",\"asset_identification\":{\"report_id\":1671840750,\"asset\":{\"name\":\"regid.2018-05.com.cisco.WLC_9500C,1.0_85665885-b865-4e32-8184-5510412fcb54\"},\"instance\":{\"sudi\":{\"udi_pid\":\"C9800-CL-K9\",\"udi_serial_number\":\"9NTUEA8FIIH\"}}},\"signature\":{\"signing_type\":\"builtin\",\"key\":\"regid.2018-05.com.cisco.WLC_9500C,1.0_85665885-b865-4e32-8184-5510412fcb54\",\"value\":\"", caseSensitivity: Case.Sensitive);
        payload.ShouldContain("\"meta\":{\"entitlement_tag\":\"regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896\",\"utility_enabled\":false,\"software_version\":\"17.09.02\",\"ha_udi\":[{\"role\":\"Active\",\"sudi\":{\"udi_pid\":\"C9800-CL-K9\",\"udi_serial_number\":\"9NTUEA8FIIH\"}}]}", caseSensitivity: Case.Sensitive);
        // The sample's first measurement exactly as the device wrote it (log_time = start_time there).
        payload.ShouldContain("{\"log_time\":1671880245,\"metric_name\":\"ENTITLEMENT\",\"start_time\":1671880245,\"end_time\":1671966644,\"sample_interval\":86399,\"num_samples\":97,\"meta\":{\"removed_sudi_list\":[],\"added_sudi_list\":[{\"udi_pid\":\"AIR-AP2802I-E-K9\",\"udi_serial_number\":\"FDW2109B29P\"},{\"udi_pid\":\"AIR-AP2802I-E-K9\",\"udi_serial_number\":\"FDW2109B2BX\"}]},\"value\":{\"type\":\"COUNT\",\"value\":\"2\"}}", caseSensitivity: Case.Sensitive);
        // The second one differs only in log_time (the device logged it a second after it started).
        payload.ShouldContain("\"start_time\":1671966644,\"end_time\":1672341045,\"sample_interval\":374401,\"num_samples\":417,", caseSensitivity: Case.Sensitive);
        payload.ShouldEndWith("\"value\":{\"type\":\"COUNT\",\"value\":\"3\"}}]}", caseSensitivity: Case.Sensitive);
    }

    [Fact]
    public void The_payload_signature_value_defaults_to_44_base64_characters()
    {
        using var doc = JsonDocument.Parse(SampleLikeBuilder().Build());

        var value = doc.RootElement.GetProperty("signature").GetProperty("value").GetString()!;

        value.Length.ShouldBe(44);
        Convert.FromBase64String(value).Length.ShouldBe(32);
    }

    [Fact]
    public void Builder_writer_reader_round_trip_gives_back_the_same_report()
    {
        var builder = SampleLikeBuilder(18446744073709551615);
        builder.SoftwareVersion = "17.12.01";
        builder.UtilityEnabled = true;
        builder.HaUdis.Add(new RumHaUdi("Active", Device));
        builder.HaUdis.Add(new RumHaUdi("Standby", new RumUdi("C9800-CL-K9", "9XECPSUU4XN")));
        var signed = builder.BuildSigned(RumKey);

        var xml = new RumFileWriter().AddReport(signed).ToXml();
        var file = RumFileReader.Read(new RumFileWriter().AddReport(signed).ToUtf8());

        xml.ShouldStartWith("<smartLicense>\n<RUMReport>\n<![CDATA[{\n  \"payload\": \"{\\\"version\\\":\\\"2.0\\\",", caseSensitivity: Case.Sensitive);
        file.Errors.ShouldBeEmpty();
        var report = file.Reports.ShouldHaveSingleItem();
        report.PayloadJson.ShouldBe(signed.PayloadJson);
        report.Signature.ShouldBe(signed.Signature);
        report.Signature!.Sudi.ShouldBe(Device);
        report.Signature.Key.ShouldBe(builder.AssetName);
        RumSignature.Verify(report.PayloadJson, report.Signature.Value, RumKey).ShouldBeTrue();
        report.ReportId.ShouldBe("18446744073709551615");
        report.ReportIdIsNumber.ShouldBeTrue();
        report.Udi.ShouldBe(Device);
        report.EntitlementTag.ShouldBe(RumTestData.Tag);
        report.InUse.ShouldBe(3);
        report.SoftwareVersion.ShouldBe("17.12.01");
        report.UtilityEnabled.ShouldBe(true);
        report.HaUdis.Select(h => h.Role).ShouldBe(["Active", "Standby"]);
        report.LatestMeasurementEnd.ShouldBe(T0.AddSeconds(86399 + 374401));
    }

    [Fact]
    public void A_payload_with_quotes_backslashes_controls_unicode_and_the_cdata_end_marker_round_trips_exactly()
    {
        var builder = new RumReportBuilder(new RumUdi("PID \"quoted\" \\ é 中文 😀", "SN\t\u0001\u2028"), "tag ]]> <>&'", 7)
        {
            SoftwareVersion = "]]>]]]]><![CDATA[x\uFFFD",
            AssetName = "asset\n\r",
        };
        builder.AddMeasurement(1, T0, T0);
        var signed = builder.BuildSigned(RumKey);

        var xml = new RumFileWriter().AddReport(signed).ToXml();
        var file = RumFileReader.Read(xml);

        xml.ShouldContain("]]]]><![CDATA[>", caseSensitivity: Case.Sensitive);
        file.Errors.ShouldBeEmpty();
        var report = file.Reports.ShouldHaveSingleItem();
        report.PayloadJson.ShouldBe(signed.PayloadJson);
        report.Signature.ShouldBe(signed.Signature);
        report.Udi.ShouldBe(builder.Udi);
        report.SoftwareVersion.ShouldBe(builder.SoftwareVersion);
        report.EntitlementTagAsWritten.ShouldBe("tag ]]> <>&'");
    }

    [Fact]
    public void Many_reports_and_requests_round_trip_in_order()
    {
        var writer = new RumFileWriter();
        var signed = Enumerable.Range(0, 50).Select(i =>
        {
            var b = new RumReportBuilder(new RumUdi("C9300-24T", "FCW" + i), i % 2 == 0 ? RumTestData.Tag : RumTestData.OtherTag, (ulong)(1000 + i));
            b.AddMeasurement(i, T0, T0.AddMinutes(15 * i));
            return b.BuildSigned(RumKey);
        }).ToList();
        foreach (var s in signed) writer.AddReport(s);
        writer.AddTrustRequest(new RumUdi("C9300-24T", "FCW0"), "sw-1", [new RumHaUdi("Member", new RumUdi("C9300-24T", "FCW1"))]);
        writer.AddAuthorizationRequest(new RumUdi("C9300-24T", "FCW0"),
            [new RumEntitlementCount(RumTestData.Tag, 2), new RumEntitlementCount("x", 0) { TagAsWritten = "x" }], RumAuthorizationMode.Replace);

        var file = RumFileReader.Read(writer.ToUtf8());

        writer.Count.ShouldBe(52);
        file.Errors.ShouldBeEmpty();
        file.Reports.Select(r => r.PayloadJson).ShouldBe(signed.Select(s => s.PayloadJson));
        file.Reports.Select(r => r.InUse).ShouldBe(Enumerable.Range(0, 50).Select(i => (long?)i));
        file.Reports.ShouldAllBe(r => RumSignature.Verify(r.PayloadJson, r.Signature!.Value, RumKey));
        var trust = file.TrustRequests.ShouldHaveSingleItem();
        trust.EntryIndex.ShouldBe(50);
        trust.Hostname.ShouldBe("sw-1");
        trust.HaUdis.ShouldBe([new RumHaUdi("Member", new RumUdi("C9300-24T", "FCW1"))]);
        var auth = file.AuthorizationRequests.ShouldHaveSingleItem();
        auth.Mode.ShouldBe(RumAuthorizationMode.Replace);
        auth.Entitlements.ShouldBe([new RumEntitlementCount(RumTestData.Tag, 2), new RumEntitlementCount("x", 0)]);
    }

    [Fact]
    public void A_report_written_with_a_header_and_no_signature_reads_back()
    {
        var payload = RumTestData.Payload("12");

        var file = RumFileReader.Read(new RumFileWriter().AddReport(payload, null, includeHeader: true).ToXml());

        var report = file.Reports.ShouldHaveSingleItem();
        report.Signature.ShouldBeNull();
        report.EnvelopeJson!.ShouldContain("\"header\": {\n    \"type\": \"rum\"\n  }", caseSensitivity: Case.Sensitive);
    }

    [Fact]
    public void The_builder_parses_back_through_FromPayload_with_the_same_rules()
    {
        var signed = SampleLikeBuilder(5).BuildSigned(RumKey);

        var result = RumReport.FromPayload(signed.PayloadJson, signed.Signature);

        result.Report!.ReportId.ShouldBe("5");
        result.Report.InUse.ShouldBe(3);
    }

    [Fact]
    public void Without_ha_members_the_builder_reports_the_device_alone_as_active()
    {
        var report = RumTestData.Parse(new RumReportBuilder(Device, "t", 1).Build());

        report.HaUdis.ShouldBe([new RumHaUdi("Active", Device)]);
        report.InUse.ShouldBeNull();
    }

    [Fact]
    public void The_default_asset_name_is_a_stable_software_id_per_pid()
    {
        var a = new RumReportBuilder(Device, "t", 1).EffectiveAssetName;
        var b = new RumReportBuilder(new RumUdi(Device.Pid, "OTHER"), "t", 2).EffectiveAssetName;

        a.ShouldBe(b);
        a.ShouldStartWith("regid.2018-05.com.cisco.CssmSim,1.0_", caseSensitivity: Case.Sensitive);
    }

    [Fact]
    public void The_builder_refuses_a_negative_count_or_a_measurement_ending_before_it_starts()
    {
        var b = new RumReportBuilder(Device, "t", 1);

        Should.Throw<ArgumentOutOfRangeException>(() => b.AddMeasurement(-1, T0, T0));
        Should.Throw<ArgumentException>(() => b.AddMeasurement(1, T0, T0.AddSeconds(-1)));
    }

    [Fact]
    public void Cdata_splits_every_end_marker()
    {
        RumFileWriter.Cdata("a]]>b]]>").ShouldBe("<![CDATA[a]]]]><![CDATA[>b]]]]><![CDATA[>]]>");
    }
}
