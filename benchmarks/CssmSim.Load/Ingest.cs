using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using CssmSim.Testing.Devices;

namespace CssmSim.Load;

/// <summary>Offline usage-file ingestion: a CSLU nested tar of N devices, uploaded, processed and its ACK downloaded.</summary>
public static class Ingest
{
    public sealed record Outcome(int Devices, int Reports, long CompressedBytes, TimeSpan Elapsed, string Status)
    {
        public double MbPerSecond => CompressedBytes / 1048576.0 / Elapsed.TotalSeconds;
        public double ReportsPerSecond => Reports / Elapsed.TotalSeconds;

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"ingest {Devices} devices / {Reports} reports ({CompressedBytes / 1048576.0:0.00} MB tar.gz): upload to ACK downloaded {Elapsed.TotalSeconds:0.00} s = {MbPerSecond:0.00} MB/s, {ReportsPerSecond:0}/s; status {Status}");
    }

    /// <summary>The archive CSLU's "Download All for Cisco" makes for <paramref name="devices"/> devices, built with the fixture's usage-file writer.</summary>
    public static CsluUsageArchive Build(int devices, int reportsPerDevice, string serialPrefix, bool trustRequests)
    {
        using var nowhere = new HttpClient { BaseAddress = new Uri("http://127.0.0.1:9/") }; // devices here only write files
        var fleet = Enumerable.Range(1, devices).Select(i => new SimulatedProductInstance(nowhere, Workloads.Pid,
            string.Create(CultureInfo.InvariantCulture, $"{serialPrefix}{i:D6}")));
        var usage = Enumerable.Range(0, reportsPerDevice).Select(_ => (Workloads.NetworkStackTag, 1L)).ToList();
        return fleet.SaveCsluUsage(usage, new CsluAccount("example.com", "DEFAULT"), includeTrustRequests: trustRequests);
    }

    public static async Task<Outcome> UploadAsync(HttpClient http, CsluUsageArchive archive, int devices, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        using var content = new ByteArrayContent(archive.Content);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
        using var posted = await http.PostAsync("/_sim/usage-files?fileName=" + Uri.EscapeDataString(archive.FileName), content, ct);
        var body = JsonNode.Parse(await posted.Content.ReadAsStringAsync(ct))!;
        if ((int)posted.StatusCode != 202) throw new InvalidOperationException($"upload answered {(int)posted.StatusCode}: {body.ToJsonString()}");
        var id = body["id"]!.GetValue<string>();
        var status = JsonNode.Parse(await http.GetStringAsync($"/_sim/usage-files/{id}?waitUntilFinal=60", ct))!;
        var ack = await http.GetByteArrayAsync($"/_sim/usage-files/{id}/ack", ct);
        clock.Stop();
        if (ack.Length == 0) throw new InvalidOperationException("empty ACK");
        return new Outcome(devices, archive.ReportIds.Count, archive.Content.Length, clock.Elapsed, status["status"]!.GetValue<string>());
    }
}
