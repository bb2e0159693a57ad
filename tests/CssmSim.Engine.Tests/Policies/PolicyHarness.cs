using System.Text.Json.Nodes;
using CssmSim.Engine.Accounts;
using CssmSim.Engine.Policies;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Signing;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Storage.Sqlite;
using CssmSim.Engine.Tests.Support;

namespace CssmSim.Engine.Tests.Policies;

/// <summary>An in-memory store seeded with a document, a signer, a manual clock and a policy service over them.</summary>
internal sealed class PolicyHarness : IAsyncDisposable
{
    /// <summary>The <c>issued_at</c> of artefacts.md's example.</summary>
    public static readonly DateTimeOffset ExampleIssuedAt = DateTimeOffset.FromUnixTimeMilliseconds(1700000000000);

    private PolicyHarness(SqliteSimulatorStore store, ManualTimeProvider clock, ArtefactSigner signer, SeedService seeds)
    {
        Store = store;
        Clock = clock;
        Signer = signer;
        Seeds = seeds;
        Policies = new PolicyService(store, signer, clock);
    }

    public SqliteSimulatorStore Store { get; }
    public ManualTimeProvider Clock { get; }
    public ArtefactSigner Signer { get; }
    public SeedService Seeds { get; }
    public PolicyService Policies { get; }

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Starts on <paramref name="yaml"/> (default: the default seed) at <see cref="ExampleIssuedAt"/>.</summary>
    public static async Task<PolicyHarness> StartAsync(string? yaml = null, SigningAlgorithm algorithm = SigningAlgorithm.Ecdsa)
    {
        yaml ??= DefaultSeed.Yaml;
        var clock = new ManualTimeProvider(ExampleIssuedAt);
        var store = SqliteSimulatorStore.Open(StoreLocation.Memory);
        try
        {
            await store.State.MigrateAsync(Ct);
            var seeds = new SeedService(store, clock, SeedReader.Parse(yaml), yaml, null);
            await seeds.InitializeAsync(Ct);
            var signer = ArtefactSigner.Create(CertificateBundle.LoadEmbedded(), algorithm);
            return new PolicyHarness(store, clock, signer, seeds);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    public Task MergeAsync(string yaml) => Seeds.MergeAsync(SeedReader.Parse(yaml), Ct);

    public async Task<(SmartAccount Sa, VirtualAccount Va)> AccountsAsync(string domain = "example.com", string va = "DEFAULT")
    {
        var sa = (await Store.Accounts.FindSmartAccountAsync(domain, Ct)).ShouldNotBeNull();
        var v = (await Store.Accounts.FindVirtualAccountAsync(sa.Id, va, Ct)).ShouldNotBeNull();
        return (sa, v);
    }

    public async Task<ResolvedPolicy> ResolveAsync(string domain = "example.com", string va = "DEFAULT")
    {
        var (sa, v) = await AccountsAsync(domain, va);
        return await Policies.ResolveAsync(sa, v, Ct);
    }

    public async Task<string> FileAsync(string domain = "example.com", string va = "DEFAULT")
    {
        var (sa, v) = await AccountsAsync(domain, va);
        return await Policies.GetPolicyFileAsync(sa, v, Ct);
    }

    public Task SetAsync(string? va, string json, string domain = "example.com") =>
        Policies.SetCustomAsync(domain, va, JsonNode.Parse(json)!, Ct);

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}

/// <summary>Policy JSON used by several tests.</summary>
internal static class PolicySamples
{
    /// <summary>
    /// The guides' "SLE Policy" as CSSM would hold it: devices show enforced/export first report
    /// as "0 (CISCO default)", so the policy leaves those two out.
    /// </summary>
    public const string Sle = """
        {"policy_name":"SLE Policy","reporting_ack_required":true,
         "unenforced_perpetual":{"first_report_days":60,"reporting_frequency_days":60,"report_on_change_days":60},
         "unenforced_subscription":{"first_report_days":30,"reporting_frequency_days":30,"report_on_change_days":30},
         "enforced":{"reporting_frequency_days":90,"report_on_change_days":90},
         "export":{"reporting_frequency_days":90,"report_on_change_days":90}}
        """;

    /// <summary>artefacts.md §Policy file, verbatim.</summary>
    public const string CiscoDefaultExample = """
        {"version":"1.0","policy_name":"Cisco default","source":"CISCO default","reporting_ack_required":true,
         "unenforced_perpetual":   {"first_report_days":365,"reporting_frequency_days":0, "report_on_change_days":90},
         "unenforced_subscription":{"first_report_days":90, "reporting_frequency_days":90,"report_on_change_days":90},
         "enforced":               {"first_report_days":0,  "reporting_frequency_days":0, "report_on_change_days":0},
         "export":                 {"first_report_days":0,  "reporting_frequency_days":0, "report_on_change_days":0},
         "sources":{"reporting_ack_required":"CISCO default",
          "unenforced_perpetual.first_report_days":"CISCO default","unenforced_perpetual.reporting_frequency_days":"CISCO default","unenforced_perpetual.report_on_change_days":"CISCO default",
          "unenforced_subscription.first_report_days":"CISCO default","unenforced_subscription.reporting_frequency_days":"CISCO default","unenforced_subscription.report_on_change_days":"CISCO default",
          "enforced.first_report_days":"CISCO default","enforced.reporting_frequency_days":"CISCO default","enforced.report_on_change_days":"CISCO default",
          "export.first_report_days":"CISCO default","export.reporting_frequency_days":"CISCO default","export.report_on_change_days":"CISCO default"},
         "issued_at":1700000000000,
         "smart_account":{"id":"123456","domain":"example.com","name":"Example Co"},
         "virtual_account":{"id":"234567","name":"DEFAULT"}}
        """;

    /// <summary>JSON text without the whitespace between tokens (strings untouched).</summary>
    public static string Compact(string json)
    {
        var sb = new System.Text.StringBuilder(json.Length);
        var inString = false;
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            if (inString)
            {
                sb.Append(c);
                if (c == '\\') sb.Append(json[++i]);
                else if (c == '"') inString = false;
            }
            else if (c == '"') { inString = true; sb.Append(c); }
            else if (!char.IsWhiteSpace(c)) sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>
    /// The "Policy:" attribute lines of <c>show license status</c> (seed-000 §3.1–§3.3) for a policy,
    /// so the guides' device output serves as a test vector.
    /// </summary>
    public static IReadOnlyList<string> DeviceLines(JsonObject policy)
    {
        var sources = policy["sources"]!.AsObject();
        string Line(string label, string cls, string field) =>
            $"{label}: {policy[cls]![field]!.GetValue<int>()} ({sources[cls + "." + field]!.GetValue<string>()})";
        var lines = new List<string>
        {
            $"Reporting ACK required: {(policy["reporting_ack_required"]!.GetValue<bool>() ? "yes" : "no")} ({sources["reporting_ack_required"]!.GetValue<string>()})",
        };
        foreach (var (title, cls) in new[]
        {
            ("Unenforced/Non-Export Perpetual Attributes:", "unenforced_perpetual"),
            ("Unenforced/Non-Export Subscription Attributes:", "unenforced_subscription"),
            ("Enforced (Perpetual/Subscription) License Attributes:", "enforced"),
            ("Export (Perpetual/Subscription) License Attributes:", "export"),
        })
        {
            lines.Add(title);
            lines.Add(Line("First report requirement (days)", cls, "first_report_days"));
            lines.Add(Line("Reporting frequency (days)", cls, "reporting_frequency_days"));
            lines.Add(Line("Report on change (days)", cls, "report_on_change_days"));
        }
        return lines;
    }

    /// <summary>The attribute lines of a verbatim device block, trimmed, blank lines dropped.</summary>
    public static IReadOnlyList<string> Lines(string block) =>
        block.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
}

/// <summary>
/// Reads a signed policy element with LINQ to XML, independently of the engine's reader, so the
/// tests check the wire format rather than one implementation against itself.
/// </summary>
internal static class PolicyArtefact
{
    public static CssmSim.Engine.Signing.ParsedArtefact Read(string xml)
    {
        var root = System.Xml.Linq.XElement.Parse(xml);
        var policy = root.Name.LocalName == "smartLicensePolicy" ? root : root.Elements("smartLicensePolicy").Single();
        var data = policy.Element("data").ShouldNotBeNull().Value;
        var signature = policy.Element("signature").ShouldNotBeNull();
        return new CssmSim.Engine.Signing.ParsedArtefact("smartLicensePolicy", Convert.FromBase64String(data), Convert.FromBase64String(signature.Value),
            (string?)signature.Attribute("alg") ?? "", (string?)signature.Attribute("keyId") ?? "");
    }
}
