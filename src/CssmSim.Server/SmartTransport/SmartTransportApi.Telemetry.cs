using CssmSim.Engine.Devices;
using CssmSim.Engine.Usage;

namespace CssmSim.Server.SmartTransport;

public static partial class SmartTransportApi
{
    private const string TelemetryMetric = "TELEMETRY";

    /// <summary>
    /// TELEMETRY_REPORTING, the tenth message type a device counts (device-captures.md §2.3): RUM reports
    /// whose measurements are all <c>metric_name</c> <c>TELEMETRY</c>, stored and acknowledged like usage
    /// (asynchronous by the same <c>acknowledgements</c> transition). They never count as license use:
    /// only ENTITLEMENT measurements set a report's in-use count.
    /// </summary>
    private static Task<Reply> TelemetryReportingAsync(SmartTransportServices s, SmartTransportMessage m, Admission admitted, CancellationToken ct)
    {
        var read = ReadUsage(m);
        var malformed = read.Malformed;
        for (var i = 0; i < read.Reports.Count && malformed is null; i++)
        {
            var measurements = read.Reports[i].Measurements;
            if (measurements.Count == 0 || measurements.Any(x => !string.Equals(x.MetricName, TelemetryMetric, StringComparison.OrdinalIgnoreCase)))
                malformed = CssmError.InvalidMessage($"data.reports[{i}]: a TELEMETRY_REPORTING report measures metric_name TELEMETRY only (usage goes in USAGE_REPORTING)");
        }
        // Trust and SLAC requests ride on usage reports only.
        return UsageReportingAsync(s, m, admitted, ct, new DeviceUsageReport(read.Reports, [], [], malformed));
    }
}
