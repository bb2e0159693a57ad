namespace CssmSim.Testing.Tests;

/// <summary>Reading and waiting on the journal in-process.</summary>
public sealed class JournalTests
{
    [Fact]
    public async Task WaitForAsync_returns_once_a_request_in_flight_is_journaled()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        var token = await cssm.Tokens.CreateAsync();
        var device = cssm.NewProductInstance("C9800-CL-K9", "WAIT01");

        var trust = device.EstablishTrustAsync(token.Value);
        var entries = await cssm.Journal.WaitForAsync(Operation.TrustEstablishment, 1, TimeSpan.FromSeconds(30));
        (await trust).ShouldBeTrusted();

        var entry = entries.ShouldHaveSingleItem();
        entry.Udi.ShouldBe(device.Udi.ToString());
        entry.TokenId.ShouldBe(token.Id);
        entry.Outcome.ShouldBe("COMPLETE");
        entry.SmartAccount.ShouldBe("example.com");
        entry.RequestBody.ShouldNotBeNull().ShouldContain("TRUST_ESTABLISHMENT");
    }

    [Fact]
    public async Task A_wait_that_times_out_says_what_the_journal_holds()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        (await cssm.NewProductInstance("C9800-CL-K9", "WAIT02").EstablishTrustAsync("not-a-token")).ShouldFailWith(CssmError.TokenNotFound);

        var timedOut = await Should.ThrowAsync<TimeoutException>(() => cssm.Journal.WaitForAsync(Operation.UsageReporting, 1, TimeSpan.FromMilliseconds(100)));

        timedOut.Message.ShouldContain("waited 0.1 s for 1 journal entry of smart-transport USAGE_REPORTING, found 0");
        timedOut.Message.ShouldContain("TRUST_ESTABLISHMENT POST /licservice/license PID:C9800-CL-K9,SN:WAIT02 -> 200 FAILED TOKEN_NOT_FOUND");
    }

    [Fact]
    public async Task A_journal_assertion_that_fails_lists_the_entries_it_found()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        var token = await cssm.Tokens.CreateAsync();
        (await cssm.NewProductInstance("C9800-CL-K9", "J1").EstablishTrustAsync(token.Value)).ShouldBeTrusted();
        (await cssm.NewProductInstance("C9800-CL-K9", "J2").EstablishTrustAsync(token.Value)).ShouldBeTrusted();

        var failure = Should.Throw<CssmAssertionException>(() => cssm.Journal.ShouldContain(Operation.TrustEstablishment, 1));

        failure.Message.ShouldStartWith("expected 1 journal entry of smart-transport TRUST_ESTABLISHMENT, but found 2\nmatching (2):");
        failure.Message.ShouldContain("SN:J1 -> 200 COMPLETE");
        failure.Message.ShouldContain("SN:J2 -> 200 COMPLETE");
        Should.Throw<CssmAssertionException>(() => cssm.Journal.ShouldNotContain(Operation.TrustEstablishment));
    }

    [Fact]
    public async Task Control_api_calls_are_not_journaled_and_clear_empties_the_journal()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        using var http = cssm.CreateClient();
        (await http.GetAsync("/_sim/health")).EnsureSuccessStatusCode();
        (await cssm.NewProductInstance("C9800-CL-K9", "J3").EstablishTrustAsync("nope")).Trusted.ShouldBeFalse();

        var before = cssm.Journal.Entries;
        cssm.Journal.Clear();

        before.ShouldHaveSingleItem().Surface.ShouldBe(Surfaces.SmartTransport);
        cssm.Journal.Entries.ShouldBeEmpty();
        cssm.Journal.ShouldNotContain(Operation.TrustEstablishment);
    }
}
