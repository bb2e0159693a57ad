using System.Net;
using System.Net.Sockets;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.X509;
using Org.BouncyCastle.X509.Extension;

namespace CssmSim.Engine.Signing;

/// <summary>Makes a fresh development chain: CA, TLS and one signing certificate per algorithm.</summary>
internal static class DevCertificateGenerator
{
    private const string CertificateSignatureAlgorithm = "SHA256WITHRSA";
    private const string Organisation = "O=CssmSim (development only)";

    internal static CertificateBundle Generate(IEnumerable<string> extraSans, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(extraSans);
        var sans = TlsSubjectAltNames(extraSans);

        // BouncyCastle turns DateTime into UTCTime via ToUniversalTime, so hand it UTC kinds only.
        var notBefore = now.UtcDateTime.AddDays(-1);
        var longLived = notBefore.AddYears(20);

        // RSA key generation dominates the cost; the three keys are independent.
        var rsaKeys = Enumerable.Range(0, 3).Select(_ => Task.Run(NewRsaKeyPair)).ToArray();
        var ecdsaKey = NewEcdsaKeyPair();
        Task.WaitAll(rsaKeys);
        var (caKey, tlsKey, rsaSigningKey) = (rsaKeys[0].Result, rsaKeys[1].Result, rsaKeys[2].Result);

        var caName = new X509Name($"{Organisation},CN=CssmSim Development Root CA (testing only)");
        var caKeyId = X509ExtensionUtilities.CreateSubjectKeyIdentifier(SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(caKey.Public));

        var ca = NewBuilder(caName, caName, caKey.Public, notBefore, longLived);
        ca.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(true));
        ca.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.KeyCertSign | KeyUsage.CrlSign));
        ca.AddExtension(X509Extensions.SubjectKeyIdentifier, false, caKeyId);
        var caCertificate = SignWith(ca, caKey.Private);

        // Python 3.13+ verifies with X509_STRICT: leaf certificates need AKI, CAs need SKI and critical constraints.
        var authorityKeyId = new AuthorityKeyIdentifier(caKeyId.GetKeyIdentifier());

        var tls = NewLeafBuilder(caName, "CssmSim Development TLS (testing only)", tlsKey.Public, notBefore, notBefore.AddYears(10), authorityKeyId);
        tls.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.DigitalSignature | KeyUsage.KeyEncipherment));
        tls.AddExtension(X509Extensions.ExtendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeID.id_kp_serverAuth));
        tls.AddExtension(X509Extensions.SubjectAlternativeName, false, new GeneralNames(sans));
        var tlsCertificate = SignWith(tls, caKey.Private);

        var ecdsa = NewLeafBuilder(caName, "CssmSim Development Signing ECDSA (testing only)", ecdsaKey.Public, notBefore, longLived, authorityKeyId);
        ecdsa.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.DigitalSignature));
        var ecdsaCertificate = SignWith(ecdsa, caKey.Private);

        var rsa = NewLeafBuilder(caName, "CssmSim Development Signing RSA (testing only)", rsaSigningKey.Public, notBefore, longLived, authorityKeyId);
        rsa.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.DigitalSignature));
        var rsaCertificate = SignWith(rsa, caKey.Private);

        return new CertificateBundle(
            caCertificatePem: Pem.EncodeCertificate(caCertificate),
            caKeyPem: Pem.EncodePrivateKey(caKey.Private),
            tlsCertificatePem: Pem.EncodeCertificate(tlsCertificate),
            tlsKeyPem: Pem.EncodePrivateKey(tlsKey.Private),
            ecdsaSigningCertificatePem: Pem.EncodeCertificate(ecdsaCertificate),
            ecdsaSigningKeyPem: Pem.EncodePrivateKey(ecdsaKey.Private),
            rsaSigningCertificatePem: Pem.EncodeCertificate(rsaCertificate),
            rsaSigningKeyPem: Pem.EncodePrivateKey(rsaSigningKey.Private));
    }

    /// <summary>The default names followed by the extra ones, without duplicates.</summary>
    internal static GeneralName[] TlsSubjectAltNames(IEnumerable<string> extraSans)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var names = new List<GeneralName>();
        foreach (var raw in CertificateBundle.DefaultTlsNames.Concat(extraSans))
        {
            var name = ToGeneralName(raw, out var canonical);
            if (seen.Add(canonical))
            {
                names.Add(name);
            }
        }

        return [.. names];
    }

    private static GeneralName ToGeneralName(string? raw, out string canonical)
    {
        var value = raw?.Trim() ?? string.Empty;
        if (TryParseIpLiteral(value, out var ip))
        {
            canonical = ip.ToString();
            return new GeneralName(GeneralName.IPAddress, new DerOctetString(ip.GetAddressBytes()));
        }

        if (!IsHostName(value))
        {
            throw new ArgumentException(
                $"'{raw}' is neither a host name nor an IP address, so it cannot be a TLS subject alternative name.",
                nameof(raw));
        }

        canonical = value.ToLowerInvariant();
        return new GeneralName(GeneralName.DnsName, canonical);
    }

    // IPAddress.TryParse also takes "10" or "1.2"; a SAN only counts as an IP when written out in full.
    private static bool TryParseIpLiteral(string value, out IPAddress ip)
    {
        var literal = value.StartsWith('[') && value.EndsWith(']') ? value[1..^1] : value;
        // A zone ("fe80::1%eth0") only means something on one host, so it cannot go into a certificate.
        if (!literal.Contains('%') && IPAddress.TryParse(literal, out var parsed) &&
            (parsed.AddressFamily == AddressFamily.InterNetworkV6 ? literal.Contains(':') : literal.Split('.').Length == 4))
        {
            ip = parsed;
            return true;
        }

        ip = IPAddress.None;
        return false;
    }

    private static bool IsHostName(string value)
    {
        var name = value.StartsWith("*.", StringComparison.Ordinal) ? value[2..] : value;
        name = name.EndsWith('.') ? name[..^1] : name;
        if (name.Length is 0 or > 253)
        {
            return false;
        }

        // Underscores are not valid DNS but are common in container service names; OpenSSL accepts them.
        return name.Split('.').All(label =>
            label.Length is > 0 and <= 63 &&
            label[0] != '-' && label[^1] != '-' &&
            label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
    }

    private static AsymmetricCipherKeyPair NewRsaKeyPair()
    {
        var generator = new RsaKeyPairGenerator();
        generator.Init(new KeyGenerationParameters(SignatureAlgorithms.Random, 2048));
        return generator.GenerateKeyPair();
    }

    private static AsymmetricCipherKeyPair NewEcdsaKeyPair()
    {
        // The named-curve OID makes the PKCS#8 and SPKI encodings name P-256 rather than spell out its parameters.
        var generator = new ECKeyPairGenerator();
        generator.Init(new ECKeyGenerationParameters(SecObjectIdentifiers.SecP256r1, SignatureAlgorithms.Random));
        return generator.GenerateKeyPair();
    }

    private static X509V3CertificateGenerator NewBuilder(
        X509Name issuer, X509Name subject, AsymmetricKeyParameter publicKey, DateTime notBefore, DateTime notAfter)
    {
        var builder = new X509V3CertificateGenerator();
        builder.SetSerialNumber(NewSerialNumber());
        builder.SetIssuerDN(issuer);
        builder.SetSubjectDN(subject);
        builder.SetNotBefore(notBefore);
        builder.SetNotAfter(notAfter);
        builder.SetPublicKey(publicKey);
        return builder;
    }

    private static X509V3CertificateGenerator NewLeafBuilder(
        X509Name issuer, string commonName, AsymmetricKeyParameter publicKey, DateTime notBefore, DateTime notAfter,
        AuthorityKeyIdentifier authorityKeyId)
    {
        var builder = NewBuilder(issuer, new X509Name($"{Organisation},CN={commonName}"), publicKey, notBefore, notAfter);
        builder.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(false));
        builder.AddExtension(X509Extensions.SubjectKeyIdentifier, false,
            X509ExtensionUtilities.CreateSubjectKeyIdentifier(SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(publicKey)));
        builder.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, authorityKeyId);
        return builder;
    }

    private static X509Certificate SignWith(X509V3CertificateGenerator builder, AsymmetricKeyParameter caPrivateKey) =>
        builder.Generate(new Asn1SignatureFactory(CertificateSignatureAlgorithm, caPrivateKey, SignatureAlgorithms.Random));

    // 128 random bits, positive and non-zero as RFC 5280 requires (at most 20 octets once DER-encoded).
    private static BigInteger NewSerialNumber()
    {
        BigInteger serial;
        do
        {
            serial = new BigInteger(128, SignatureAlgorithms.Random);
        }
        while (serial.SignValue == 0);

        return serial;
    }
}
