using System.Text.Json;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Storage;
using Xunit;

namespace CssmSim.Engine.Tests.Support;

/// <summary>Seed documents and services shared by the store, access and snapshot tests.</summary>
public static class Seeds
{
    public const string NwStackTag = "regid.2018-06.com.cisco.DNA_NWStack,1.0_e7244e71-3ad5-4608-8bf0-d12f67c80896";
    public const string AirDnaTag = "regid.2017-08.com.cisco.AIR-DNA-A,1.0_b6308627-3ab0-4a11-a3d9-586911a0d790";
    public const string HsecTag = "regid.2019-03.com.cisco.DNA_HSEC,1.0_509c41ab-05a8-431f-95fe-ec28086e8844";
    public const string EnforcedDemoTag = "regid.2020-01.com.cisco.CSSMSIM_ENFORCED_DEMO,1.0_00000000-0000-4000-8000-000000000001";

    /// <summary>A service over <paramref name="store"/> whose start-up seed is <paramref name="startupText"/> (default: the default seed).</summary>
    public static SeedService Service(ISimulatorStore store, TimeProvider clock, string? startupText = null, long? randomSeedOverride = null)
    {
        var text = startupText ?? DefaultSeed.Yaml;
        return new SeedService(store, clock, SeedReader.Parse(text), text, randomSeedOverride);
    }

    /// <summary>Creates a service and applies its start-up seed.</summary>
    public static async Task<SeedService> InitializedAsync(ISimulatorStore store, TimeProvider clock, string? startupText = null)
    {
        var service = Service(store, clock, startupText);
        await service.InitializeAsync(TestContext.Current.CancellationToken);
        return service;
    }

    public static Task MergeAsync(this SeedService service, string text) =>
        service.MergeAsync(SeedReader.Parse(text), TestContext.Current.CancellationToken);

    /// <summary>The whole store state as one JSON string: equal strings, equal states.</summary>
    public static async Task<string> StateAsync(ISimulatorStore store)
    {
        var snapshot = await store.State.ExportAsync(TestContext.Current.CancellationToken);
        return JsonSerializer.Serialize(snapshot.Tables.OrderBy(t => t.Key, StringComparer.Ordinal).ToDictionary());
    }

    /// <summary>A structural fingerprint of a parsed document, to compare two parses.</summary>
    public static string Canonical(SeedDocument doc) => JsonSerializer.Serialize(doc);
}
