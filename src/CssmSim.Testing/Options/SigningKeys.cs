using CssmSim.Engine.Signing;

namespace CssmSim.Testing;

/// <summary>The key type that signs trust codes, policies and ACKs.</summary>
public enum SigningKeyType
{
    /// <summary>ECDSA P-256 with SHA-256 (the default, and what CSSM uses).</summary>
    Ecdsa,

    /// <summary>RSA-2048 with SHA-256.</summary>
    Rsa,
}

/// <summary>
/// The certificates and keys a simulator signs artefacts and serves TLS with: the embedded dev set
/// (no key generation, so the fastest start) or a freshly generated one.
/// </summary>
public sealed class SigningKeys
{
    private SigningKeys(Func<CertificateBundle> bundle, SigningKeyType type)
    {
        Bundle = bundle;
        Type = type;
    }

    /// <summary>The development CA, signing keys and TLS certificate shipped inside the package (ECDSA signatures).</summary>
    public static SigningKeys Embedded { get; } = new(CertificateBundle.LoadEmbedded, SigningKeyType.Ecdsa);

    /// <summary>
    /// A new CA, signing keys of both types and a TLS certificate for localhost and 127.0.0.1,
    /// generated now (tens of milliseconds): no other simulator shares them.
    /// </summary>
    public static SigningKeys Generate()
    {
        var bundle = CertificateBundle.Generate([], DateTimeOffset.UtcNow);
        return new SigningKeys(() => bundle, SigningKeyType.Ecdsa);
    }

    /// <summary>The key type artefacts are signed with.</summary>
    public SigningKeyType Type { get; }

    internal Func<CertificateBundle> Bundle { get; }

    internal SigningAlgorithm Algorithm => Type == SigningKeyType.Rsa ? SigningAlgorithm.Rsa : SigningAlgorithm.Ecdsa;

    /// <summary>The same certificates and keys, signing with <paramref name="type"/>.</summary>
    public SigningKeys Using(SigningKeyType type) =>
        Enum.IsDefined(type) ? new SigningKeys(Bundle, type) : throw new ArgumentOutOfRangeException(nameof(type), type, "must be Ecdsa or Rsa");
}
