using CssmSim.Testing.Devices;

namespace CssmSim.Testing.Tests;

/// <summary>The fixture's everyday path: token, device, trust, and what the simulator then holds.</summary>
public sealed class TrustTests
{
    [Fact]
    public async Task A_device_with_a_fresh_token_gets_a_trust_code_signed_by_its_simulator()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        var token = await cssm.Tokens.CreateAsync("DEFAULT", expiresAfterDays: 30, maxUses: 5);
        var device = cssm.NewProductInstance("C9800-CL-K9", "93BBAH93MGS");

        var result = await device.EstablishTrustAsync(token.Value);

        result.ShouldBeTrusted(signedBy: cssm);
        device.TrustCode.ShouldNotBeNull().ShouldBeSignedBy(cssm);
        cssm.Journal.Where(Operation.TrustEstablishment).Count().ShouldBe(1);
        cssm.Journal.ShouldContain(JournalQuery.From(device, Operation.TrustEstablishment), 1);
        await token.ShouldHaveUsesAsync(1);
        var listed = await cssm.ProductInstances.ShouldHaveTrustedAsync(device, "DEFAULT");
        listed.TrustTokenId.ShouldBe(token.Id);
        listed.TrustCodeId.ShouldBe(device.TrustCode.TrustCodeId);
    }

    [Fact]
    public async Task The_example_of_control_md_runs_as_written()
    {
        await using var cssm = await CssmSimulator.StartAsync(o =>
        {
            o.Seed = Seed.Default;
            o.Store = StoreKind.Memory;
            o.RandomSeed = 42;
            o.Clock = VirtualClock.At(DateTimeOffset.Parse("2026-01-01Z"));
            o.Https = false;
        });
        var token = await cssm.Tokens.CreateAsync("DEFAULT", expiresAfterDays: 30, maxUses: 5);
        cssm.Faults.Add(Fault.On(Operation.TrustEstablishment).Nth(2).Error(CssmError.LicEngineFailToConnect));
        var device = cssm.NewProductInstance("C9800-CL-K9", "93BBAH93MGS");

        var result = await device.EstablishTrustAsync(token.Value);

        result.ShouldBeTrusted();
        cssm.Journal.Where(Operation.TrustEstablishment).Count().ShouldBe(1);
    }

    [Fact]
    public async Task A_token_created_in_process_lists_with_its_limits_and_revokes()
    {
        await using var cssm = await CssmSimulator.StartAsync();

        var token = await cssm.Tokens.CreateAsync("Lab", expiresAfterDays: 10, maxUses: 3, exportControlled: false, description: "lab roll-out");
        var listed = await cssm.Tokens.ListAsync("Lab");
        var revoked = await cssm.Tokens.RevokeAsync(token);
        var after = await token.RefreshAsync();

        listed.ShouldHaveSingleItem().Id.ShouldBe(token.Id);
        token.SmartAccount.ShouldBe("example.com");
        token.VirtualAccount.ShouldBe("Lab");
        token.MaxUses.ShouldBe(3);
        token.ExportControlled.ShouldBeFalse();
        token.ExpiresAt.ShouldBe(token.CreatedAt.AddDays(10));
        revoked.ShouldBeTrue();
        after.Status.ShouldBe(TokenState.Revoked);
        (await cssm.Tokens.FindAsync(token.Value)).ShouldNotBeNull().Id.ShouldBe(token.Id);
    }

    [Fact]
    public async Task Advancing_the_clock_past_a_tokens_expiry_makes_trust_fail_with_token_expired()
    {
        await using var cssm = await CssmSimulator.StartAsync(o => o.Clock = VirtualClock.At(DateTimeOffset.Parse("2026-01-01T00:00:00Z")));
        var token = await cssm.Tokens.CreateAsync(expiresAfterDays: 1);

        cssm.Clock.Advance(TimeSpan.FromDays(2));
        var result = await cssm.NewProductInstance("C9800-CL-K9", "EXPIRED01").EstablishTrustAsync(token.Value);

        result.ShouldFailWith(CssmError.TokenExpired);
        (await token.RefreshAsync()).Status.ShouldBe(TokenState.Expired);
        cssm.Clock.Now.ShouldBeGreaterThan(DateTimeOffset.Parse("2026-01-03T00:00:00Z"));
        cssm.Clock.Kind.ShouldBe(ClockKind.Virtual);
    }

    [Fact]
    public async Task A_frozen_clock_stands_still_until_moved()
    {
        var start = DateTimeOffset.Parse("2026-06-01T12:00:00Z");
        await using var cssm = await CssmSimulator.StartAsync(o => o.Clock = VirtualClock.Frozen(start));

        var before = cssm.Clock.Now;
        cssm.Clock.Set(start.AddHours(5));

        before.ShouldBe(start);
        cssm.Clock.Now.ShouldBe(start.AddHours(5));
        cssm.Clock.Kind.ShouldBe(ClockKind.Frozen);
    }

    [Fact]
    public async Task An_ha_pair_trusts_both_members_with_one_use_of_the_token()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        var token = await cssm.Tokens.CreateAsync(maxUses: 2);
        var pair = cssm.NewHaPair("C9800-CL-K9", "HAACTIVE1", "HASTANDBY1");

        var result = await pair.EstablishTrustAsync(token.Value);

        result.ShouldBeTrusted();
        result.TrustCodes.Select(c => c.Udi.Serial).ShouldBe(["HAACTIVE1", "HASTANDBY1"], ignoreOrder: true);
        pair.Standby.TrustCode.ShouldNotBeNull();
        await token.ShouldHaveUsesAsync(1);
        (await cssm.ProductInstances.FindAsync(pair.Standby)).ShouldNotBeNull().HaRole.ShouldBe("Standby");
    }

    [Fact]
    public async Task Trust_from_a_used_up_token_fails_and_the_assertion_says_what_came_back()
    {
        await using var cssm = await CssmSimulator.StartAsync();
        var token = await cssm.Tokens.CreateAsync(maxUses: 1);
        (await cssm.NewProductInstance("C9800-CL-K9", "FIRST").EstablishTrustAsync(token.Value)).ShouldBeTrusted();

        var second = await cssm.NewProductInstance("C9800-CL-K9", "SECOND").EstablishTrustAsync(token.Value);

        second.ShouldFailWith("TOKEN_USES_EXHAUSTED");
        var failure = Should.Throw<CssmAssertionException>(() => second.ShouldBeTrusted());
        failure.Message.ShouldContain("expected trust, but CSSM answered status FAILED, error TOKEN_USES_EXHAUSTED");
        failure.Message.ShouldContain("reply:");
        failure.Message.ShouldContain("\"code\": \"TOKEN_USES_EXHAUSTED\"");
    }

    [Fact]
    public async Task Rsa_signing_gives_trust_codes_that_only_the_rsa_certificate_verifies()
    {
        await using var rsa = await CssmSimulator.StartAsync(o => o.Signing = SigningKeys.Embedded.Using(SigningKeyType.Rsa));
        await using var ecdsa = await CssmSimulator.StartAsync();
        var token = await rsa.Tokens.CreateAsync();

        var result = await rsa.NewProductInstance("C9800-CL-K9", "RSA01").EstablishTrustAsync(token.Value);

        result.ShouldBeTrusted(signedBy: rsa);
        var wrongSigner = Should.Throw<CssmAssertionException>(() => result.TrustCodes[0].ShouldBeSignedBy(ecdsa));
        wrongSigner.Message.ShouldContain("SHA256withRSA");
        wrongSigner.Message.ShouldContain("does not verify");
    }

    [Fact]
    public async Task Generated_keys_belong_to_one_simulator_and_sign_its_trust_codes()
    {
        await using var fresh = await CssmSimulator.StartAsync(o => o.Signing = SigningKeys.Generate());
        await using var embedded = await CssmSimulator.StartAsync();
        var token = await fresh.Tokens.CreateAsync();

        var result = await fresh.NewProductInstance("C9800-CL-K9", "GEN01").EstablishTrustAsync(token.Value);

        result.ShouldBeTrusted(signedBy: fresh);
        fresh.SigningCertificatePem.ShouldNotBe(embedded.SigningCertificatePem);
        fresh.CaCertificatePem.ShouldNotBe(embedded.CaCertificatePem);
        Should.Throw<CssmAssertionException>(() => result.TrustCodes[0].ShouldBeSignedBy(embedded));
    }

    [Fact]
    public async Task With_https_on_a_client_trusting_only_the_simulators_ca_reaches_it()
    {
        await using var cssm = await CssmSimulator.StartAsync(o => o.Https = true);
        using var https = cssm.CreateHttpsClient();

        using var response = await https.GetAsync("/_sim/health");

        cssm.HttpsAddress.ShouldNotBeNull().Scheme.ShouldBe("https");
        cssm.HttpsAddress.Port.ShouldNotBe(cssm.BaseAddress.Port);
        response.IsSuccessStatusCode.ShouldBeTrue();
    }

    [Fact]
    public async Task Without_https_asking_for_an_https_client_says_how_to_turn_it_on()
    {
        await using var cssm = await CssmSimulator.StartAsync();

        Should.Throw<InvalidOperationException>(() => cssm.CreateHttpsClient()).Message.ShouldContain("options.Https = true");
        cssm.HttpsAddress.ShouldBeNull();
    }
}
