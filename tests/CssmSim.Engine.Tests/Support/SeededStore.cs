using CssmSim.Engine.Accounts;
using CssmSim.Engine.Licensing;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Storage;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Support;

/// <summary>A fresh store with a seed service over it, initialised from a start-up seed, on a manual clock.</summary>
public sealed class SeededStore : IAsyncDisposable
{
    private SeededStore(TestStore test, ManualTimeProvider clock, SeedService seeds)
    {
        Test = test;
        Clock = clock;
        Seeds = seeds;
    }

    public TestStore Test { get; }
    public ISimulatorStore Store => Test.Store;
    public ManualTimeProvider Clock { get; }
    public SeedService Seeds { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Starts on <paramref name="startupText"/> (default: the default seed).</summary>
    public static async Task<SeededStore> StartAsync(StoreKind kind, string? startupText = null, ManualTimeProvider? clock = null)
    {
        var test = await StoreFactory.CreateAsync(kind, migrate: false);
        clock ??= new ManualTimeProvider();
        var seeds = await Support.Seeds.InitializedAsync(test.Store, clock, startupText);
        return new SeededStore(test, clock, seeds);
    }

    public Task MergeAsync(string text) => Seeds.MergeAsync(SeedReader.Parse(text), Ct);

    public Task<string> StateAsync() => Support.Seeds.StateAsync(Store);

    public async Task<SmartAccount> AccountAsync(string domain) =>
        (await Store.Accounts.FindSmartAccountAsync(domain, Ct)).ShouldNotBeNull($"account {domain} should exist");

    public async Task<IReadOnlyList<VirtualAccount>> VirtualAccountsAsync(string domain) =>
        await Store.Accounts.ListVirtualAccountsAsync((await AccountAsync(domain)).Id, Ct);

    public async Task<VirtualAccount> VirtualAccountAsync(string domain, string name) =>
        (await VirtualAccountsAsync(domain)).SingleOrDefault(v => v.Name == name).ShouldNotBeNull($"virtual account {domain}/{name} should exist");

    public async Task<IReadOnlyList<License>> LicensesAsync(string domain, string virtualAccount) =>
        await Store.Accounts.ListLicensesAsync((await VirtualAccountAsync(domain, virtualAccount)).Id, Ct);

    public async Task<License> LicenseAsync(string domain, string virtualAccount, string tag) =>
        (await LicensesAsync(domain, virtualAccount)).SingleOrDefault(l => l.Tag == tag).ShouldNotBeNull($"license {tag} should exist");

    public ValueTask DisposeAsync() => Test.DisposeAsync();
}
