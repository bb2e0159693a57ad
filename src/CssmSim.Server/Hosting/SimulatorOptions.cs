using System.Globalization;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Signing;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Time;
using Microsoft.Extensions.Configuration;

namespace CssmSim.Server.Hosting;

/// <summary>A setting that cannot be used; the message names the key and what is allowed.</summary>
public sealed class SimulatorConfigurationException(string message) : Exception(message);

/// <summary>
/// Everything a simulator needs to start, whichever face starts it: <c>cssmsim serve</c> builds it
/// from configuration (<see cref="FromConfiguration"/>), the test fixture sets it in code.
/// </summary>
public sealed class SimulatorOptions
{
    /// <summary>Listen addresses; port 0 picks a free one.</summary>
    public IReadOnlyList<string> Urls { get; set; } = ["http://127.0.0.1:8080"];
    /// <summary>Adds HTTPS on port 8443 of each host in <see cref="Urls"/>.</summary>
    public bool Https { get; set; }
    public StoreLocation Store { get; set; } = StoreLocation.SqliteFile("data/cssmsim.db");
    public string SqliteSynchronous { get; set; } = "NORMAL";
    /// <summary>The start-up seed and the reset target.</summary>
    public SeedDocument Seed { get; set; } = DefaultSeed.Document;
    /// <summary>The seed's source text (its fingerprint tells a restart from a changed seed).</summary>
    public string SeedText { get; set; } = DefaultSeed.Yaml;
    public long? RandomSeed { get; set; }
    /// <summary><c>--reset</c>: start from the seed alone, dropping what an existing store holds.</summary>
    public bool ResetOnStart { get; set; }
    public string? ControlApiKey { get; set; }
    /// <summary>Where a generated control key is kept between starts.</summary>
    public string ControlKeyFile { get; set; } = "data/control.key";
    public int OAuthTokenLifetimeSeconds { get; set; } = 3599;
    public SigningAlgorithm SigningAlgorithm { get; set; } = SigningAlgorithm.Ecdsa;
    /// <summary>Keys and certificates; null loads <see cref="CertificatesDirectory"/> when it holds them, else the embedded dev copies.</summary>
    public CertificateBundle? Certificates { get; set; }
    public string CertificatesDirectory { get; set; } = "certs";
    public int JournalCapacity { get; set; } = 10_000;
    /// <summary><c>Journal:MaxBytes</c>: the journal drops its oldest entries beyond this estimate of memory held (64 MiB).</summary>
    public long JournalMaxBytes { get; set; } = Journal.RequestJournal.DefaultMaxBytes;
    /// <summary>
    /// <c>Journal:Persist</c>: the journal is also written to the store, so every process on it (replicas
    /// on one PostgreSQL database) shows every process's requests. Unset: on for PostgreSQL, off otherwise.
    /// </summary>
    public bool? JournalPersist { get; set; }

    /// <summary>Whether the journal is written to the store (<see cref="JournalPersist"/>, or its default for the store).</summary>
    public bool PersistsJournal => JournalPersist ?? Store.Engine == StoreEngine.Postgres;
    /// <summary>
    /// <c>Limits:DeviceBodyBytes</c>: the largest body of a device message (smart transport and the SLP
    /// device routes), which anyone can send without a key. 1 MiB holds thousands of usage reports.
    /// </summary>
    public long DeviceBodyBytes { get; set; } = 1024 * 1024;
    /// <summary><c>Uploads:MaxInFlight</c>: offline usage uploads read at once; more are answered 429 with Retry-After.</summary>
    public int UploadsMaxInFlight { get; set; } = 2;
    /// <summary>
    /// <c>Uploads:TempDirectory</c>: where an offline usage upload's body is spooled while it is read
    /// (deleted when the request ends, answered or not); <c>cssmsim-uploads</c> in the system temp directory by default.
    /// </summary>
    public string UploadsTempDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "cssmsim-uploads");
    /// <summary>
    /// <c>Security:MaxFailedAttempts</c>: wrong control keys or portal passwords from one client address
    /// before further attempts are answered 429 (for <c>Security:LockoutSeconds</c>, 60, doubling each time).
    /// </summary>
    public int MaxFailedAttempts { get; set; } = 5;
    public int LockoutSeconds { get; set; } = 60;
    /// <summary>Start-up values of the built-in token max-uses bottleneck rule.</summary>
    public Engine.Faults.BottleneckSettings TokenBottleneck { get; set; } = new();
    /// <summary>The <c>poll_interval</c> answered by asynchronous APIs unless a poll transition sets another.</summary>
    public int PollIntervalSeconds { get; set; } = 300;
    /// <summary><c>Polling:Timing</c> (<c>serve --timing</c>): the timing profile at start-up, and what a reset returns to.</summary>
    public Engine.Jobs.TimingProfile TimingProfile { get; set; } = Engine.Jobs.TimingProfile.Fast;
    /// <summary>Smart transport refuses messages whose header.timestamp is further than this from virtual time (off when null).</summary>
    public int? SmartTransportMaxClockSkewSeconds { get; set; }
    /// <summary><c>Rum:StrictSignatures</c>: verify builtin RUM signatures with each device's RUM key (off: real devices' keys are unknown).</summary>
    public bool RumStrictSignatures { get; set; }
    /// <summary>Offline usage upload limits (<c>Uploads:MaxCompressedBytes</c>, <c>:MaxExpandedBytes</c>, <c>:MaxEntries</c>): 64 MiB, 512 MiB, 100,000.</summary>
    public Engine.UsageFiles.UploadLimits UploadLimits { get; set; } = Engine.UsageFiles.UploadLimits.Default;
    /// <summary>The simulator clock; a new system-mode clock when null.</summary>
    public SimulatorClock? Clock { get; set; }
    /// <summary>
    /// The demo portal at <c>/portal</c>. <c>cssmsim serve</c> turns it on (<c>Portal:Enabled</c>, default
    /// true); built in code it is off unless asked for, since its Razor Pages add tens of milliseconds
    /// to every start (docs/performance.md). Off, the application registers no MVC services at all.
    /// </summary>
    public bool Portal { get; set; }
    /// <summary>Console logging (the server) or none (fixtures, which plug in their own).</summary>
    public bool ConsoleLogging { get; set; }
    public Microsoft.Extensions.Logging.LogLevel MinimumLogLevel { get; set; } = Microsoft.Extensions.Logging.LogLevel.Warning;
    /// <summary>Per-category levels (<c>Logging:LogLevel:CATEGORY</c>), applied over <see cref="MinimumLogLevel"/>.</summary>
    public IReadOnlyDictionary<string, Microsoft.Extensions.Logging.LogLevel> LogLevels { get; set; } = new Dictionary<string, Microsoft.Extensions.Logging.LogLevel>();

    /// <summary>
    /// Reads the keys of control.md §Configuration (appsettings.json, <c>CSSMSIM__</c> environment
    /// variables and command-line flags all end up here).
    /// </summary>
    public static SimulatorOptions FromConfiguration(IConfiguration config)
    {
        var o = new SimulatorOptions { ConsoleLogging = true, MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Information };
        if (config["Urls"] is { Length: > 0 } urls)
            o.Urls = urls.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var url in o.Urls)
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"), UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
                throw new SimulatorConfigurationException($"Urls: '{url}' is not an http:// or https:// address");
        }
        o.Https = Bool(config, "Https", false);
        try
        {
            o.Store = StoreLocation.Parse(config["Store"]);
        }
        catch (ArgumentException e)
        {
            throw new SimulatorConfigurationException("Store: " + e.Message);
        }
        o.SqliteSynchronous = (config["Sqlite:Synchronous"] ?? "NORMAL").Trim().ToUpperInvariant();
        if (o.SqliteSynchronous is not ("NORMAL" or "FULL"))
            throw new SimulatorConfigurationException("Sqlite:Synchronous must be NORMAL or FULL");
        if (config["Seed"] is { Length: > 0 } seedPath)
        {
            if (!File.Exists(seedPath)) throw new SimulatorConfigurationException($"Seed: file '{seedPath}' does not exist");
            if (new FileInfo(seedPath).Length > StructuredText.MaxChars * 4L)
                throw new SimulatorConfigurationException($"Seed: {seedPath}:1:1: the file is larger than the {StructuredText.MaxChars}-character limit");
            o.SeedText = File.ReadAllText(seedPath);
            try
            {
                o.Seed = SeedReader.Read(StructuredText.Parse(o.SeedText));
            }
            catch (StructuredText.FormatException e)
            {
                // FILE:LINE:COL, as compilers print it, so editors jump to the spot.
                throw new SimulatorConfigurationException($"Seed: {seedPath}:{Math.Max(1, e.Line)}:{Math.Max(1, e.Column)}: " + e.Message);
            }
            catch (Engine.Validation.EngineValidationException e)
            {
                throw new SimulatorConfigurationException($"Seed: {seedPath}: " + e.Message);
            }
        }
        if (config["RandomSeed"] is { Length: > 0 } rs)
        {
            if (!long.TryParse(rs, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seed))
                throw new SimulatorConfigurationException($"RandomSeed: '{rs}' is not a whole number");
            o.RandomSeed = seed;
        }
        o.ResetOnStart = Bool(config, "Reset", false);
        o.ControlApiKey = config["Control:ApiKey"] is { Length: > 0 } key ? key : null;
        o.ControlKeyFile = config["Control:KeyFile"] is { Length: > 0 } kf ? kf : o.ControlKeyFile;
        o.OAuthTokenLifetimeSeconds = Int(config, "OAuth:TokenLifetimeSeconds", 3599, 900, int.MaxValue);
        try
        {
            o.SigningAlgorithm = config["Signing:Algorithm"] is { Length: > 0 } alg ? SigningAlgorithmNames.Parse(alg) : SigningAlgorithm.Ecdsa;
        }
        catch (ArgumentException e)
        {
            throw new SimulatorConfigurationException("Signing:Algorithm: " + e.Message);
        }
        o.CertificatesDirectory = config["Certs:Directory"] is { Length: > 0 } dir ? dir : o.CertificatesDirectory;
        o.JournalCapacity = Int(config, "Journal:Capacity", 10_000, 1, 10_000_000);
        o.JournalMaxBytes = Long(config, "Journal:MaxBytes", o.JournalMaxBytes, 64 * 1024, long.MaxValue);
        o.JournalPersist = config["Journal:Persist"] is { Length: > 0 } ? Bool(config, "Journal:Persist", false) : null;
        o.DeviceBodyBytes = Long(config, "Limits:DeviceBodyBytes", o.DeviceBodyBytes, 16 * 1024, 64L * 1024 * 1024);
        o.UploadsMaxInFlight = Int(config, "Uploads:MaxInFlight", o.UploadsMaxInFlight, 1, 10_000);
        o.UploadsTempDirectory = config["Uploads:TempDirectory"] is { Length: > 0 } spool ? spool : o.UploadsTempDirectory;
        o.MaxFailedAttempts = Int(config, "Security:MaxFailedAttempts", o.MaxFailedAttempts, 1, 1_000_000);
        o.LockoutSeconds = Int(config, "Security:LockoutSeconds", o.LockoutSeconds, 1, 86_400);
        o.TokenBottleneck = new Engine.Faults.BottleneckSettings(
            Bool(config, "Faults:TokenBottleneck:Enabled", true),
            Int(config, "Faults:TokenBottleneck:ConcurrentAbove", 4, 1, 100_000),
            Int(config, "Faults:TokenBottleneck:HoldMs", 200, 0, 600_000));
        o.PollIntervalSeconds = Int(config, "Polling:IntervalSeconds", 300, 1, 86_400);
        if (config["Polling:Timing"] is { Length: > 0 } timing)
            o.TimingProfile = Engine.Jobs.TimingProfiles.Parse(timing)
                ?? throw new SimulatorConfigurationException($"Polling:Timing: '{timing}' is not a timing profile (fast or realistic)");
        o.RumStrictSignatures = Bool(config, "Rum:StrictSignatures", false);
        o.Portal = Bool(config, "Portal:Enabled", true);
        o.SmartTransportMaxClockSkewSeconds = string.IsNullOrWhiteSpace(config["SmartTransport:MaxClockSkewSeconds"])
            ? null : Int(config, "SmartTransport:MaxClockSkewSeconds", 0, 1, 10 * 365 * 86_400);
        ReadLogLevels(config, o);
        o.UploadLimits = new Engine.UsageFiles.UploadLimits(
            Long(config, "Uploads:MaxCompressedBytes", Engine.UsageFiles.UploadLimits.DefaultMaxCompressedBytes, 1, int.MaxValue),
            Long(config, "Uploads:MaxExpandedBytes", Engine.UsageFiles.UploadLimits.DefaultMaxExpandedBytes, 1, long.MaxValue),
            Int(config, "Uploads:MaxEntries", Engine.UsageFiles.UploadLimits.DefaultMaxEntries, 1, int.MaxValue));
        return o;
    }

    // Logging:LogLevel:Default (also --log-level) sets the floor; Logging:LogLevel:CssmSim.Server.Pipeline.RequestLogging=Warning
    // and the like tune one category, as in any ASP.NET Core application.
    private static void ReadLogLevels(IConfiguration config, SimulatorOptions o)
    {
        var levels = new Dictionary<string, Microsoft.Extensions.Logging.LogLevel>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in config.GetSection("Logging:LogLevel").GetChildren())
        {
            if (string.IsNullOrWhiteSpace(entry.Value)) continue;
            if (!Enum.TryParse<Microsoft.Extensions.Logging.LogLevel>(entry.Value.Trim(), ignoreCase: true, out var level) || !Enum.IsDefined(level) || int.TryParse(entry.Value, out _))
                throw new SimulatorConfigurationException($"Logging:LogLevel:{entry.Key}: '{entry.Value}' is not a log level (Trace, Debug, Information, Warning, Error, Critical, None)");
            if (entry.Key.Equals("Default", StringComparison.OrdinalIgnoreCase)) o.MinimumLogLevel = level;
            else levels[entry.Key] = level;
        }
        o.LogLevels = levels;
    }

    private static bool Bool(IConfiguration config, string key, bool fallback)
    {
        var v = config[key];
        if (string.IsNullOrWhiteSpace(v)) return fallback;
        return bool.TryParse(v, out var b) ? b : throw new SimulatorConfigurationException($"{key}: '{v}' is not true or false");
    }

    private static long Long(IConfiguration config, string key, long fallback, long min, long max)
    {
        var v = config[key];
        if (string.IsNullOrWhiteSpace(v)) return fallback;
        if (!long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
            throw new SimulatorConfigurationException($"{key}: '{v}' must be a whole number from {min} to {max}");
        return n;
    }

    private static int Int(IConfiguration config, string key, int fallback, int min, int max)
    {
        var v = config[key];
        if (string.IsNullOrWhiteSpace(v)) return fallback;
        if (!int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
            throw new SimulatorConfigurationException($"{key}: '{v}' must be a whole number from {min} to {max}");
        return n;
    }
}
