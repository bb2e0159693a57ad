using System.Text;
using BenchmarkDotNet.Attributes;
using CssmSim.Engine.Signing;

namespace CssmSim.Benchmarks;

/// <summary>
/// The raw cost of one artefact signature (the engine's BouncyCastle signer, one thread), beside
/// which the load driver's trust establishments per second are read (docs/performance.md).
/// </summary>
[MemoryDiagnoser]
public class SigningBenchmarks
{
    private readonly byte[] _payload = Encoding.UTF8.GetBytes(new string('x', 900));
    private ArtefactSigner _ecdsa = null!;
    private ArtefactSigner _rsa = null!;
    private byte[] _ecdsaSignature = null!;

    [GlobalSetup]
    public void Setup()
    {
        var bundle = CertificateBundle.LoadEmbedded();
        _ecdsa = ArtefactSigner.Create(bundle, SigningAlgorithm.Ecdsa);
        _rsa = ArtefactSigner.Create(bundle, SigningAlgorithm.Rsa);
        _ecdsaSignature = _ecdsa.Sign(_payload);
    }

    [Benchmark(Baseline = true, Description = "sign ECDSA P-256 (900 B)")]
    public byte[] SignEcdsa() => _ecdsa.Sign(_payload);

    [Benchmark(Description = "sign RSA-2048 (900 B)")]
    public byte[] SignRsa() => _rsa.Sign(_payload);

    [Benchmark(Description = "verify ECDSA P-256 (900 B)")]
    public bool VerifyEcdsa() => _ecdsa.Verify(_payload, _ecdsaSignature);
}
