using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace CssmSim.Engine.Signing;

/// <summary>PEM text to and from BouncyCastle objects.</summary>
internal static class Pem
{
    internal const string CertificateLabel = "CERTIFICATE";
    internal const string PrivateKeyLabel = "PRIVATE KEY";

    /// <summary>RFC 7468 text with LF line ends, so files are byte-identical on every OS.</summary>
    internal static string Encode(string label, byte[] der) => PemEncoding.WriteString(label, der) + "\n";

    internal static string EncodeCertificate(X509Certificate certificate) =>
        Encode(CertificateLabel, certificate.GetEncoded());

    internal static string EncodePrivateKey(AsymmetricKeyParameter privateKey) =>
        Encode(PrivateKeyLabel, Org.BouncyCastle.Pkcs.PrivateKeyInfoFactory.CreatePrivateKeyInfo(privateKey).GetDerEncoded());

    /// <summary>The first certificate in <paramref name="pem"/>; <paramref name="what"/> names it in errors.</summary>
    internal static X509Certificate ReadCertificate(string pem, string what)
    {
        var der = FindBlock(pem, CertificateLabel, what)
            ?? throw new ArgumentException($"{what} holds no '-----BEGIN {CertificateLabel}-----' block.");
        try
        {
            return new X509CertificateParser().ReadCertificate(der)
                ?? throw new ArgumentException($"{what} is not a valid X.509 certificate.");
        }
        catch (Exception ex) when (ex is not ArgumentException)
        {
            throw new ArgumentException($"{what} is not a valid X.509 certificate: {ex.Message}", ex);
        }
    }

    /// <summary>An unencrypted PKCS#8 private key, the format <c>certs init</c> and <c>openssl genpkey</c> write.</summary>
    internal static AsymmetricKeyParameter ReadPrivateKey(string pem, string what)
    {
        var der = FindBlock(pem, PrivateKeyLabel, what);
        if (der is null)
        {
            // Older openssl commands write PKCS#1/SEC1 keys; say how to convert instead of guessing the format.
            throw new ArgumentException(
                $"{what} holds no '-----BEGIN {PrivateKeyLabel}-----' block; keys must be unencrypted PKCS#8 " +
                "(convert with `openssl pkcs8 -topk8 -nocrypt -in old.key -out new.key`).");
        }

        try
        {
            var key = PrivateKeyFactory.CreateKey(der);
            return key.IsPrivate ? key : throw new ArgumentException($"{what} is not a private key.");
        }
        catch (Exception ex) when (ex is not ArgumentException)
        {
            throw new ArgumentException($"{what} is not a valid PKCS#8 private key: {ex.Message}", ex);
        }
    }

    private static byte[]? FindBlock(string pem, string label, string what)
    {
        ArgumentNullException.ThrowIfNull(pem, what);
        var rest = pem.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            if (rest[fields.Label].SequenceEqual(label))
            {
                return Convert.FromBase64String(rest[fields.Base64Data].ToString());
            }

            rest = rest[fields.Location.End..];
        }

        return null;
    }
}
