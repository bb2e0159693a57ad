using CssmSim.Testing;
using static CssmSim.Consumer.Tests.Test;

namespace CssmSim.Consumer.Tests;

internal static class Test
{
    public static CancellationToken Ct => TestContext.Current.CancellationToken;
}

/// <summary>
/// What another team's suite does with the package: start a simulator, give a device a token,
/// script a fault, check the journal. Only the package's public API and xunit's Assert are used.
/// </summary>
public sealed class PackageConsumerTests
{
    [Fact]
    public async Task A_device_trusts_with_a_token_and_the_journal_records_it()
    {
        await using var cssm = await CssmSimulator.StartAsync(o => o.RandomSeed = 42, Ct);
        var token = await cssm.Tokens.CreateAsync("DEFAULT", expiresAfterDays: 30, maxUses: 5, ct: Ct);
        var device = cssm.NewProductInstance("C9800-CL-K9", "93BBAH93MGS");

        var result = await device.EstablishTrustAsync(token.Value, ct: Ct);

        result.ShouldBeTrusted(signedBy: cssm);
        cssm.Journal.ShouldContain(Operation.TrustEstablishment, 1);
        Assert.Single(cssm.Journal.Where(Operation.TrustEstablishment));
        await token.ShouldHaveUsesAsync(1, Ct);
        await cssm.ProductInstances.ShouldHaveTrustedAsync(device, "DEFAULT", Ct);
    }

    [Fact]
    public async Task A_trusted_device_reports_usage_and_gets_a_signed_ack()
    {
        await using var cssm = await CssmSimulator.StartAsync(ct: Ct);
        var token = await cssm.Tokens.CreateAsync(ct: Ct);
        var device = cssm.NewProductInstance("C9800-CL-K9", "REPORTER1");
        (await device.EstablishTrustAsync(token.Value, ct: Ct)).ShouldBeTrusted();
        var tag = (await cssm.Licenses.ListAsync(ct: Ct))[0].Tag;

        var result = await device.ReportUsageAsync([(tag, 2)], ct: Ct);

        result.ShouldBeAcknowledged();
        cssm.Journal.ShouldContain(Operation.UsageReporting, 1);
    }

    [Fact]
    public async Task A_scripted_licengine_fault_fails_the_second_trust_request_only()
    {
        await using var cssm = await CssmSimulator.StartAsync(ct: Ct);
        var token = await cssm.Tokens.CreateAsync(maxUses: 5, ct: Ct);
        cssm.Faults.Add(Fault.On(Operation.TrustEstablishment).Nth(2).Error(CssmError.LicEngineFailToConnect));

        var first = await cssm.NewProductInstance("C9800-CL-K9", "CONSUMER1").EstablishTrustAsync(token.Value, ct: Ct);
        var second = await cssm.NewProductInstance("C9800-CL-K9", "CONSUMER2").EstablishTrustAsync(token.Value, ct: Ct);

        first.ShouldBeTrusted();
        second.ShouldFailWith("LS_LICENGINE_FAIL_TO_CONNECT");
        cssm.Journal.ShouldContain(new JournalQuery(Operation.TrustEstablishment, Outcome: "FAILED"), 1);
    }

    [Fact]
    public async Task Code_under_test_reaches_the_simulator_over_plain_http()
    {
        await using var cssm = await CssmSimulator.StartAsync(ct: Ct);
        using var http = new HttpClient { BaseAddress = cssm.BaseAddress };

        using var health = await http.GetAsync("/_sim/health", Ct);

        Assert.True(health.IsSuccessStatusCode);
        Assert.Equal("127.0.0.1", cssm.BaseAddress.Host);
    }

    [Fact]
    public async Task The_packaged_dev_keys_sign_trust_codes_outside_the_source_tree()
    {
        await using var cssm = await CssmSimulator.StartAsync(o => o.Signing = SigningKeys.Embedded.Using(SigningKeyType.Rsa), Ct);
        var token = await cssm.Tokens.CreateAsync(ct: Ct);

        var result = await cssm.NewProductInstance("C9800-CL-K9", "KEYS01").EstablishTrustAsync(token.Value, ct: Ct);

        result.ShouldBeTrusted(signedBy: cssm);
        Assert.Contains("BEGIN CERTIFICATE", cssm.SigningCertificatePem);
    }
}

/// <summary>The CssmSim.Testing.Xunit package's fixture, shared by a class, reset before each test.</summary>
public sealed class FixtureConsumerTests(CssmSimulatorFixture fixture) : IClassFixture<CssmSimulatorFixture>, IAsyncLifetime
{
    public ValueTask InitializeAsync() => new(fixture.ResetAsync(Ct));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Each_test_starts_from_the_seed()
    {
        var fleet = fixture.Simulator.NewFleet(3);
        var token = await fixture.Simulator.Tokens.CreateAsync(maxUses: 3, ct: Ct);

        var result = await fleet.TrustAllAsync(token.Value, concurrency: 1, ct: Ct);

        result.ShouldAllBeTrusted();
        Assert.Single(await fixture.Simulator.Tokens.ListAsync(ct: Ct));
    }

    [Fact]
    public async Task A_simulator_logs_into_the_running_tests_output()
    {
        var output = TestContext.Current.TestOutputHelper!;

        await using (await CssmSimulator.StartAsync(o => o.LogTo(output, Microsoft.Extensions.Logging.LogLevel.Debug), Ct))
        {
        }

        Assert.Contains("[cssmsim dbug] Host: Hosting started", output.Output);
    }

    [Fact]
    public async Task A_failed_assertion_explains_itself()
    {
        var device = fixture.Simulator.NewProductInstance("C9800-CL-K9", "NOTOKEN");

        var result = await device.EstablishTrustAsync("not-a-token", ct: Ct);

        var failure = Assert.Throws<CssmAssertionException>(() => result.ShouldBeTrusted());
        Assert.Contains("TOKEN_NOT_FOUND", failure.Message);
        Assert.Contains("reply:", failure.Message);
    }

    [Fact]
    public async Task The_portal_asked_for_serves_its_pages_and_stylesheet_from_the_package()
    {
        await using var cssm = await CssmSimulator.StartAsync(o => o.Portal = true, Ct);
        using var http = cssm.CreateClient();

        var page = await http.GetStringAsync("/portal/licenses", Ct);
        using var css = await http.GetAsync("/portal/portal.css", Ct);
        await using var without = await CssmSimulator.StartAsync(ct: Ct);
        using var off = await without.CreateClient().GetAsync("/portal", Ct);

        Assert.Contains("Simulated enforced license (demo)", page);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, off.StatusCode);
    }
}
