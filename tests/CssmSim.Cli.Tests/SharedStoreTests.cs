using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace CssmSim.Cli.Tests;

/// <summary>The token use cap is enforced by the database, so it holds across processes sharing one file.</summary>
public sealed class SharedStoreTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _dir = Directory.CreateTempSubdirectory("cssmsim-shared-").FullName;

    [Fact]
    public async Task Two_processes_on_one_sqlite_file_never_issue_more_trust_than_a_tokens_max_uses()
    {
        var env = new Dictionary<string, string> { ["CSSMSIM__Faults__TokenBottleneck__Enabled"] = "false" };
        var portA = CliProcess.FreePort();
        var portB = CliProcess.FreePort();
        await using var a = CliProcess.Start(_dir, env, "serve", "--urls", $"http://127.0.0.1:{portA}", "--store", "sqlite:shared.db");
        await a.WaitUntilListeningAsync();
        await using var b = CliProcess.Start(_dir, env, "serve", "--urls", $"http://127.0.0.1:{portB}", "--store", "sqlite:shared.db");
        await b.WaitUntilListeningAsync();
        using var httpA = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{portA}") };
        using var httpB = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{portB}") };
        using var created = await httpA.PostAsync("/_sim/accounts/example.com/virtual-accounts/DEFAULT/tokens",
            new StringContent("""{"description":"shared","maxUses":20}""", Encoding.UTF8, "application/json"), Ct);
        var token = (await created.Content.ReadFromJsonAsync<JsonObject>(Ct))!["token"]!.GetValue<string>();

        var requests = Enumerable.Range(0, 60).Select(i => TrustAsync(i % 2 == 0 ? httpA : httpB, token, $"SHARED{i:D3}"));
        var statuses = await Task.WhenAll(requests);
        var listed = await httpB.GetFromJsonAsync<JsonObject>("/_sim/accounts/example.com/virtual-accounts/DEFAULT/tokens", Ct);

        statuses.Count(s => s == "COMPLETE").ShouldBe(20);
        statuses.Count(s => s == "TOKEN_USES_EXHAUSTED").ShouldBe(40);
        listed!["tokens"]![0]!["usesCount"]!.GetValue<int>().ShouldBe(20);
    }

    private static async Task<string> TrustAsync(HttpClient http, string token, string serial)
    {
        var body = new JsonObject
        {
            ["header"] = new JsonObject { ["version"] = "1.0", ["type"] = "TRUST_ESTABLISHMENT", ["message_id"] = serial },
            ["sudi"] = new JsonObject { ["udi_pid"] = "C9800-CL-K9", ["udi_serial_number"] = serial },
            ["hostname"] = serial,
            ["data"] = new JsonObject { ["id_token"] = token, ["scope"] = "local" },
        };
        using var response = await http.PostAsync("/licservice/license", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), Ct);
        var reply = (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        return reply["status"]!.GetValue<string>() == "COMPLETE" ? "COMPLETE" : reply["error"]!["code"]!.GetValue<string>();
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
