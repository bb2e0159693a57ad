using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.X509;

namespace CssmSim.Engine.Signing;

/// <summary>
/// The PEM texts of the simulator's development chain: a root CA, a TLS certificate and one
/// signing certificate per <see cref="SigningAlgorithm"/>, each with its PKCS#8 private key.
/// </summary>
public sealed class CertificateBundle
{
    public const string CaCertificateFileName = "ca.crt";
    public const string CaKeyFileName = "ca.key";
    public const string TlsCertificateFileName = "tls.crt";
    public const string TlsKeyFileName = "tls.key";
    public const string EcdsaSigningCertificateFileName = "signing.crt";
    public const string EcdsaSigningKeyFileName = "signing.key";
    public const string RsaSigningCertificateFileName = "signing-rsa.crt";
    public const string RsaSigningKeyFileName = "signing-rsa.key";

    private const string ResourcePrefix = "CssmSim.DevCerts.";

    private static readonly Lazy<CertificateBundle> Embedded = new(ReadEmbedded, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The eight files, in the order <see cref="WriteToDirectory"/> writes them.</summary>
    public static IReadOnlyList<string> FileNames { get; } =
    [
        CaCertificateFileName, CaKeyFileName, TlsCertificateFileName, TlsKeyFileName,
        EcdsaSigningCertificateFileName, EcdsaSigningKeyFileName, RsaSigningCertificateFileName, RsaSigningKeyFileName,
    ];

    /// <summary>Subject alternative names every generated TLS certificate carries.</summary>
    public static IReadOnlyList<string> DefaultTlsNames { get; } =
    [
        "localhost", "127.0.0.1", "::1",
        "cloudsso.cisco.com", "id.cisco.com", "swapi.cisco.com", "apx.cisco.com", "apmx.cisco.com",
        "smartreceiver.cisco.com", "smartreceiver-stage.cisco.com",
    ];

    /// <summary>Checks every text and pairing up front: a bad file fails at load, not at the first signature.</summary>
    /// <exception cref="ArgumentException">
    /// A text is not the PEM certificate or PKCS#8 key it should be, a key does not belong to its
    /// certificate, or a signing pair is not of its algorithm's key type.
    /// </exception>
    public CertificateBundle(
        string caCertificatePem, string caKeyPem,
        string tlsCertificatePem, string tlsKeyPem,
        string ecdsaSigningCertificatePem, string ecdsaSigningKeyPem,
        string rsaSigningCertificatePem, string rsaSigningKeyPem)
        : this(caCertificatePem, caKeyPem, tlsCertificatePem, tlsKeyPem, ecdsaSigningCertificatePem, ecdsaSigningKeyPem,
            rsaSigningCertificatePem, rsaSigningKeyPem, source: null)
    {
        ReadPair(caCertificatePem, caKeyPem, CaCertificateFileName, CaKeyFileName);
        ReadPair(tlsCertificatePem, tlsKeyPem, TlsCertificateFileName, TlsKeyFileName);
        _ = _ecdsaSigning.Value;
        _ = _rsaSigning.Value;
    }

    /// <summary>
    /// The embedded copies (<paramref name="source"/> set): each signing pair is parsed and checked when
    /// first used and the CA and TLS pairs not at all, because reading all four costs a fresh process
    /// about half a second (BouncyCastle's RSA modulus checks, cold). <c>CertificateBundleTests</c>
    /// puts the embedded texts through every check of the public constructor instead.
    /// </summary>
    private CertificateBundle(
        string caCertificatePem, string caKeyPem,
        string tlsCertificatePem, string tlsKeyPem,
        string ecdsaSigningCertificatePem, string ecdsaSigningKeyPem,
        string rsaSigningCertificatePem, string rsaSigningKeyPem, string? source)
    {
        _ecdsaSigning = new(() => Checked(source, () => ReadPair<ECPublicKeyParameters>(
            ecdsaSigningCertificatePem, ecdsaSigningKeyPem, EcdsaSigningCertificateFileName, EcdsaSigningKeyFileName, "an EC")));
        _rsaSigning = new(() => Checked(source, () => ReadPair<RsaKeyParameters>(
            rsaSigningCertificatePem, rsaSigningKeyPem, RsaSigningCertificateFileName, RsaSigningKeyFileName, "an RSA")));

        CaCertificatePem = caCertificatePem;
        CaKeyPem = caKeyPem;
        TlsCertificatePem = tlsCertificatePem;
        TlsKeyPem = tlsKeyPem;
        EcdsaSigningCertificatePem = ecdsaSigningCertificatePem;
        EcdsaSigningKeyPem = ecdsaSigningKeyPem;
        RsaSigningCertificatePem = rsaSigningCertificatePem;
        RsaSigningKeyPem = rsaSigningKeyPem;
    }

    public string CaCertificatePem { get; }
    public string CaKeyPem { get; }
    public string TlsCertificatePem { get; }
    public string TlsKeyPem { get; }
    public string EcdsaSigningCertificatePem { get; }
    public string EcdsaSigningKeyPem { get; }
    public string RsaSigningCertificatePem { get; }
    public string RsaSigningKeyPem { get; }

    // Parsed once per bundle so signers built from the same bundle skip PEM and ASN.1 work.
    private readonly Lazy<(X509Certificate Certificate, AsymmetricKeyParameter Key)> _ecdsaSigning;
    private readonly Lazy<(X509Certificate Certificate, AsymmetricKeyParameter Key)> _rsaSigning;

    internal X509Certificate EcdsaSigningCertificate => _ecdsaSigning.Value.Certificate;
    internal AsymmetricKeyParameter EcdsaSigningKey => _ecdsaSigning.Value.Key;
    internal X509Certificate RsaSigningCertificate => _rsaSigning.Value.Certificate;
    internal AsymmetricKeyParameter RsaSigningKey => _rsaSigning.Value.Key;

    /// <summary>The committed dev chain compiled into the engine; parsed once, no key generation.</summary>
    /// <exception cref="InvalidOperationException">The engine was built without the <c>certs/</c> files.</exception>
    public static CertificateBundle LoadEmbedded() => Embedded.Value;

    /// <summary>Reads the eight <see cref="FileNames"/> from <paramref name="directory"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">One of the files is missing; the message names it.</exception>
    /// <exception cref="InvalidOperationException">
    /// A file is not valid PEM of the expected kind, or a key does not belong to its certificate; the message names it.
    /// </exception>
    public static CertificateBundle LoadFromDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException(
                $"Certificate directory '{Path.GetFullPath(directory)}' does not exist; create it with `cssmsim certs init --out {directory}`.");
        }

        return Build(name =>
        {
            var path = Path.Combine(directory, name);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException(
                    $"Certificate file '{Path.GetFullPath(path)}' is missing; the directory needs all of " +
                    $"{string.Join(", ", FileNames)} (`cssmsim certs init --out {directory}` writes them).",
                    path);
            }

            return File.ReadAllText(path);
        }, $"directory '{Path.GetFullPath(directory)}'");
    }

    /// <summary>
    /// Makes a new chain: RSA-2048 CA and TLS keys, an ECDSA P-256 and an RSA-2048 signing key.
    /// The TLS certificate names <see cref="DefaultTlsNames"/> plus <paramref name="extraSans"/>
    /// (IP literals become iPAddress entries, anything else dNSName entries).
    /// </summary>
    /// <exception cref="ArgumentException">An extra SAN is neither a host name nor an IP address.</exception>
    public static CertificateBundle Generate(IEnumerable<string> extraSans, DateTimeOffset now) =>
        DevCertificateGenerator.Generate(extraSans, now);

    /// <summary>Writes the eight <see cref="FileNames"/>, replacing existing ones; keys are made owner-only on Unix.</summary>
    public void WriteToDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);
        foreach (var (name, text) in Files())
        {
            var path = Path.Combine(directory, name);
            if (name.EndsWith(".key", StringComparison.Ordinal))
            {
                WritePrivate(path, text);
            }
            else
            {
                File.WriteAllText(path, text);
            }
        }
    }

    private IEnumerable<(string Name, string Text)> Files() =>
    [
        (CaCertificateFileName, CaCertificatePem), (CaKeyFileName, CaKeyPem),
        (TlsCertificateFileName, TlsCertificatePem), (TlsKeyFileName, TlsKeyPem),
        (EcdsaSigningCertificateFileName, EcdsaSigningCertificatePem), (EcdsaSigningKeyFileName, EcdsaSigningKeyPem),
        (RsaSigningCertificateFileName, RsaSigningCertificatePem), (RsaSigningKeyFileName, RsaSigningKeyPem),
    ];

    private static void WritePrivate(string path, string text)
    {
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            // Tighten an existing file before rewriting it so the new key is never world-readable.
            if (File.Exists(path))
            {
                File.SetUnixFileMode(path, OwnerOnly);
            }

            options.UnixCreateMode = OwnerOnly;
        }

        using (var writer = new StreamWriter(path, new System.Text.UTF8Encoding(false), options))
        {
            writer.Write(text);
        }

        if (!OperatingSystem.IsWindows())
        {
            // UnixCreateMode is filtered by the umask; set the mode explicitly as well.
            File.SetUnixFileMode(path, OwnerOnly);
        }
    }

    /// <summary>The embedded PEM texts in <see cref="FileNames"/> order.</summary>
    private static string[] EmbeddedTexts()
    {
        var assembly = typeof(CertificateBundle).Assembly;
        return FileNames.Select(name =>
        {
            using var stream = assembly.GetManifestResourceStream(ResourcePrefix + name)
                ?? throw new InvalidOperationException(
                    $"Embedded resource '{ResourcePrefix}{name}' is missing: the engine was built without certs/{name}. " +
                    "Run `cssmsim certs init --out certs` and rebuild.");
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }).ToArray();
    }

    private static CertificateBundle ReadEmbedded()
    {
        var t = EmbeddedTexts();
        return new CertificateBundle(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], "the engine's embedded copies");
    }

    // A pair checked late still fails as Build reports a bad file.
    private static T Checked<T>(string? source, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (ArgumentException ex) when (source is not null)
        {
            throw new InvalidOperationException($"Bad certificate material in {source}: {ex.Message}", ex);
        }
    }

    private static CertificateBundle Build(Func<string, string> read, string source)
    {
        var texts = FileNames.Select(read).ToArray();
        try
        {
            return new CertificateBundle(texts[0], texts[1], texts[2], texts[3], texts[4], texts[5], texts[6], texts[7]);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"Bad certificate material in {source}: {ex.Message}", ex);
        }
    }

    private static (X509Certificate Certificate, AsymmetricKeyParameter Key) ReadPair<TPublic>(
        string certificatePem, string keyPem, string certificateName, string keyName, string kind)
        where TPublic : AsymmetricKeyParameter
    {
        var pair = ReadPair(certificatePem, keyPem, certificateName, keyName);
        if (pair.Certificate.GetPublicKey() is not TPublic)
        {
            throw new ArgumentException($"{certificateName} must hold {kind} key, not {pair.Certificate.GetPublicKey().GetType().Name}.");
        }

        return pair;
    }

    private static (X509Certificate Certificate, AsymmetricKeyParameter Key) ReadPair(
        string certificatePem, string keyPem, string certificateName, string keyName)
    {
        var certificate = Pem.ReadCertificate(certificatePem, certificateName);
        var key = Pem.ReadPrivateKey(keyPem, keyName);
        if (!KeyPairs.Match(certificate.GetPublicKey(), key))
        {
            throw new ArgumentException(
                $"{keyName} is not the private key of {certificateName}; regenerate both with `cssmsim certs init`.");
        }

        return (certificate, key);
    }
}
