using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.SmartTransport;

public sealed class TrustEstablishmentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_device_with_a_valid_token_gets_a_signed_trust_code_and_the_va_policy()
    {
        await using var sim = await TestSimulator.StartAsync();
        var token = await sim.CreateTokenAsync();
        var device = sim.Device("93BBAH93MGS");

        var result = await device.EstablishTrustAsync(token["token"]!.GetValue<string>());

        result.Status.ShouldBe("COMPLETE", result.Reply.ToJsonString());
        var code = result.TrustCodes.ShouldHaveSingleItem();
        code.SignatureValid.ShouldBeTrue();
        code.Udi.ShouldBe(device.Udi);
        code.SmartAccountDomain.ShouldBe("example.com");
        code.VirtualAccountName.ShouldBe("DEFAULT");
        code.TokenId.ShouldBe(token["tokenId"]!.GetValue<string>());
        code.RumKey.Length.ShouldBe(32);
        device.RumKey.ShouldBe(code.RumKey);
        result.PolicyFile!.ShouldContain("<smartLicensePolicy>");
        result.Reply["data"]!["smart_account"]!.ToJsonString().ShouldBe("""{"id":"123456","domain":"example.com","name":"Example Co"}""");
        result.Reply["data"]!["virtual_account"]!.ToJsonString().ShouldBe("""{"id":"234567","name":"DEFAULT"}""");
    }

    [Fact]
    public async Task A_second_request_for_a_trusted_udi_fails_unless_forced_and_force_supersedes_the_old_code()
    {
        await using var sim = await TestSimulator.StartAsync();
        var token = (await sim.CreateTokenAsync())["token"]!.GetValue<string>();
        var device = sim.Device("SN-FORCE");
        var first = await device.EstablishTrustAsync(token);

        var again = await device.EstablishTrustAsync(token);
        var forced = await device.EstablishTrustAsync(token, force: true);
        var events = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/events?type=TRUST_SUPERSEDED", Ct));

        again.ErrorCode.ShouldBe("UDI_ALREADY_REGISTERED");
        again.ErrorMessage!.ShouldContain("PID:C9800-CL-K9,SN:SN-FORCE");
        forced.Trusted.ShouldBeTrue();
        forced.TrustCodes[0].TrustCodeId.ShouldNotBe(first.TrustCodes[0].TrustCodeId);
        var superseded = events["events"]!.AsArray().ShouldHaveSingleItem()!;
        superseded["details"]!["trust_code_id"]!.GetValue<string>().ShouldBe(first.TrustCodes[0].TrustCodeId);
    }

    [Fact]
    public async Task An_already_registered_failure_consumes_no_use()
    {
        await using var sim = await TestSimulator.StartAsync();
        var token = await sim.CreateTokenAsync(maxUses: 5);
        var device = sim.Device("SN-ONCE");
        await device.EstablishTrustAsync(token["token"]!.GetValue<string>());

        await device.EstablishTrustAsync(token["token"]!.GetValue<string>());
        var listed = await ListTokenAsync(sim, token["tokenId"]!.GetValue<string>());

        listed["usesCount"]!.GetValue<int>().ShouldBe(1);
    }

    [Fact]
    public async Task Unknown_revoked_expired_and_exhausted_tokens_each_give_their_code()
    {
        await using var sim = await TestSimulator.StartAsync();
        var revoked = await sim.CreateTokenAsync();
        await sim.Http.DeleteAsync($"/_sim/accounts/example.com/virtual-accounts/DEFAULT/tokens/{revoked["tokenId"]}", Ct);
        var expiring = await sim.CreateTokenAsync(days: 30);
        var single = await sim.CreateTokenAsync(maxUses: 1);
        await sim.Device("SN-FIRST").EstablishTrustAsync(single["token"]!.GetValue<string>());
        await sim.Http.PostAsync("/_sim/clock", new StringContent("""{"advance":"P31D"}""", Encoding.UTF8, "application/json"), Ct);

        var unknown = await sim.Device("SN-A").EstablishTrustAsync("bm90LWEtdG9rZW4=");
        var wasRevoked = await sim.Device("SN-B").EstablishTrustAsync(revoked["token"]!.GetValue<string>());
        var expired = await sim.Device("SN-C").EstablishTrustAsync(expiring["token"]!.GetValue<string>());
        var exhausted = await sim.Device("SN-D").EstablishTrustAsync(single["token"]!.GetValue<string>());

        unknown.ErrorCode.ShouldBe("TOKEN_NOT_FOUND");
        wasRevoked.ErrorCode.ShouldBe("TOKEN_REVOKED");
        expired.ErrorCode.ShouldBe("TOKEN_EXPIRED");
        exhausted.ErrorCode.ShouldBe("TOKEN_EXPIRED", "the clock moved past this token's expiry too; expiry is checked before uses");
    }

    [Fact]
    public async Task An_exhausted_token_gives_token_uses_exhausted()
    {
        await using var sim = await TestSimulator.StartAsync();
        var single = (await sim.CreateTokenAsync(maxUses: 1))["token"]!.GetValue<string>();
        await sim.Device("SN-1").EstablishTrustAsync(single);

        var second = await sim.Device("SN-2").EstablishTrustAsync(single);

        second.ErrorCode.ShouldBe("TOKEN_USES_EXHAUSTED");
    }

    [Fact]
    public async Task Advancing_the_clock_31_days_expires_a_30_day_token_in_the_v1_api_too()
    {
        await using var sim = await TestSimulator.StartAsync();
        var token = await sim.CreateTokenAsync(days: 30);

        await sim.Http.PostAsync("/_sim/clock", new StringContent("""{"advance":"P31D"}""", Encoding.UTF8, "application/json"), Ct);
        var listed = await ListTokenAsync(sim, token["tokenId"]!.GetValue<string>());

        listed["status"]!.GetValue<string>().ShouldBe("EXPIRED");
    }

    [Fact]
    public async Task An_ha_request_with_scope_all_gives_one_code_per_udi_and_consumes_one_use()
    {
        await using var sim = await TestSimulator.StartAsync();
        var token = await sim.CreateTokenAsync(maxUses: 10);
        var active = sim.Device("HA-ACTIVE");
        var standby = sim.Device("HA-STANDBY");
        var member = sim.Device("HA-MEMBER");

        var result = await active.EstablishTrustAsync(token["token"]!.GetValue<string>(), scopeAll: true,
            haMembers: [("Active", active), ("Standby", standby), ("Member", member)]);
        var listed = await ListTokenAsync(sim, token["tokenId"]!.GetValue<string>());
        var inventory = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/accounts/example.com/virtual-accounts/DEFAULT/product-instances", Ct));

        result.TrustCodes.Select(c => c.Udi.Serial).ShouldBe(["HA-ACTIVE", "HA-STANDBY", "HA-MEMBER"], ignoreOrder: true);
        result.TrustCodes.ShouldAllBe(c => c.SignatureValid);
        standby.TrustCode.ShouldNotBeNull();
        listed["usesCount"]!.GetValue<int>().ShouldBe(1);
        var roles = inventory["productInstances"]!.AsArray().ToDictionary(p => p!["udi_serial_number"]!.GetValue<string>(), p => p!["haRole"]?.GetValue<string>());
        roles["HA-ACTIVE"].ShouldBe("Active");
        roles["HA-STANDBY"].ShouldBe("Standby");
        roles["HA-MEMBER"].ShouldBe("Member");
    }

    [Fact]
    public async Task Scope_local_trusts_only_the_sender_even_with_ha_members_listed()
    {
        await using var sim = await TestSimulator.StartAsync();
        var token = (await sim.CreateTokenAsync())["token"]!.GetValue<string>();
        var active = sim.Device("L-ACTIVE");

        var result = await active.EstablishTrustAsync(token, scopeAll: false, haMembers: [("Standby", sim.Device("L-STANDBY"))]);

        result.TrustCodes.Select(c => c.Udi.Serial).ShouldBe(["L-ACTIVE"]);
    }

    [Fact]
    public async Task Forced_trust_moves_a_udi_trusted_in_another_virtual_account()
    {
        await using var sim = await TestSimulator.StartAsync();
        var lab = (await sim.CreateTokenAsync(va: "Lab"))["token"]!.GetValue<string>();
        var main = (await sim.CreateTokenAsync())["token"]!.GetValue<string>();
        var device = sim.Device("MOVER");
        await device.EstablishTrustAsync(lab);

        var moved = await device.EstablishTrustAsync(main, force: true);
        var events = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/events?type=PI_MOVED", Ct));

        moved.TrustCodes[0].VirtualAccountName.ShouldBe("DEFAULT");
        events["events"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task Trust_sync_gives_codes_to_members_without_trust_in_the_active_virtual_account()
    {
        await using var sim = await TestSimulator.StartAsync();
        var token = (await sim.CreateTokenAsync())["token"]!.GetValue<string>();
        var active = sim.Device("SYNC-A");
        var newStandby = sim.Device("SYNC-S");
        await active.EstablishTrustAsync(token);

        var synced = await active.SyncTrustAsync([("Standby", newStandby)]);
        var lonely = await sim.Device("NO-TRUST").SyncTrustAsync([("Standby", sim.Device("X"))]);

        synced.Trusted.ShouldBeTrue(synced.Reply.ToJsonString());
        synced.TrustCodes.ShouldHaveSingleItem().Udi.ShouldBe(newStandby.Udi);
        synced.TrustCodes[0].TokenId.ShouldBeNull();
        newStandby.TrustCode!.VirtualAccountName.ShouldBe("DEFAULT");
        lonely.ErrorCode.ShouldBe("TRUST_REQUIRED");
    }

    [Fact]
    public async Task A_trust_acknowledgement_for_the_installed_code_completes()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = sim.Device("ACK-ME");
        await device.EstablishTrustAsync((await sim.CreateTokenAsync())["token"]!.GetValue<string>());

        var ok = await device.SendAsync("TRUST_ACKNOWLEDGEMENT", new JsonObject { ["trust_code_id"] = device.TrustCode!.TrustCodeId }, Ct);
        var wrong = await device.SendAsync("TRUST_ACKNOWLEDGEMENT", new JsonObject { ["trust_code_id"] = Guid.NewGuid().ToString() }, Ct);

        ok["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        wrong["status"]!.GetValue<string>().ShouldBe("FAILED");
    }

    [Fact]
    public async Task Hello_answers_with_the_virtual_server_time()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.Http.PostAsync("/_sim/clock", new StringContent("""{"mode":"frozen","set":"2027-03-01T00:00:00Z"}""", Encoding.UTF8, "application/json"), Ct);

        var reply = await sim.Device("HELLO-1").SendAsync("HELLO", new JsonObject(), Ct);

        reply["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        reply["data"]!["server_time"]!.GetValue<long>().ShouldBe(DateTimeOffset.Parse("2027-03-01T00:00:00Z").ToUnixTimeMilliseconds());
        reply["header"]!["type"]!.GetValue<string>().ShouldBe("HELLO");
    }

    [Fact]
    public async Task With_a_polls_transition_trust_answers_ok_poll_and_result_polling_delivers_it()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.Http.PostAsync("/_sim/poll-transitions", new StringContent("""{"action":"trust","progression":"polls","times":2,"pollInterval":7}""", Encoding.UTF8, "application/json"), Ct);
        var device = sim.Device("POLLED");

        var first = await device.EstablishTrustAsync((await sim.CreateTokenAsync())["token"]!.GetValue<string>());
        var pollId = first.Reply["poll_id"]!.GetValue<long>();
        var pending = await device.SendAsync("RESULT_POLLING", new JsonObject { ["poll_id"] = pollId.ToString() }, Ct);
        var done = await device.PollAsync(pollId, ct: Ct);

        first.Status.ShouldBe("OK_POLL");
        first.Reply["poll_interval"]!.GetValue<long>().ShouldBe(7);
        pollId.ToString().Length.ShouldBe(18);
        pending["status"]!.GetValue<string>().ShouldBe("OK_POLL");
        done["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        done["data"]!["trust_codes"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task The_licengine_fault_fails_trust_with_cisco_text_and_consumes_nothing()
    {
        await using var sim = await TestSimulator.StartAsync();
        var token = await sim.CreateTokenAsync(maxUses: 3);
        await sim.Http.PostAsync("/_sim/faults", new StringContent(
            """{"match":{"surface":"smart-transport","operation":"TRUST_ESTABLISHMENT"},"when":{"times":1},"effect":{"error":"LS_LICENGINE_FAIL_TO_CONNECT"}}""",
            Encoding.UTF8, "application/json"), Ct);

        var failed = await sim.Device("LIC-1").EstablishTrustAsync(token["token"]!.GetValue<string>());
        var retried = await sim.Device("LIC-1").EstablishTrustAsync(token["token"]!.GetValue<string>());
        var listed = await ListTokenAsync(sim, token["tokenId"]!.GetValue<string>());
        var journal = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/journal?operation=TRUST_ESTABLISHMENT&outcome=FAILED", Ct));

        failed.ErrorCode.ShouldBe("LS_LICENGINE_FAIL_TO_CONNECT");
        failed.ErrorMessage.ShouldBe("Server error occurred: LS_LICENGINE_FAIL_TO_CONNECT");
        failed.Reply["header"]!["type"]!.GetValue<string>().ShouldBe("TRUST_ESTABLISHMENT");
        retried.Trusted.ShouldBeTrue();
        listed["usesCount"]!.GetValue<int>().ShouldBe(1);
        var entry = journal["entries"]!.AsArray().ShouldHaveSingleItem()!;
        entry["errorCode"]!.GetValue<string>().ShouldBe("LS_LICENGINE_FAIL_TO_CONNECT");
        entry["fault"]!["id"].ShouldNotBeNull();
        entry["tokenId"]!.GetValue<string>().ShouldBe(token["tokenId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_trust_code_file_from_the_control_api_installs_without_a_token()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.PostAsync("/_sim/accounts/example.com/virtual-accounts/Lab/trust-codes",
            new StringContent("""{"udi_pid":"C8000V","udi_serial_number":"OFFLINE1"}""", Encoding.UTF8, "application/json"), Ct);
        var file = await response.Content.ReadAsStringAsync(Ct);
        var cert = await sim.Http.GetStringAsync("/_sim/certs/signing.pem", Ct);
        var artefact = Engine.Signing.SignedArtefact.Read(file, "smartLicenseTrustCode");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        artefact.VerifyWith(cert).ShouldBeTrue();
        var json = JsonNode.Parse(artefact.Json)!;
        json["token_id"].ShouldBeNull();
        json["virtual_account"]!["name"]!.GetValue<string>().ShouldBe("Lab");
    }

    internal static async Task<JsonObject> ListTokenAsync(TestSimulator sim, string tokenId)
    {
        var list = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/accounts/example.com/virtual-accounts/DEFAULT/tokens", Ct));
        return list["tokens"]!.AsArray().Single(t => t!["tokenId"]!.GetValue<string>() == tokenId)!.AsObject();
    }
}
