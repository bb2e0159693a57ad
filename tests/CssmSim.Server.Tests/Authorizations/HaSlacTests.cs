using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;
using CssmSim.Testing.Devices;

namespace CssmSim.Server.Tests.Authorizations;

/// <summary>AUTHORIZATION_REQUEST with <c>scope: all</c>: an HA set gets its SLACs all together or not at all.</summary>
public sealed class HaSlacTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<JsonObject> RequestAsync(SimulatedProductInstance device, long count, string scope) =>
        device.SendAsync("AUTHORIZATION_REQUEST", new JsonObject
        {
            ["entitlements"] = new JsonArray(new JsonObject { ["tag"] = SlacTests.Enforced, ["count"] = count }),
            ["scope"] = scope,
            ["mode"] = "add",
        }, Ct);

    private static async Task<(SimulatedProductInstance Active, SimulatedProductInstance Standby)> HaPairAsync(TestSimulator sim)
    {
        var token = (await sim.CreateTokenAsync())["token"]!.GetValue<string>();
        var active = sim.Device("HA-SLAC-A");
        var standby = sim.Device("HA-SLAC-S");
        (await active.EstablishTrustAsync(token, scopeAll: true, haMembers: [("Active", active), ("Standby", standby)])).Trusted.ShouldBeTrue();
        return (active, standby);
    }

    /// <summary>The store's tables as the snapshot exports them (byte-stable for one state), without the clock.</summary>
    private static async Task<string> StoreAsync(TestSimulator sim) =>
        JsonNode.Parse(await sim.Http.GetStringAsync("/_sim/snapshot", Ct))!["store"]!.ToJsonString();

    [Fact]
    public async Task A_scope_all_request_refused_on_a_later_member_leaves_events_pool_and_replaced_slacs_as_they_were()
    {
        await using var sim = await TestSimulator.StartAsync();
        var (active, standby) = await HaPairAsync(sim);
        // The pool holds 5: the standby holds 3 and the active 1, so adding 1 each fits the active but not the standby.
        (await RequestAsync(standby, 3, "local"))["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        (await RequestAsync(active, 1, "local"))["status"]!.GetValue<string>().ShouldBe("COMPLETE");
        var before = await StoreAsync(sim);
        var eventsBefore = (await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/events", Ct)))["events"]!.ToJsonString();

        var reply = await RequestAsync(active, 1, "all");

        reply["status"]!.GetValue<string>().ShouldBe("FAILED");
        reply["error"]!["code"]!.GetValue<string>().ShouldBe("INSUFFICIENT_LICENSES");
        (await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/events", Ct)))["events"]!.ToJsonString()
            .ShouldBe(eventsBefore, "a refused request writes no SLAC_ISSUED (nor a SLAC_RETURNED to undo one)");
        (await StoreAsync(sim)).ShouldBe(before, "the active's replaced SLAC is still active, no new SLAC row exists, the pool is as it was");
    }

    [Fact]
    public async Task A_scope_all_request_gives_every_member_a_slac_in_one_reply()
    {
        await using var sim = await TestSimulator.StartAsync();
        var (active, _) = await HaPairAsync(sim);

        var reply = await RequestAsync(active, 2, "all");
        var issued = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/events?type=SLAC_ISSUED", Ct));

        reply["status"]!.GetValue<string>().ShouldBe("COMPLETE", reply.ToJsonString());
        reply["data"]!["authorizations"]!.AsArray().Select(a => a!["sudi"]!["udi_serial_number"]!.GetValue<string>())
            .ShouldBe(["HA-SLAC-A", "HA-SLAC-S"]);
        issued["events"]!.AsArray().Select(e => e!["udi"]!.GetValue<string>()).ShouldBe(["PID:C9800-CL-K9,SN:HA-SLAC-A", "PID:C9800-CL-K9,SN:HA-SLAC-S"]);
    }
}
