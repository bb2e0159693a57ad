using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.X509;

namespace CssmSim.Engine.Signing;

/// <summary>
/// Signs artefacts with the active signing key. Keys are parsed once at creation; every call
/// builds its own BouncyCastle signer, so one instance serves concurrent requests.
/// </summary>
public sealed class ArtefactSigner
{
    private readonly AsymmetricKeyParameter privateKey;
    private readonly AsymmetricKeyParameter publicKey;

    private ArtefactSigner(
        SigningAlgorithm algorithm, X509Certificate certificate, AsymmetricKeyParameter privateKey,
        string signingCertificatePem, CertificateBundle bundle)
    {
        Algorithm = algorithm;
        AlgorithmName = algorithm.ToJcaName();
        KeyId = KeyIdOf(certificate.GetEncoded());
        SigningCertificatePem = signingCertificatePem;
        CaCertificatePem = bundle.CaCertificatePem;
        TlsCertificatePem = bundle.TlsCertificatePem;
        this.privateKey = privateKey;
        publicKey = certificate.GetPublicKey();
    }

    public SigningAlgorithm Algorithm { get; }

    /// <summary><c>SHA256withECDSA</c> or <c>SHA256withRSA</c>, for the <c>alg</c> attribute.</summary>
    public string AlgorithmName { get; }

    /// <summary>First 16 lowercase hex characters of SHA-256 over the DER signing certificate.</summary>
    public string KeyId { get; }

    public string SigningCertificatePem { get; }
    public string CaCertificatePem { get; }
    public string TlsCertificatePem { get; }

    /// <summary>A signer over the bundle's signing key for <paramref name="algorithm"/>.</summary>
    /// <remarks>The bundle has already checked that the key belongs to the certificate.</remarks>
    public static ArtefactSigner Create(CertificateBundle bundle, SigningAlgorithm algorithm)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        return algorithm switch
        {
            SigningAlgorithm.Ecdsa => new ArtefactSigner(
                algorithm, bundle.EcdsaSigningCertificate, bundle.EcdsaSigningKey, bundle.EcdsaSigningCertificatePem, bundle),
            SigningAlgorithm.Rsa => new ArtefactSigner(
                algorithm, bundle.RsaSigningCertificate, bundle.RsaSigningKey, bundle.RsaSigningCertificatePem, bundle),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown signing algorithm."),
        };
    }

    /// <summary>
    /// The signature over <paramref name="data"/>: DER-encoded ECDSA (RFC 3279) or PKCS#1 v1.5 RSA,
    /// both over SHA-256, as <c>openssl dgst -sha256 -verify</c> expects.
    /// </summary>
    public byte[] Sign(ReadOnlySpan<byte> data) => SignatureAlgorithms.Sign(Algorithm, privateKey, data);

    /// <summary>Whether <paramref name="signature"/> is this signer's signature over <paramref name="data"/>.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        SignatureAlgorithms.Verify(Algorithm, publicKey, data, signature);

    /// <summary>
    /// Checks a signature against a published certificate (the first one in <paramref name="certificatePem"/>),
    /// taking the algorithm from its public key: EC means SHA256withECDSA, RSA means SHA256withRSA.
    /// </summary>
    /// <exception cref="ArgumentException">The PEM holds no usable certificate, or its key is neither EC nor RSA.</exception>
    public static bool VerifyWithCertificate(string certificatePem, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        var key = Pem.ReadCertificate(certificatePem, "the certificate").GetPublicKey();
        return SignatureAlgorithms.Verify(SignatureAlgorithms.AlgorithmOf(key), key, data, signature);
    }

    private static string KeyIdOf(byte[] certificateDer) => Convert.ToHexStringLower(SHA256.HashData(certificateDer), 0, 8);
}
