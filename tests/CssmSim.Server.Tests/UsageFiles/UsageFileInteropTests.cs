using System.Text;
using CssmSim.Server.Tests.Support;
using CssmSim.Testing.Devices;
using static CssmSim.Server.Tests.UsageFiles.UsageFileKit;

namespace CssmSim.Server.Tests.UsageFiles;

/// <summary>
/// The nested CSLU form made by real tools (GNU tar, Python's tarfile) goes in; the ACK archive
/// that comes out unpacks with GNU tar into signed <c>ACK_dev_&lt;id&gt;_&lt;ts&gt;.txt</c> files that
/// openssl verifies with the published certificate, and that the devices import.
/// </summary>
public sealed class UsageFileInteropTests
{
    private const string Ts = "1700000000";

    private static string Manifest(string smartAccount = "example.com", string smartAccountId = "123456", string va = "DEFAULT", string vaId = "234567") =>
        string.Join("\n", "Manifest-Version: 1.0", "Created-By: CSLU 2.0.0", "Smart-Account: " + smartAccount, "Smart-Account-ID: " + smartAccountId, "",
            $"Name: /UD_VA_{Ts}.tar.gz", "Specification-VA: " + va, "Specification-VA-ID: " + vaId, "", "");

    /// <summary>Two untrusted devices save their usage (with trust requests, as 17.7.1+ do) into dev files on disk.</summary>
    private static List<(SimulatedProductInstance Device, string File, IReadOnlyList<string> ReportIds)> SaveDevices(TestSimulator sim, Scratch dir, string prefix)
    {
        var devices = new List<(SimulatedProductInstance, string, IReadOnlyList<string>)>();
        for (var i = 1; i <= 2; i++)
        {
            var device = sim.Device($"{prefix}-{i}");
            var saved = device.SaveUsage([(NwStack, i), (AirDna, 10 + i)]);
            var name = $"dev_{40 + i}_{Ts}.txt";
            dir.Write("va/" + name, saved.Content);
            devices.Add((device, name, saved.ReportIds));
        }
        return devices;
    }

    [Fact]
    public async Task A_nested_upload_made_by_gnu_tar_is_ingested_and_its_ack_unpacks_and_verifies()
    {
        Tools.Require("tar");
        await using var sim = await TestSimulator.StartAsync();
        using var dir = new Scratch();
        var devices = SaveDevices(sim, dir, "GNUTAR");
        dir.Write("sa/manifest.mf", Manifest());
        // As a script would: the device files from their folder ("./dev_..."), then the outer archive.
        Tools.Run(dir.Path, "tar", "-czf", $"sa/UD_VA_{Ts}.tar.gz", "-C", "va", ".");
        Tools.Run(dir.Path, "tar", "-czf", $"UD_SA_{Ts}.tar.gz", "-C", "sa", "manifest.mf", $"UD_VA_{Ts}.tar.gz");

        var upload = await sim.UploadMultipartAsync(dir.Read($"UD_SA_{Ts}.tar.gz"), $"UD_SA_{Ts}.tar.gz").AcceptedAsync();

        await ShouldBeIngestedAndAcknowledgedAsync(sim, upload["id"]!.GetValue<string>(), devices, dir);
    }

    [Fact]
    public async Task A_nested_upload_made_by_python_tarfile_is_ingested_and_its_ack_unpacks_and_verifies()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var dir = new Scratch();
        var devices = SaveDevices(sim, dir, "PYTAR");
        dir.Write("sa/manifest.mf", Manifest(smartAccount: "Example Co", smartAccountId: "", va: "", vaId: "234567"));
        // Python's defaults: PAX format, gzip via "w:gz", names as given.
        Tools.Python(dir.Path, """
            import os, sys, tarfile
            ts = sys.argv[1]
            with tarfile.open(f"sa/UD_VA_{ts}.tar.gz", "w:gz") as t:
                for name in sorted(os.listdir("va")):
                    t.add(os.path.join("va", name), arcname=name)
            with tarfile.open(f"UD_SA_{ts}.tar.gz", "w:gz") as t:
                t.add("sa/manifest.mf", arcname="manifest.mf")
                t.add(f"sa/UD_VA_{ts}.tar.gz", arcname=f"UD_VA_{ts}.tar.gz")
            """, Ts);

        var upload = await sim.UploadRawAsync(dir.Read($"UD_SA_{Ts}.tar.gz"), $"UD_SA_{Ts}.tar.gz").AcceptedAsync();

        await ShouldBeIngestedAndAcknowledgedAsync(sim, upload["id"]!.GetValue<string>(), devices, dir);
    }

    private static async Task ShouldBeIngestedAndAcknowledgedAsync(TestSimulator sim, string id,
        List<(SimulatedProductInstance Device, string File, IReadOnlyList<string> ReportIds)> devices, Scratch dir)
    {
        var status = await sim.StatusAsync(id);
        status.ShouldHaveExactKeys("id", "fileName", "status", "productInstances", "reports", "errors");
        status["fileName"]!.GetValue<string>().ShouldBe($"UD_SA_{Ts}.tar.gz");
        status["status"]!.GetValue<string>().ShouldBe("No Errors", status.ToJsonString());
        status["productInstances"]!.GetValue<int>().ShouldBe(2);
        status["reports"]!.GetValue<int>().ShouldBe(4);
        status["errors"]!.AsArray().ShouldBeEmpty();

        var (name, contentType, content) = await sim.DownloadAckAsync(id);
        name.ShouldBe($"ACK_UD_SA_{Ts}.tar.gz");
        contentType.ShouldBe("application/gzip");

        // GNU tar, not our reader, unpacks it.
        Tools.Require("tar");
        dir.Write("ack/" + name, content);
        Tools.Run(Path.Combine(dir.Path, "ack"), "tar", "-tzf", name).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .ShouldBe(["manifest.mf", $"ACK_UD_VA_{Ts}.tar.gz"], ignoreOrder: true);
        Tools.Run(Path.Combine(dir.Path, "ack"), "tar", "-xzf", name);
        var manifest = Encoding.UTF8.GetString(dir.Read("ack/manifest.mf"));
        manifest.ShouldContain($"Name: /ACK_UD_VA_{Ts}.tar.gz");
        manifest.ShouldContain("Specification-VA-ID: 234567");
        Tools.Run(Path.Combine(dir.Path, "ack"), "tar", "-xzf", $"ACK_UD_VA_{Ts}.tar.gz");
        var ackFiles = Directory.GetFiles(Path.Combine(dir.Path, "ack"), "ACK_dev_*_*.txt").Select(Path.GetFileName).ToList();
        ackFiles.ShouldBe(devices.Select(d => "ACK_" + d.File).ToList(), ignoreOrder: true);

        foreach (var (device, file, reportIds) in devices)
        {
            var ack = Encoding.UTF8.GetString(dir.Read("ack/ACK_" + file));
            // The device id is the third '_'-separated token of the ACK file name.
            ("ACK_" + file).Split('_')[2].ShouldBe(file.Split('_')[1]);
            var rumAck = RumAcks(ack).ShouldHaveSingleItem();
            rumAck["sudi"]!["udi_serial_number"]!.GetValue<string>().ShouldBe(device.Udi.Serial);
            rumAck["virtual_account"]!["name"]!.GetValue<string>().ShouldBe("DEFAULT");

            (await Tools.OpenSslVerifyAsync(sim, ack)).ShouldContain("Verified OK");

            var imported = await device.ImportAckAsync(ack);
            imported.SignatureValid.ShouldBeTrue();
            imported.ReportStatuses.Keys.ShouldBe(reportIds, ignoreOrder: true);
            imported.ReportStatuses.Values.ShouldAllBe(s => s == "ACKED");
            imported.HasPolicy.ShouldBeTrue();
            // The trust request in the usage file came back as a trust code: the device is now trusted.
            device.TrustCode.ShouldNotBeNull().SignatureValid.ShouldBeTrue();
        }

        // A device that got trust this way reports online with the RUM key it received.
        var online = await devices[0].Device.ReportUsageAsync([(NwStack, 5)]);
        online.Acknowledged.ShouldBeTrue(online.Reply.ToJsonString());
    }

    [Fact]
    public async Task A_cslu_export_made_by_the_testing_library_round_trips_through_upload_and_device_import()
    {
        await using var sim = await TestSimulator.StartAsync();
        var devices = Enumerable.Range(1, 3).Select(i => sim.Device($"CSLU-{i}")).ToList();
        var at = DateTimeOffset.FromUnixTimeSeconds(1_700_000_123);
        var export = devices.SaveCsluUsage([(NwStack, 2)], new CsluAccount("example.com", "Lab", "123456", "234568"), at);
        export.FileName.ShouldBe("UD_SA_1700000123.tar.gz");

        var upload = await sim.UploadMultipartAsync(export.Content, export.FileName).AcceptedAsync();
        var id = upload["id"]!.GetValue<string>();
        upload["status"]!.GetValue<string>().ShouldBe("No Errors");
        var (name, _, content) = await sim.DownloadAckAsync(id);
        name.ShouldBe("ACK_UD_SA_1700000123.tar.gz");

        UsageFileExport.ReadAckDownload(content).Keys.ShouldBe(
            ["manifest.mf", .. export.DeviceFiles.Values.Select(f => "ACK_UD_VA_1700000123.tar.gz/ACK_" + f)], ignoreOrder: true);
        foreach (var device in devices)
        {
            var ack = await device.ImportAckAsync(export, content);
            ack.SignatureValid.ShouldBeTrue();
            ack.VirtualAccountName.ShouldBe("Lab");
            device.TrustCode.ShouldNotBeNull();
        }
        var lab = await sim.Http.GetStringAsync("/_sim/accounts/example.com/virtual-accounts/Lab/product-instances", Ct);
        foreach (var device in devices) lab.ShouldContain(device.Udi.Serial);
        export.ReportIds.Count.ShouldBe(3);
        (await sim.StatusAsync(id))["reports"]!.GetValue<int>().ShouldBe(3);
        export.DeviceFiles.Values.ShouldAllBe(f => f.EndsWith("_1700000123.txt", StringComparison.Ordinal));
    }
}
