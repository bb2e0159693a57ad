namespace CssmSim.Testing.Tests;

/// <summary>Usage reporting from a device the fixture made, and the ACK assertion.</summary>
public sealed class ReportingTests
{
    private const string NetworkStack = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";

    [Fact]
    public async Task A_trusted_device_reports_usage_and_gets_a_signed_ack_for_every_report()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        var token = await cssm.Tokens.CreateAsync();
        var device = cssm.NewProductInstance("C9800-CL-K9", "REPORT01");
        (await device.EstablishTrustAsync(token.Value)).ShouldBeTrusted();

        var result = await device.ReportUsageAsync([(NetworkStack, 3)]);

        result.ShouldBeAcknowledged();
        cssm.Journal.ShouldContain(Operation.UsageReporting, 1);
        (await cssm.Events.ListAsync(type: "REPORT_RECEIVED")).ShouldHaveSingleItem().Udi.ShouldBe(device.Udi.ToString());
    }

    [Fact]
    public async Task A_report_from_a_device_without_trust_fails_and_the_assertion_shows_the_error()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        var device = cssm.NewProductInstance("C9800-CL-K9", "UNTRUSTED");

        var result = await device.ReportUsageAsync([(NetworkStack, 1)]);

        var failure = Should.Throw<CssmAssertionException>(() => result.ShouldBeAcknowledged());
        failure.Message.ShouldStartWith("expected an ACK, but CSSM answered status FAILED, error TRUST_REQUIRED");
    }
}
