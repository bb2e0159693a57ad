using System.Collections;
using System.Diagnostics;
using System.Globalization;

namespace CssmSim.Testing.Devices;

/// <summary>What one device of a fleet got from a trust request (an HA member shares its pair's reply).</summary>
/// <param name="Device">The device.</param>
/// <param name="Result">The reply to the request that covered it.</param>
public sealed record DeviceTrustOutcome(SimulatedProductInstance Device, TrustResult Result)
{
    /// <summary>Whether the reply carried a verified trust code for this device.</summary>
    public bool Trusted => Result.Trusted && Result.TrustCodes.Any(c => c.Udi == Device.Udi && c.SignatureValid);

    /// <summary>The CSSM error code of a failed reply.</summary>
    public string? ErrorCode => Result.ErrorCode;

    /// <inheritdoc/>
    public override string ToString() => $"{Device.Udi}: {(Trusted ? "trusted" : $"{Result.Status} {ErrorCode}")}";
}

/// <summary>The outcome of trusting a whole fleet, one entry per device in fleet order.</summary>
public sealed class FleetTrustResult : IReadOnlyList<DeviceTrustOutcome>
{
    private readonly IReadOnlyList<DeviceTrustOutcome> _outcomes;

    internal FleetTrustResult(IReadOnlyList<DeviceTrustOutcome> outcomes, TimeSpan elapsed)
    {
        _outcomes = outcomes;
        Elapsed = elapsed;
    }

    /// <summary>Wall time from the first request to the last reply.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Devices that got a verified trust code.</summary>
    public IReadOnlyList<DeviceTrustOutcome> Trusted => _outcomes.Where(o => o.Trusted).ToList();

    /// <summary>Devices that did not.</summary>
    public IReadOnlyList<DeviceTrustOutcome> Failed => _outcomes.Where(o => !o.Trusted).ToList();

    /// <summary>How many devices failed with each CSSM error code (<c>(none)</c> for a failure without one).</summary>
    public IReadOnlyDictionary<string, int> ErrorCounts =>
        Failed.GroupBy(o => o.ErrorCode ?? "(none)").ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>How many devices failed with <paramref name="errorCode"/>.</summary>
    public int CountFailedWith(string errorCode) => _outcomes.Count(o => !o.Trusted && o.ErrorCode == errorCode);

    /// <inheritdoc/>
    public int Count => _outcomes.Count;

    /// <inheritdoc/>
    public DeviceTrustOutcome this[int index] => _outcomes[index];

    /// <inheritdoc/>
    public IEnumerator<DeviceTrustOutcome> GetEnumerator() => _outcomes.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Counts: trusted, failed by error code.</summary>
    public override string ToString() =>
        $"{Trusted.Count} of {Count} trusted" + (Failed.Count == 0 ? "" : "; failed: " + string.Join(", ", ErrorCounts.Select(kv => $"{kv.Key} x{kv.Value}")));
}

/// <summary>
/// Many simulated product instances (single devices and HA pairs) that trust at once, the way a
/// mass roll-out does: e.g. 50 WLCs given one limited-use token, to meet the token max-uses
/// bottleneck. Over HTTP only, so it works against a remote simulator too.
/// </summary>
public sealed class SimulatedFleet : IReadOnlyList<SimulatedProductInstance>
{
    private readonly IReadOnlyList<SimulatedProductInstance> _singles;
    private readonly IReadOnlyList<SimulatedProductInstance> _all;

    /// <param name="devices">Devices that trust on their own.</param>
    /// <param name="haPairs">HA pairs; the active asks trust for both.</param>
    public SimulatedFleet(IEnumerable<SimulatedProductInstance> devices, IEnumerable<SimulatedHaPair>? haPairs = null)
    {
        ArgumentNullException.ThrowIfNull(devices);
        _singles = devices.ToList();
        HaPairs = haPairs?.ToList() ?? [];
        _all = [.. _singles, .. HaPairs.SelectMany(p => p.Members)];
        var duplicate = _all.GroupBy(d => d.Udi).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"UDI {duplicate.Key} appears more than once in the fleet");
    }

    /// <summary><paramref name="count"/> devices with serials <c>{prefix}0001</c>, <c>{prefix}0002</c>, ...</summary>
    public static SimulatedFleet Create(HttpClient http, int count, string pid, string serialPrefix)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return new SimulatedFleet(Enumerable.Range(1, count).Select(i => new SimulatedProductInstance(http, pid, Serial(serialPrefix, i, count))));
    }

    /// <summary><paramref name="pairs"/> HA pairs with serials <c>{prefix}0001A</c>/<c>{prefix}0001S</c>, ...</summary>
    public static SimulatedFleet CreateHaPairs(HttpClient http, int pairs, string pid, string serialPrefix)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentOutOfRangeException.ThrowIfLessThan(pairs, 1);
        return new SimulatedFleet([], Enumerable.Range(1, pairs).Select(i => new SimulatedHaPair(
            new SimulatedProductInstance(http, pid, Serial(serialPrefix, i, pairs) + "A"),
            new SimulatedProductInstance(http, pid, Serial(serialPrefix, i, pairs) + "S"))));
    }

    /// <summary>The HA pairs in the fleet.</summary>
    public IReadOnlyList<SimulatedHaPair> HaPairs { get; }

    /// <inheritdoc/>
    public int Count => _all.Count;

    /// <inheritdoc/>
    public SimulatedProductInstance this[int index] => _all[index];

    /// <summary>
    /// Sends one trust request per single device and per HA pair, at most <paramref name="concurrency"/>
    /// at a time, all with <paramref name="idToken"/>. Failures are results, not exceptions.
    /// </summary>
    public async Task<FleetTrustResult> TrustAllAsync(string idToken, int concurrency = 8, bool force = false, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idToken);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        var requests = _singles.Select(d => (Members: (IReadOnlyList<SimulatedProductInstance>)[d], Send: (Func<CancellationToken, Task<TrustResult>>)(c => d.EstablishTrustAsync(idToken, force: force, ct: c))))
            .Concat(HaPairs.Select(p => (Members: p.Members, Send: (Func<CancellationToken, Task<TrustResult>>)(c => p.EstablishTrustAsync(idToken, force, c)))))
            .ToList();
        var replies = new TrustResult[requests.Count];
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, requests.Count), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct },
            async (i, c) => replies[i] = await requests[i].Send(c));
        var elapsed = Stopwatch.GetElapsedTime(started);
        var byDevice = requests.SelectMany((r, i) => r.Members.Select(m => (Device: m, Result: replies[i]))).ToDictionary(x => x.Device, x => x.Result);
        return new FleetTrustResult(_all.Select(d => new DeviceTrustOutcome(d, byDevice[d])).ToList(), elapsed);
    }

    /// <inheritdoc/>
    public IEnumerator<SimulatedProductInstance> GetEnumerator() => _all.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    // Zero-padded to the fleet's size (at least 4 digits), so serials sort in fleet order.
    private static string Serial(string prefix, int i, int count)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        return prefix + i.ToString(CultureInfo.InvariantCulture).PadLeft(Math.Max(4, count.ToString(CultureInfo.InvariantCulture).Length), '0');
    }
}
