using System.Text;
using CssmSim.Engine.Authorizations;
using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Engine.Usage;
using CssmSim.Server.Tests.Support;
using CssmSim.Testing.Devices;
using static CssmSim.Server.Tests.UsageFiles.UsageFileKit;

namespace CssmSim.Server.Tests.UsageFiles;

/// <summary>
/// What rides in usage files besides reports: SLAC requests (answered in the ACK), return files
/// (releasing what a code names), and strict RUM signatures (checked report by report).
/// </summary>
public sealed class UsageFileAuthorizationTests
{
    private const string Enforced = "regid.2020-01.com.cisco.CSSMSIM_ENFORCED_DEMO,1.0_00000000-0000-4000-8000-000000000001";

    private static byte[] SlacRequestFile(string serial, string tag, long count) =>
        new RumFileWriter().AddAuthorizationRequest(new RumUdi("C9800-CL-K9", serial), [new RumEntitlementCount(tag, count)], RumAuthorizationMode.Add).ToUtf8();

    [Fact]
    public async Task A_slac_request_in_a_usage_file_is_answered_in_the_ack_and_a_return_file_releases_it()
    {
        await using var sim = await TestSimulator.StartAsync();

        var asked = (await sim.UploadRawAsync(SlacRequestFile("SLAC-FILE-1", Enforced, 2), "slac_request.txt", "example.com", "DEFAULT").AcceptedAsync())["id"]!
            .GetValue<string>();

        (await sim.StatusAsync(asked))["status"]!.GetValue<string>().ShouldBe("No Errors");
        var ack = Encoding.UTF8.GetString((await sim.DownloadAckAsync(asked)).Content);
        ack.ShouldContain("<smartLicenseAuthorization>");
        RumAcks(ack).ShouldHaveSingleItem()["sudi"]!["udi_serial_number"]!.GetValue<string>().ShouldBe("SLAC-FILE-1");

        // The device's return code names that authorization (its id is derived from the signed code element).
        var start = ack.IndexOf("<authorizationCode>", StringComparison.Ordinal);
        var end = ack.IndexOf("</authorizationCode>", StringComparison.Ordinal) + "</authorizationCode>".Length;
        var id = AuthorizationId.Of(Encoding.UTF8.GetBytes(ack[start..end]));
        var returnCode = ReturnCode.Generate(id, new UdiRef("C9800-CL-K9", "SLAC-FILE-1"));

        var returned = (await sim.UploadRawAsync(Encoding.ASCII.GetBytes(returnCode + "\n"), "slac_return.txt").AcceptedAsync())["id"]!.GetValue<string>();
        var again = (await sim.UploadRawAsync(Encoding.ASCII.GetBytes(returnCode + "\n"), "slac_return.txt").AcceptedAsync())["id"]!.GetValue<string>();

        (await sim.StatusAsync(returned))["status"]!.GetValue<string>().ShouldBe("No Errors");
        var second = await sim.StatusAsync(again);
        second["status"]!.GetValue<string>().ShouldBe("Errors");
        second["errors"]![0]!["message"]!.GetValue<string>().ShouldStartWith("UNKNOWN_RETURN_CODE");
        var events = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/events?type=SLAC_RETURNED", Ct));
        events["events"]!.AsArray().ShouldHaveSingleItem();
    }

    [Fact]
    public async Task A_refused_slac_request_is_an_error_of_its_file_while_the_reports_beside_it_are_acknowledged()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = sim.Device("SLAC-REFUSED");
        var saved = device.SaveUsage([(NwStack, 1)], includeTrustRequest: false);
        var text = Encoding.UTF8.GetString(saved.Content).Replace("</smartLicense>", "", StringComparison.Ordinal)
            + Encoding.UTF8.GetString(SlacRequestFile("SLAC-REFUSED", Enforced, 500)).Replace("<smartLicense>", "", StringComparison.Ordinal);

        var id = (await sim.UploadRawAsync(Encoding.UTF8.GetBytes(text), "mixed.txt", "example.com", "DEFAULT").AcceptedAsync())["id"]!.GetValue<string>();

        var status = await sim.StatusAsync(id);
        status["status"]!.GetValue<string>().ShouldBe("Errors");
        status["reports"]!.GetValue<int>().ShouldBe(1);
        var error = status["errors"]!.AsArray().ShouldHaveSingleItem()!;
        error["entry"]!.GetValue<string>().ShouldBe("mixed.txt");
        error["message"]!.GetValue<string>().ShouldStartWith("SLAC request refused: ");
        var ack = Encoding.UTF8.GetString((await sim.DownloadAckAsync(id)).Content);
        ack.ShouldNotContain("<smartLicenseAuthorization>");
        RumAcks(ack).ShouldHaveSingleItem()["acknowledgements"]!.AsArray().ShouldHaveSingleItem();
    }

    [Fact]
    public async Task With_strict_signatures_a_report_that_does_not_verify_is_an_error_of_its_own()
    {
        await using var sim = await TestSimulator.StartAsync(o => o.RumStrictSignatures = true);
        var trusted = sim.Device("STRICT-OK");
        (await trusted.EstablishTrustAsync((await sim.CreateTokenAsync())["token"]!.GetValue<string>())).Trusted.ShouldBeTrue();
        var untrusted = sim.Device("STRICT-BAD");
        var export = new[] { trusted, untrusted }.SaveCsluUsage([(NwStack, 1)], new CsluAccount("example.com", "DEFAULT"), includeTrustRequests: false);

        var id = (await sim.UploadRawAsync(export.Content, export.FileName).AcceptedAsync())["id"]!.GetValue<string>();

        var status = await sim.StatusAsync(id);
        status["status"]!.GetValue<string>().ShouldBe("Errors");
        status["reports"]!.GetValue<int>().ShouldBe(1);
        var error = status["errors"]!.AsArray().ShouldHaveSingleItem()!;
        error["message"]!.GetValue<string>().ShouldStartWith("INVALID_SIGNATURE");
        error["reportId"]!.GetValue<string>().ShouldBe(untrusted.SentReportIds.Single());
        error["entry"]!.GetValue<string>().ShouldEndWith(export.DeviceFiles[untrusted.Udi]);
        var stored = await sim.TableAsync("usage_reports");
        stored.ShouldHaveSingleItem()!["udi"]!.GetValue<string>().ShouldBe(trusted.Udi.ToString());
    }
}
