namespace CssmSim.Engine.Signing;

/// <summary>The key type that signs artefacts (config <c>Signing:Algorithm</c>).</summary>
public enum SigningAlgorithm
{
    /// <summary>ECDSA P-256 with SHA-256, DER-encoded signature (RFC 3279). The default.</summary>
    Ecdsa,

    /// <summary>RSA-2048 with SHA-256, PKCS#1 v1.5.</summary>
    Rsa,
}

/// <summary>Config and JCA names of <see cref="SigningAlgorithm"/>.</summary>
public static class SigningAlgorithmNames
{
    /// <summary>JCA name written into <c>alg</c> attributes for ECDSA signatures.</summary>
    public const string EcdsaJcaName = "SHA256withECDSA";

    /// <summary>JCA name written into <c>alg</c> attributes for RSA signatures.</summary>
    public const string RsaJcaName = "SHA256withRSA";

    /// <summary>Parses a config value: <c>ECDSA</c> or <c>RSA</c>, case-insensitive.</summary>
    /// <exception cref="ArgumentException">Anything else, including null or blank.</exception>
    public static SigningAlgorithm Parse(string value)
    {
        if (TryParse(value, out var algorithm))
        {
            return algorithm;
        }

        throw new ArgumentException(
            $"Unknown signing algorithm '{value}': Signing:Algorithm must be ECDSA or RSA.", nameof(value));
    }

    /// <summary>Like <see cref="Parse"/> without throwing.</summary>
    public static bool TryParse(string? value, out SigningAlgorithm algorithm)
    {
        // Enum.TryParse would also take "0", "1" and "Ecdsa,Rsa"; only the two documented names count.
        switch (value?.Trim().ToUpperInvariant())
        {
            case "ECDSA":
                algorithm = SigningAlgorithm.Ecdsa;
                return true;
            case "RSA":
                algorithm = SigningAlgorithm.Rsa;
                return true;
            default:
                algorithm = default;
                return false;
        }
    }

    /// <summary>The JCA signature name: <c>SHA256withECDSA</c> or <c>SHA256withRSA</c>.</summary>
    public static string ToJcaName(this SigningAlgorithm algorithm) => algorithm switch
    {
        SigningAlgorithm.Ecdsa => EcdsaJcaName,
        SigningAlgorithm.Rsa => RsaJcaName,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown signing algorithm."),
    };

    /// <summary>The config name: <c>ECDSA</c> or <c>RSA</c>.</summary>
    public static string ToConfigName(this SigningAlgorithm algorithm) => algorithm switch
    {
        SigningAlgorithm.Ecdsa => "ECDSA",
        SigningAlgorithm.Rsa => "RSA",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown signing algorithm."),
    };
}
