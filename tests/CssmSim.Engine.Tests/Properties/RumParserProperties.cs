using System.Text;
using CssmSim.Engine.Usage;
using FsCheck;
using FsCheck.Fluent;
using static CssmSim.Engine.Tests.Properties.Generators;

namespace CssmSim.Engine.Tests.Properties;

/// <summary>
/// The RUM report parser: what a simulated device builds parses back to the same facts, and no
/// input, however broken, makes the reader throw (its contract is errors in the result, never exceptions).
/// </summary>
public sealed class RumParserProperties
{
    private static readonly DateTimeOffset Epoch2020 = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly string[] Fragments =
    [
        "<smartLicense>", "</smartLicense>", "<RUMReport>", "</RUMReport>", "<![CDATA[", "]]>", "<smartLicenseTrustRequest>",
        "{\"payload\":", "\"signature\":", "\"sudi\":{\"udi_pid\":\"A\",\"udi_serial_number\":\"B\"}", "\"report_id\":",
        "\"measurements\":[", "{", "}", "[", "]", "\"", "18446744073709551616", "-1", "1e999", "null", "&amp;", "&x;",
        "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>", "&a;", "<?xml version=\"1.0\"?>", "\\u0000", "\\uD800",
    ];

    public sealed record ReportCase(string Pid, string Serial, string Tag, ulong ReportId, long[] Counts, int StartOffsetSeconds);

    private static Gen<ReportCase> Reports =>
        from pid in Pid
        from serial in Serial
        from tagName in Word("ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789", 1, 20)
        from id in Gen.Choose(0, int.MaxValue).SelectMany(hi => Gen.Choose(0, int.MaxValue).Select(lo => ((ulong)hi << 33) ^ (ulong)lo))
        from counts in Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, int.MaxValue).Select(c => (long)c), n))
        from start in Gen.Choose(0, 100_000_000)
        select new ReportCase(pid, serial, $"regid.2019-03.com.cisco.{tagName},1.0_509c41ab-05a8-431f-95fe-ec28086e8844", id, counts, start);

    private static string Build(ReportCase c)
    {
        var builder = new RumReportBuilder(new RumUdi(c.Pid, c.Serial), c.Tag, c.ReportId);
        var start = Epoch2020.AddSeconds(c.StartOffsetSeconds);
        for (var i = 0; i < c.Counts.Length; i++)
            builder.AddMeasurement(c.Counts[i], start.AddDays(i), start.AddDays(i + 1).AddSeconds(-1));
        return builder.Build();
    }

    [Fact]
    public void A_built_payload_parses_back_to_its_udi_report_id_tag_and_counts()
    {
        Prop.ForAll(Arb.From(Reports), c =>
        {
            var result = RumReport.FromPayload(Build(c));

            result.Error.ShouldBeNull();
            var r = result.Report!;
            r.Udi.ShouldBe(new RumUdi(c.Pid, c.Serial));
            r.ReportIdKey.ShouldBe(c.ReportId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            r.EntitlementTagAsWritten.ShouldBe(c.Tag);
            r.Measurements.Select(m => m.Value).ShouldBe(c.Counts);
            r.InUse.ShouldBe(c.Counts[^1], "the latest measurement is the last one");
        }).Check(Bounded());
    }

    [Fact]
    public void A_file_of_built_reports_reads_back_every_report_with_its_payload_byte_for_byte()
    {
        var files = Gen.Choose(1, 5).SelectMany(n => Gen.ArrayOf(Reports, n));
        Prop.ForAll(Arb.From(files), cases =>
        {
            var writer = new RumFileWriter();
            var payloads = cases.Select(Build).ToArray();
            foreach (var p in payloads) writer.AddReport(p, null);

            var file = RumFileReader.Read(writer.ToUtf8());

            file.Errors.ShouldBeEmpty();
            file.EntryCount.ShouldBe(cases.Length);
            file.Reports.Select(r => r.PayloadJson).ShouldBe(payloads);
        }).Check(Bounded(150));
    }

    [Fact]
    public void Arbitrary_bytes_never_make_the_file_reader_throw()
    {
        var inputs = Gen.OneOf(Bytes(600), HostileText(Fragments).Select(Encoding.UTF8.GetBytes));
        Prop.ForAll(Arb.From(inputs), bytes =>
        {
            var file = RumFileReader.Read(bytes);

            file.ShouldNotBeNull();
            (file.Reports.Count + file.TrustRequests.Count + file.AuthorizationRequests.Count).ShouldBeLessThanOrEqualTo(file.EntryCount);
            file.Errors.ShouldAllBe(e => e.Message.Length > 0);
        }).Check(Bounded(500));
    }

    [Fact]
    public void Arbitrary_payload_strings_parse_to_exactly_a_report_or_an_error()
    {
        Prop.ForAll(Arb.From(HostileText(Fragments)), text =>
        {
            var result = RumReport.FromPayload(text);

            (result.Report is null).ShouldNotBe(result.Error is null);
            if (result.Error is not null) result.Error.Message.ShouldNotBeNullOrWhiteSpace();
        }).Check(Bounded(500));
    }

    [Fact]
    public void A_built_payload_with_any_one_character_changed_never_makes_the_parser_throw()
    {
        var mutants =
            from c in Reports
            from at in Gen.Choose(0, 10_000)
            from ch in Gen.Choose(0, 0xFFFF)
            select (c, at, (char)ch);
        Prop.ForAll(Arb.From(mutants), m =>
        {
            var payload = Build(m.c);
            var chars = payload.ToCharArray();
            chars[m.at % chars.Length] = m.Item3;

            var result = RumReport.FromPayload(new string(chars));

            (result.Report is null).ShouldNotBe(result.Error is null);
        }).Check(Bounded(400));
    }

    [Fact]
    public void Udi_text_round_trips_and_arbitrary_text_never_throws()
    {
        var udis = from pid in Pid.Where(p => !p.Contains(',')) from sn in Serial select new RumUdi(pid, sn);
        Prop.ForAll(Arb.From(udis), udi =>
        {
            RumUdi.TryParse(udi.Text, out var parsed).ShouldBeTrue(udi.Text);
            parsed.ShouldBe(udi);
        }).Check(Bounded());

        Prop.ForAll(Arb.From(HostileText("PID:", ",SN:", "SN:", ",", " ")), text =>
        {
            if (RumUdi.TryParse(text, out var udi))
            {
                udi.Pid.ShouldNotBeNullOrWhiteSpace();
                udi.SerialNumber.ShouldNotBeNullOrWhiteSpace();
            }
        }).Check(Bounded(500));
    }
}
