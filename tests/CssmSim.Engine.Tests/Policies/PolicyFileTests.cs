using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Engine.Policies;
using CssmSim.Engine.Signing;
using CssmSim.Engine.Tests.Signing;

namespace CssmSim.Engine.Tests.Policies;

/// <summary>The signed policy file: envelope, signature, and one artefact per policy version.</summary>
public sealed class PolicyFileTests
{
    [Theory]
    [InlineData(SigningAlgorithm.Ecdsa)]
    [InlineData(SigningAlgorithm.Rsa)]
    public async Task The_file_verifies_with_the_published_signing_certificate_and_carries_the_resolved_json(SigningAlgorithm algorithm)
    {
        // Arrange
        await using var h = await PolicyHarness.StartAsync(algorithm: algorithm);
        await h.SetAsync("DEFAULT", PolicySamples.Sle);

        // Act
        var file = await h.FileAsync();
        var policy = await h.ResolveAsync();

        // Assert
        var parsed = SignedArtefact.Read(file, "smartLicensePolicy");
        parsed.VerifyWith(h.Signer.SigningCertificatePem).ShouldBeTrue();
        parsed.Algorithm.ShouldBe(h.Signer.AlgorithmName);
        parsed.KeyId.ShouldBe(h.Signer.KeyId);
        parsed.Json.ShouldBe(policy.JsonText);
        parsed.Data.ShouldBe(policy.Utf8Json.ToArray());
    }

    [Fact]
    public async Task An_independent_xml_reader_sees_the_same_artefact_as_the_engine_reader()
    {
        await using var h = await PolicyHarness.StartAsync();
        var file = await h.FileAsync();

        var independent = PolicyArtefact.Read(file);
        var engine = SignedArtefact.Read(file, "smartLicensePolicy");

        independent.Data.ShouldBe(engine.Data);
        independent.Signature.ShouldBe(engine.Signature);
        independent.Algorithm.ShouldBe(engine.Algorithm);
        independent.KeyId.ShouldBe(engine.KeyId);
        independent.VerifyWith(h.Signer.SigningCertificatePem).ShouldBeTrue();
    }

    [Fact]
    public async Task The_file_has_the_bare_smartLicensePolicy_root_that_cisco_slp_sample_imports()
    {
        await using var h = await PolicyHarness.StartAsync();
        var (sa, va) = await h.AccountsAsync();

        var file = await h.Policies.GetPolicyFileAsync(sa, va, PolicyHarness.Ct);
        var element = await h.Policies.GetPolicyElementAsync(sa, va, PolicyHarness.Ct);

        file.ShouldBe(element);
        element.ShouldStartWith("<smartLicensePolicy><data>");
        element.ShouldEndWith("</signature></smartLicensePolicy>");
        SignedArtefact.Read(element, "smartLicensePolicy").VerifyWith(h.Signer.SigningCertificatePem).ShouldBeTrue();
    }

    [Fact]
    public async Task The_same_policy_version_gives_byte_identical_files_even_after_the_clock_moves()
    {
        // Arrange: ECDSA signatures are randomised, so equal bytes prove the artefact was reused.
        await using var h = await PolicyHarness.StartAsync();
        var first = await h.FileAsync();

        // Act
        h.Clock.Advance(TimeSpan.FromDays(40));
        var second = await h.FileAsync();
        var resolved = await h.ResolveAsync();
        h.Clock.Advance(TimeSpan.FromMinutes(5));
        var third = await h.FileAsync();

        // Assert
        second.ShouldBe(first);
        third.ShouldBe(first);
        resolved.IssuedAt.ShouldBe(PolicyHarness.ExampleIssuedAt);
        JsonNode.Parse(SignedArtefact.Read(third, "smartLicensePolicy").Json)!["issued_at"]!.GetValue<long>().ShouldBe(1700000000000);
    }

    [Fact]
    public async Task Concurrent_requests_for_one_version_all_get_the_same_file()
    {
        await using var h = await PolicyHarness.StartAsync();
        var (sa, va) = await h.AccountsAsync();

        var files = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(() => h.Policies.GetPolicyFileAsync(sa, va, PolicyHarness.Ct))));

        files.Distinct().Count().ShouldBe(1);
    }

    [Fact]
    public async Task A_change_of_custom_policy_gives_a_new_file_with_a_new_issued_at()
    {
        // Arrange
        await using var h = await PolicyHarness.StartAsync();
        var before = await h.FileAsync();
        var versionBefore = (await h.ResolveAsync()).Version;
        h.Clock.Advance(TimeSpan.FromHours(2));

        // Act
        await h.SetAsync(null, """{"enforced":{"reporting_frequency_days":30}}""");
        var after = await h.FileAsync();
        var resolved = await h.ResolveAsync();

        // Assert
        after.ShouldNotBe(before);
        resolved.Version.ShouldNotBe(versionBefore);
        var json = JsonNode.Parse(SignedArtefact.Read(after, "smartLicensePolicy").Json)!;
        json["issued_at"]!.GetValue<long>().ShouldBe(PolicyHarness.ExampleIssuedAt.AddHours(2).ToUnixTimeMilliseconds());
        json["enforced"]!["reporting_frequency_days"]!.GetValue<int>().ShouldBe(30);
        resolved.IssuedAt.ShouldBe(PolicyHarness.ExampleIssuedAt.AddHours(2));
        SignedArtefact.Read(after, "smartLicensePolicy").VerifyWith(h.Signer.SigningCertificatePem).ShouldBeTrue();
    }

    [Fact]
    public async Task A_policy_changed_and_changed_back_is_issued_again_rather_than_an_older_artefact_returning()
    {
        await using var h = await PolicyHarness.StartAsync();
        var original = await h.FileAsync();
        h.Clock.Advance(TimeSpan.FromHours(1));
        await h.SetAsync("DEFAULT", """{"policy_name":"Temporary"}""");
        _ = await h.FileAsync();
        h.Clock.Advance(TimeSpan.FromHours(1));

        await h.Policies.ClearCustomAsync("example.com", "DEFAULT", PolicyHarness.Ct);
        var again = await h.ResolveAsync();

        again.IssuedAt.ShouldBe(PolicyHarness.ExampleIssuedAt.AddHours(2));
        (await h.FileAsync()).ShouldNotBe(original);
    }

    [Fact]
    public async Task Each_VA_has_its_own_artefact_and_an_SA_change_reaches_the_VAs_that_inherit()
    {
        await using var h = await PolicyHarness.StartAsync();
        await h.SetAsync("DEFAULT", """{"policy_name":"Own"}""");
        var defaultFile = await h.FileAsync(va: "DEFAULT");
        var labFile = await h.FileAsync(va: "Lab");

        await h.SetAsync(null, """{"policy_name":"Account"}""");

        (await h.FileAsync(va: "DEFAULT")).ShouldBe(defaultFile);
        var labAfter = await h.FileAsync(va: "Lab");
        labAfter.ShouldNotBe(labFile);
        JsonNode.Parse(SignedArtefact.Read(labAfter, "smartLicensePolicy").Json)!["policy_name"]!.GetValue<string>().ShouldBe("Account");
    }

    [Fact]
    public async Task Forget_makes_the_next_request_issue_the_policy_anew()
    {
        await using var h = await PolicyHarness.StartAsync();
        var first = await h.FileAsync();
        h.Clock.Advance(TimeSpan.FromSeconds(1));

        h.Policies.Forget();

        var second = await h.FileAsync();
        second.ShouldNotBe(first);
        (await h.ResolveAsync()).IssuedAt.ShouldBe(PolicyHarness.ExampleIssuedAt.AddSeconds(1));
    }

    [Fact]
    public async Task Non_ascii_and_markup_in_names_survive_as_utf8_json_inside_base64()
    {
        await using var h = await PolicyHarness.StartAsync();
        await h.MergeAsync("""
            accounts:
            - domain: example.com
              virtualAccounts: ["Lab & <Test> ü"]
            """);
        await h.SetAsync("Lab & <Test> ü", """{"policy_name":"Politique \"été\" <b>"}""");

        var file = await h.FileAsync(va: "Lab & <Test> ü");

        var parsed = SignedArtefact.Read(file, "smartLicensePolicy");
        parsed.VerifyWith(h.Signer.SigningCertificatePem).ShouldBeTrue();
        var json = JsonNode.Parse(parsed.Json)!;
        json["policy_name"]!.GetValue<string>().ShouldBe("Politique \"été\" <b>");
        json["virtual_account"]!["name"]!.GetValue<string>().ShouldBe("Lab & <Test> ü");
        parsed.Json.ShouldContain("été");
        parsed.Data.Take(3).ShouldNotBe(new byte[] { 0xEF, 0xBB, 0xBF });
    }

    [Theory]
    [InlineData(SigningAlgorithm.Ecdsa)]
    [InlineData(SigningAlgorithm.Rsa)]
    public async Task Openssl_verifies_the_policy_file_signature_with_the_artefacts_md_recipe(SigningAlgorithm algorithm)
    {
        // Arrange
        OpenSsl.RequireInstalled();
        await using var h = await PolicyHarness.StartAsync(algorithm: algorithm);
        await h.SetAsync("DEFAULT", PolicySamples.Sle);
        var parsed = SignedArtefact.Read(await h.FileAsync(), "smartLicensePolicy");
        using var dir = new TempDirectory();
        await File.WriteAllBytesAsync(dir.File("data.bin"), parsed.Data, PolicyHarness.Ct);
        await File.WriteAllBytesAsync(dir.File("sig.bin"), parsed.Signature, PolicyHarness.Ct);
        await File.WriteAllTextAsync(dir.File("signing.crt"), h.Signer.SigningCertificatePem, Encoding.ASCII, PolicyHarness.Ct);

        // Act
        var pubkey = OpenSsl.Run(dir.Path, "x509", "-in", "signing.crt", "-pubkey", "-noout", "-out", "signing.pub");
        var verify = OpenSsl.Run(dir.Path, "dgst", "-sha256", "-verify", "signing.pub", "-signature", "sig.bin", "data.bin");

        // Assert
        pubkey.ExitCode.ShouldBe(0, pubkey.Output);
        verify.ExitCode.ShouldBe(0, verify.Output);
        verify.StandardOutput.ShouldContain("Verified OK");
    }
}
