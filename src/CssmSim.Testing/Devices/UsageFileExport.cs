using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Usage;

namespace CssmSim.Testing.Devices;

/// <summary>A usage file saved for offline upload: its name, its bytes and the report ids in it.</summary>
public sealed record SavedUsageFile(string FileName, byte[] Content, IReadOnlyList<string> ReportIds);

/// <summary>The Smart Account and Virtual Account lines a CSLU manifest carries (ids may be empty, as CSLU writes them offline).</summary>
public sealed record CsluAccount(string SmartAccount, string VirtualAccount, string SmartAccountId = "", string VirtualAccountId = "");

/// <summary>
/// A CSLU export (<c>UD_SA_&lt;ts&gt;.tar.gz</c>): its name and bytes, and which <c>dev_&lt;id&gt;_&lt;ts&gt;.txt</c>
/// holds each device's usage.
/// </summary>
public sealed record CsluUsageArchive(string FileName, byte[] Content, IReadOnlyDictionary<Udi, string> DeviceFiles, IReadOnlyList<string> ReportIds);

/// <summary>
/// Saving usage for offline upload the way the guides' tools do (seed-000 §2.5, §3.22;
/// seed-001-003-004 §1.4–1.5): a device's <c>license smart save usage ... file</c> (a single RUM
/// <c>.txt</c>), and CSLU's <b>Download All for Cisco</b> (a nested <c>UD_SA_&lt;ts&gt;.tar.gz</c> with
/// <c>manifest.mf</c> and a <c>UD_VA_&lt;ts&gt;.tar.gz</c> of <c>dev_&lt;id&gt;_&lt;ts&gt;.txt</c> files); and, the
/// other way, reading the ACK download and importing each device's ACK.
/// </summary>
public static class UsageFileExport
{
    /// <summary>
    /// <c>license smart save usage all file bootflash:&lt;fileName&gt;</c>: a <c>&lt;smartLicense&gt;</c> of one
    /// signed RUM report per entitlement. Without a trust code the device adds a trust request, as
    /// 17.7.1 and later do (<paramref name="includeTrustRequest"/> overrides that).
    /// </summary>
    public static SavedUsageFile SaveUsage(this SimulatedProductInstance device, IEnumerable<(string Tag, long Count)> usage, string fileName = "all_rum.txt",
        bool? includeTrustRequest = null, DateTimeOffset? at = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        var (xml, ids) = UsageXml(device, usage, includeTrustRequest ?? device.TrustCode is null, at);
        return new SavedUsageFile(fileName, xml, ids);
    }

    /// <summary>CSLU's export of the same usage for every device; see the per-device overload.</summary>
    public static CsluUsageArchive SaveCsluUsage(this IEnumerable<SimulatedProductInstance> devices, IEnumerable<(string Tag, long Count)> usage,
        CsluAccount account, DateTimeOffset? at = null, bool? includeTrustRequests = null)
    {
        ArgumentNullException.ThrowIfNull(devices);
        var list = usage.ToList();
        return SaveCsluUsage(devices.Select(d => (d, (IEnumerable<(string Tag, long Count)>)list)), account, at, includeTrustRequests);
    }

    /// <summary>
    /// CSLU's <b>Product Instances › Download All for Cisco</b>: <c>UD_SA_&lt;ts&gt;.tar.gz</c> holding
    /// <c>manifest.mf</c> and <c>UD_VA_&lt;ts&gt;.tar.gz</c>, which holds <c>dev_&lt;n&gt;_&lt;ts&gt;.txt</c> per device
    /// (<c>n</c> counts from 1 in the given order; <c>ts</c> is epoch seconds). Devices without trust
    /// add a trust request unless <paramref name="includeTrustRequests"/> says otherwise.
    /// </summary>
    public static CsluUsageArchive SaveCsluUsage(this IEnumerable<(SimulatedProductInstance Device, IEnumerable<(string Tag, long Count)> Usage)> devices,
        CsluAccount account, DateTimeOffset? at = null, bool? includeTrustRequests = null)
    {
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(account);
        var when = at ?? DateTimeOffset.UtcNow;
        var ts = when.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var vaArchive = $"UD_VA_{ts}.tar.gz";
        var deviceFiles = new Dictionary<Udi, string>();
        var ids = new List<string>();
        var files = new List<(string Name, byte[] Data)>();
        var n = 0;
        foreach (var (device, usage) in devices)
        {
            var name = $"dev_{++n}_{ts}.txt";
            var (xml, reportIds) = UsageXml(device, usage, includeTrustRequests ?? device.TrustCode is null, when);
            files.Add((name, xml));
            deviceFiles[device.Udi] = name;
            ids.AddRange(reportIds);
        }
        var manifest = string.Join("\n",
            "Manifest-Version: 1.0",
            "Created-By: CSLU (CssmSim simulated)",
            "Smart-Account: " + account.SmartAccount,
            "Smart-Account-ID: " + account.SmartAccountId,
            "",
            "Name: /" + vaArchive,
            "Specification-VA: " + account.VirtualAccount,
            "Specification-VA-ID: " + account.VirtualAccountId,
            "",
            "");
        var outer = TarGz([("manifest.mf", Encoding.UTF8.GetBytes(manifest)), (vaArchive, TarGz(files, when))], when);
        return new CsluUsageArchive($"UD_SA_{ts}.tar.gz", outer, deviceFiles, ids);
    }

    /// <summary>
    /// Every file of an ACK download, nested archives opened: <c>manifest.mf</c>,
    /// <c>ACK_UD_VA_&lt;ts&gt;.tar.gz/ACK_dev_1_&lt;ts&gt;.txt</c>, …; a plain ACK <c>.txt</c> is returned as <c>""</c>.
    /// </summary>
    public static IReadOnlyDictionary<string, byte[]> ReadAckDownload(byte[] ack)
    {
        ArgumentNullException.ThrowIfNull(ack);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (ack.Length >= 2 && ack[0] == 0x1f && ack[1] == 0x8b) Unpack(ack, "", files);
        else files[""] = ack;
        return files;
    }

    /// <summary>
    /// Finds this device's ACK in a nested ACK download (<c>ACK_</c> + its device file of
    /// <paramref name="upload"/>) and imports it as <c>license smart import</c> does.
    /// </summary>
    public static Task<ReceivedAck> ImportAckAsync(this SimulatedProductInstance device, CsluUsageArchive upload, byte[] ackDownload, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(upload);
        if (!upload.DeviceFiles.TryGetValue(device.Udi, out var deviceFile))
            throw new ArgumentException($"{device.Udi} has no device file in {upload.FileName}", nameof(upload));
        var wanted = "ACK_" + deviceFile;
        var match = ReadAckDownload(ackDownload).FirstOrDefault(f => f.Key == wanted || f.Key.EndsWith("/" + wanted, StringComparison.Ordinal));
        if (match.Key is null) throw new InvalidOperationException($"the ACK download holds no {wanted}");
        return device.ImportAckAsync(Encoding.UTF8.GetString(match.Value), ct);
    }

    private static (byte[] Xml, List<string> ReportIds) UsageXml(SimulatedProductInstance device, IEnumerable<(string Tag, long Count)> usage, bool trustRequest,
        DateTimeOffset? at)
    {
        ArgumentNullException.ThrowIfNull(usage);
        var writer = new RumFileWriter();
        var ids = new List<string>();
        foreach (var (payload, signature, id) in device.BuildReports(usage, at))
        {
            writer.AddReport(payload, ToSignature(signature));
            ids.Add(id);
        }
        if (trustRequest) writer.AddTrustRequest(new RumUdi(device.Udi.Pid, device.Udi.Serial), device.Hostname);
        return (writer.ToUtf8(), ids);
    }

    private static RumReportSignature ToSignature(JsonObject signature)
    {
        var sudi = signature["sudi"];
        RumUdi? udi = sudi?["udi_pid"] is { } pid && sudi["udi_serial_number"] is { } sn ? new RumUdi(pid.GetValue<string>(), sn.GetValue<string>()) : null;
        return new RumReportSignature(udi, signature["signing_type"]?.GetValue<string>(), signature["key"]?.GetValue<string>(), signature["value"]?.GetValue<string>());
    }

    private static byte[] TarGz(IEnumerable<(string Name, byte[] Data)> files, DateTimeOffset modified)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (name, data) in files)
            {
                var entry = new UstarTarEntry(TarEntryType.RegularFile, name)
                {
                    DataStream = new MemoryStream(data),
                    ModificationTime = modified,
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                };
                tar.WriteEntry(entry);
            }
        }
        return output.ToArray();
    }

    private static void Unpack(byte[] tarGz, string prefix, Dictionary<string, byte[]> files)
    {
        using var gzip = new GZipStream(new MemoryStream(tarGz), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry(copyData: true) is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
            using var data = new MemoryStream();
            entry.DataStream.CopyTo(data);
            var name = prefix + (entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name);
            var bytes = data.ToArray();
            if (bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) Unpack(bytes, name + "/", files);
            else files[name] = bytes;
        }
    }
}
