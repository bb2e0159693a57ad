using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Prng;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace CssmSim.Engine.Signing;

/// <summary>Per-call BouncyCastle signers over immutable, already-parsed keys.</summary>
internal static class SignatureAlgorithms
{
    /// <summary>
    /// One SecureRandom for every thread: it keeps no state of its own and draws from the OS
    /// generator, which is thread-safe, unlike BouncyCastle's default digest-based PRNG.
    /// </summary>
    internal static readonly SecureRandom Random = new(new OsRandomGenerator());

    internal static SigningAlgorithm AlgorithmOf(AsymmetricKeyParameter key) => key switch
    {
        ECKeyParameters => SigningAlgorithm.Ecdsa,
        RsaKeyParameters => SigningAlgorithm.Rsa,
        _ => throw new ArgumentException($"Unsupported key type {key.GetType().Name}: signing keys must be EC or RSA."),
    };

    internal static byte[] Sign(SigningAlgorithm algorithm, AsymmetricKeyParameter privateKey, ReadOnlySpan<byte> data)
    {
        var signer = NewSigner(algorithm);
        signer.Init(true, new ParametersWithRandom(privateKey, Random));
        signer.BlockUpdate(data);
        return signer.GenerateSignature();
    }

    internal static bool Verify(
        SigningAlgorithm algorithm, AsymmetricKeyParameter publicKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.IsEmpty)
        {
            return false;
        }

        var signer = NewSigner(algorithm);
        signer.Init(false, publicKey);
        signer.BlockUpdate(data);
        try
        {
            return signer.VerifySignature(signature.ToArray());
        }
        catch (Exception ex) when (ex is CryptoException or ArgumentException or InvalidOperationException or IOException)
        {
            // A signature that does not even decode is simply not a valid signature.
            return false;
        }
    }

    // New instances per call: BouncyCastle signers and digests carry per-message state.
    private static ISigner NewSigner(SigningAlgorithm algorithm) => algorithm switch
    {
        SigningAlgorithm.Ecdsa => new DsaDigestSigner(new ECDsaSigner(), new Sha256Digest()),
        SigningAlgorithm.Rsa => new RsaDigestSigner(new Sha256Digest()),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown signing algorithm."),
    };

    private sealed class OsRandomGenerator : IRandomGenerator
    {
        public void AddSeedMaterial(byte[] seed)
        {
            // The OS generator seeds itself.
        }

        public void AddSeedMaterial(ReadOnlySpan<byte> seed)
        {
            // The OS generator seeds itself.
        }

        public void AddSeedMaterial(long seed)
        {
            // The OS generator seeds itself.
        }

        public void NextBytes(byte[] bytes) => System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);

        public void NextBytes(byte[] bytes, int start, int len) =>
            System.Security.Cryptography.RandomNumberGenerator.Fill(bytes.AsSpan(start, len));

        public void NextBytes(Span<byte> bytes) => System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
    }
}
