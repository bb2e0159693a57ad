using System.Diagnostics;
using System.Globalization;
using System.Text;
using CssmSim.Engine.Signing;

namespace CssmSim.Load;

/// <summary>
/// The raw signing rate: the engine's BouncyCastle signer over the embedded signing key, one
/// thread per core, over a payload the size of a trust code's signed part. Measured in the same
/// run as trust establishments so the two figures share the machine's state.
/// </summary>
public static class SigningRate
{
    public static async Task<(double PerSecond, long Count)> MeasureAsync(SigningAlgorithm algorithm, int threads, TimeSpan duration)
    {
        var signer = ArtefactSigner.Create(CertificateBundle.LoadEmbedded(), algorithm);
        var data = Encoding.UTF8.GetBytes(new string('x', 900));
        signer.Sign(data); // warm
        long count = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, threads).Select(_ => Task.Factory.StartNew(() =>
        {
            long mine = 0;
            while (clock.Elapsed < duration)
            {
                signer.Sign(data);
                mine++;
            }
            Interlocked.Add(ref count, mine);
        }, TaskCreationOptions.LongRunning)));
        return (count / clock.Elapsed.TotalSeconds, count);
    }

    public static string Describe(SigningAlgorithm algorithm, int threads, double perSecond) =>
        string.Create(CultureInfo.InvariantCulture, $"raw signing {(algorithm == SigningAlgorithm.Ecdsa ? "ECDSA P-256" : "RSA-2048")} (BouncyCastle, {threads} threads): {perSecond:0}/s");
}
