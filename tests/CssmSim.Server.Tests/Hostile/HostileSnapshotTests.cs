using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.Hostile;

/// <summary>
/// Hostile family "snapshot import": an export with one part made bad (a fault rule the engine
/// cannot load, a clock past what dates can hold, rows of the right type with content later reads
/// fail on). Each is refused 400 before anything is written: the store is byte-for-byte what it
/// was and keeps answering (issue 14 item 3).
/// </summary>
public sealed class HostileSnapshotTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Corruptions() =>
    [
        "fault rule not JSON",
        "fault rule unknown effect",
        "clock offset overflows",
        "clock frozen past the last date",
        "license start date not a date",
        "license enforcement unknown",
        "client accounts not a list",
        "job submitted_at not a time",
        "flag out of range",
    ];

    private static void Corrupt(JsonObject snapshot, string corruption)
    {
        var store = snapshot["store"]!.AsObject();
        switch (corruption)
        {
            case "fault rule not JSON":
                store["fault_rules"]![0]!["rule_json"] = "{\"match\":";
                break;
            case "fault rule unknown effect":
                store["fault_rules"]![0]!["rule_json"] = """{"match":{"surface":"oauth"},"effect":{"error":"X","explode":true}}""";
                break;
            case "clock offset overflows":
                snapshot["clock"] = new JsonObject { ["mode"] = "virtual", ["offsetMs"] = long.MaxValue };
                break;
            case "clock frozen past the last date":
                snapshot["clock"] = new JsonObject { ["mode"] = "frozen", ["now"] = "9999-12-31T23:59:59.999Z" };
                break;
            case "license start date not a date":
                store["licenses"]![0]!["start_date"] = "yesterday";
                break;
            case "license enforcement unknown":
                store["licenses"]![0]!["enforcement"] = "sometimes";
                break;
            case "client accounts not a list":
                store["api_clients"]![0]!["accounts_json"] = "{\"not\":\"a list\"}";
                break;
            case "job submitted_at not a time":
                store["jobs"] = new JsonArray(new JsonObject
                {
                    ["poll_id"] = "123456789012345678", ["action"] = "acknowledgements", ["udi"] = "PID:X,SN:Y", ["sa_id"] = null, ["correlation_id"] = "c",
                    ["submitted_at"] = "soon", ["polls"] = 0, ["complete_after_polls"] = 0, ["complete_at"] = null, ["never_complete"] = 0,
                    ["fail_code"] = null, ["fail_message"] = null, ["result_json"] = "{}", ["client_id"] = null,
                });
                break;
            case "flag out of range":
                store["virtual_accounts"]![0]!["is_default"] = 7;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(corruption));
        }
    }

    [Theory]
    [MemberData(nameof(Corruptions))]
    public async Task A_snapshot_with_one_bad_part_is_refused_whole_before_anything_is_written(string corruption)
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.MergeSeedAsync("accounts: [{domain: other.test, virtualAccounts: [DEFAULT]}]");
        var before = await sim.Http.GetByteArrayAsync("/_sim/snapshot", Ct);
        var snapshot = JsonNode.Parse(before)!.AsObject();
        // Something to tell the import apart from the current state, so a partial import would show.
        snapshot["store"]!["smart_accounts"]![1]!["name"] = "Renamed by the import";
        Corrupt(snapshot, corruption);

        using var import = await sim.Http.PostAsync("/_sim/snapshot", new StringContent(snapshot.ToJsonString(), Encoding.UTF8, "application/json"), Ct);
        var body = await import.Content.ReadAsStringAsync(Ct);
        var after = await sim.Http.GetByteArrayAsync("/_sim/snapshot", Ct);
        using var faults = await sim.Http.GetAsync("/_sim/faults", Ct);
        using var licenses = await sim.Http.GetAsync("/_sim/accounts/example.com/virtual-accounts/DEFAULT/licenses", Ct);
        using var clock = await sim.Http.GetAsync("/_sim/clock", Ct);

        import.StatusCode.ShouldBe(HttpStatusCode.BadRequest, body);
        ErrorShapes.ShouldBeFamilyError("/_sim/snapshot", 400, body, import.Content.Headers.ContentType?.MediaType, corruption);
        HostileSimulator.ShouldBeSameState(before, after, "a refused snapshot import changed the store: " + corruption);
        faults.StatusCode.ShouldBe(HttpStatusCode.OK);
        licenses.StatusCode.ShouldBe(HttpStatusCode.OK);
        clock.StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
