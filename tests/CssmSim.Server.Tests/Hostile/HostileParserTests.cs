using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace CssmSim.Server.Tests.Hostile;

/// <summary>
/// Parser failures of every kind: seed documents that break YAML (deep nesting, unclosed flow
/// collections) are 400 with a position, and a chunked body whose chunk size overflows is a 400
/// in the family's shape; the simulator stays up and unchanged.
/// </summary>
public sealed class HostileParserTests(HostileSimulator sim) : IClassFixture<HostileSimulator>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> BrokenSeeds() => new()
    {
        { "deep flow sequence", "accounts: " + new string('[', 32_000) },
        { "deep flow mapping", "accounts: " + string.Concat(Enumerable.Repeat("{a: ", 16_000)) },
        { "deep block sequence", "accounts:\n  " + string.Concat(Enumerable.Repeat("- ", 32_000)) + "x" },
        { "unclosed brace", "accounts:\n  - {domain: a.test, virtualAccounts: [DEFAULT]\n" },
        { "unclosed bracket", "accounts: [\n" },
        { "unclosed brace at the end", "accounts: {" },
        { "lone brace", "a: 1\nb: {\n" },
        { "deep json", new string('[', 32_000) + new string(']', 32_000) },
        { "deep json objects", string.Concat(Enumerable.Repeat("{\"a\":", 32_000)) + "1" + new string('}', 32_000) },
        { "lone surrogate in json", """{"accounts":[{"domain":"\ud800.test"}]}""" },
        // 700,000 empty objects in 2 MiB: hundreds of megabytes as a tree, refused by a scan first.
        { "two MiB of empty items", "{\"accounts\":[" + string.Join(',', Enumerable.Repeat("{}", 699_000)) + "]}" },
    };

    [Theory]
    [MemberData(nameof(BrokenSeeds))]
    public async Task A_seed_that_breaks_the_parser_is_400_with_a_position(string name, string text)
    {
        var content = new StringContent(text, Encoding.UTF8, "application/yaml");

        var (status, body, _) = await sim.SendHostileAsync(sim.Request(HttpMethod.Post, "/_sim/seed", content), name);

        status.ShouldBe(400, body);
        body.ShouldMatch(@"line \d+", name + ": " + body);
    }

    public static TheoryData<string> ChunkedPaths() => new()
    {
        "/_sim/seed",
        "/_sim/faults",
        "/_sim/snapshot",
        "/_sim/usage-files?fileName=x.tar.gz&smartAccount=example.com&virtualAccount=DEFAULT",
        "/licservice/license",
        "/as/token.oauth2",
    };

    [Theory]
    [MemberData(nameof(ChunkedPaths))]
    public async Task A_chunk_size_that_overflows_is_400_and_the_simulator_keeps_serving(string path)
    {
        var before = await sim.SnapshotAsync();
        var address = sim.Sim.Server.BaseAddress;
        string statusLine, rest;
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(address.Host, address.Port, Ct);
            var stream = client.GetStream();
            var type = path.StartsWith("/as/", StringComparison.Ordinal) ? "application/x-www-form-urlencoded" : "application/json";
            var request = $"POST {path} HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: {type}\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "4\r\n{\"a\"\r\nFFFFFFFFFFFFFFFFFFFFFFFF\r\nxx\r\n0\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request), Ct);
            await stream.FlushAsync(Ct);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            statusLine = await reader.ReadLineAsync(Ct) ?? "";
            var buffer = new char[4096];
            var n = await reader.ReadAsync(buffer, Ct);
            rest = new string(buffer, 0, n);
        }

        statusLine.ShouldStartWith("HTTP/1.1 400", customMessage: path + "\n" + rest);
        await sim.ShouldBeHealthyAsync(path);
        HostileSimulator.ShouldBeSameState(before, await sim.SnapshotAsync(), path);
    }
}
