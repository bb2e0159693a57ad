using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math.EC.Multiplier;

namespace CssmSim.Engine.Signing;

internal static class KeyPairs
{
    /// <summary>Whether <paramref name="privateKey"/> is the private half of <paramref name="publicKey"/>.</summary>
    internal static bool Match(AsymmetricKeyParameter publicKey, AsymmetricKeyParameter privateKey) => (publicKey, privateKey) switch
    {
        (RsaKeyParameters pub, RsaPrivateCrtKeyParameters priv) =>
            pub.Modulus.Equals(priv.Modulus) && pub.Exponent.Equals(priv.PublicExponent),
        // ECPoint equality also compares the curves, so a key on another curve does not match.
        (ECPublicKeyParameters pub, ECPrivateKeyParameters priv) =>
            pub.Q.Normalize().Equals(new FixedPointCombMultiplier().Multiply(priv.Parameters.G, priv.D).Normalize()),
        _ => false,
    };
}
