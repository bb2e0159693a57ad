using System.Net;
using System.Net.Http.Headers;
using CssmSim.Server.Tests.Support;
using CssmSim.Testing.Devices;

namespace CssmSim.Server.Tests.Usage;

/// <summary>A submission's events are written together, and still in the order things happened.</summary>
public sealed class UsageEventOrderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<(string Type, string? Udi)>> EventsAsync(TestSimulator sim)
    {
        var body = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/events?limit=1000", Ct));
        return body["events"]!.AsArray().Select(e => (e!["type"]!.GetValue<string>(), e["udi"]?.GetValue<string>())).ToList();
    }

    private static async Task UploadAsync(TestSimulator sim, CsluUsageArchive archive)
    {
        using var content = new ByteArrayContent(archive.Content);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
        using var posted = await sim.Http.PostAsync("/_sim/usage-files?fileName=" + archive.FileName, content, Ct);
        posted.StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task An_upload_logs_report_received_then_ack_issued_for_each_device_in_file_order()
    {
        await using var sim = await TestSimulator.StartAsync();
        var devices = new[] { sim.Device("ORDER-1"), sim.Device("ORDER-2"), sim.Device("ORDER-3") };
        var archive = devices.SaveCsluUsage([(UsageReportingTests.NwStack, 1)], new CsluAccount("example.com", "DEFAULT"), includeTrustRequests: false);

        await UploadAsync(sim, archive);

        var udis = devices.Select(d => d.Udi.ToString()).ToList();
        (await EventsAsync(sim)).Where(e => e.Type is "REPORT_RECEIVED" or "ACK_ISSUED").ShouldBe(
        [
            ("REPORT_RECEIVED", udis[0]), ("ACK_ISSUED", udis[0]),
            ("REPORT_RECEIVED", udis[1]), ("ACK_ISSUED", udis[1]),
            ("REPORT_RECEIVED", udis[2]), ("ACK_ISSUED", udis[2]),
        ]);
    }

    [Fact]
    public async Task Trust_issued_for_a_trust_request_is_logged_between_the_report_and_its_ack()
    {
        await using var sim = await TestSimulator.StartAsync();
        var devices = new[] { sim.Device("ORDER-T1"), sim.Device("ORDER-T2") };
        var archive = devices.SaveCsluUsage([(UsageReportingTests.NwStack, 1)], new CsluAccount("example.com", "DEFAULT"), includeTrustRequests: true);

        await UploadAsync(sim, archive);

        var udis = devices.Select(d => d.Udi.ToString()).ToList();
        (await EventsAsync(sim)).Where(e => e.Type is "REPORT_RECEIVED" or "TRUST_ISSUED" or "ACK_ISSUED").ShouldBe(
        [
            ("REPORT_RECEIVED", udis[0]), ("TRUST_ISSUED", udis[0]), ("ACK_ISSUED", udis[0]),
            ("REPORT_RECEIVED", udis[1]), ("TRUST_ISSUED", udis[1]), ("ACK_ISSUED", udis[1]),
        ]);
    }
}
