using CssmSim.Engine.Licensing;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Tests.Support;

namespace CssmSim.Engine.Tests.Licensing;

/// <summary>License transfers between Virtual Accounts: limits, all or nothing, and the quantity check inside the store's transaction.</summary>
public sealed class LicenseServiceTransferTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string NwStackName = "AP Perpetual Networkstack Advantage";

    private static async Task<(LicenseService Service, Accounts.SmartAccount Account, Accounts.VirtualAccount Default)> ServiceAsync(SeededStore seeded) =>
        (new LicenseService(seeded.Store, seeded.Clock), await seeded.AccountAsync("example.com"), await seeded.VirtualAccountAsync("example.com", "DEFAULT"));

    private static async Task<long?> QuantityAsync(SeededStore seeded, string va, string tag) =>
        (await seeded.LicensesAsync("example.com", va)).SingleOrDefault(l => l.Tag == tag)?.Quantity;

    [Fact]
    public async Task An_expired_term_license_cannot_be_transferred()
    {
        // Arrange: the default seed's TERM license ends 365 days after the load date
        await using var seeded = await SeededStore.StartAsync(StoreKind.Memory);
        var (service, account, source) = await ServiceAsync(seeded);
        seeded.Clock.Advance(TimeSpan.FromDays(400));

        // Act
        var result = await service.TransferAsync(account, source, [new TransferEntry("Aironet DNA Advantage Term Licenses", "TERM", 1, "Lab")], Ct);

        // Assert
        result.Succeeded.ShouldBeFalse();
        result.Message.ShouldContain("expired on");
        (await QuantityAsync(seeded, "DEFAULT", Seeds.AirDnaTag)).ShouldBe(100);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_transfer_moves_quantity_and_creates_the_target_entry_with_the_source_attributes(StoreKind kind)
    {
        await using var seeded = await SeededStore.StartAsync(kind);
        var (service, account, source) = await ServiceAsync(seeded);
        var air = await seeded.LicenseAsync("example.com", "DEFAULT", Seeds.AirDnaTag);

        var result = await service.TransferAsync(account, source, [new TransferEntry("Aironet DNA Advantage Term Licenses", "TERM", 25, "Lab")], Ct);

        result.ShouldBe(TransferResult.Done);
        (await QuantityAsync(seeded, "DEFAULT", Seeds.AirDnaTag)).ShouldBe(75);
        var moved = await seeded.LicenseAsync("example.com", "Lab", Seeds.AirDnaTag);
        moved.ShouldBe(air with { VirtualAccountId = moved.VirtualAccountId, Quantity = 25 });
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_refused_entry_leaves_the_whole_store_unchanged(StoreKind kind)
    {
        await using var seeded = await SeededStore.StartAsync(kind);
        var (service, account, source) = await ServiceAsync(seeded);
        var before = await seeded.StateAsync();

        var result = await service.TransferAsync(account, source,
            [new TransferEntry(NwStackName, null, 60, "Lab"), new TransferEntry(Seeds.NwStackTag, null, 41, "Lab")], Ct);

        result.Succeeded.ShouldBeFalse();
        result.Message.ShouldStartWith("licenses[1]: insufficient licenses: 40 of");
        (await seeded.StateAsync()).ShouldBe(before);
    }

    public static TheoryData<string, TransferEntry[]> Refusals => new()
    {
        { "no entries", [] },
        { "licenses[10]", Enumerable.Repeat(new TransferEntry(NwStackName, null, 1, "Lab"), 11).ToArray() },
        { "licenses[0].quantity", [new TransferEntry(NwStackName, null, 999, "Lab")] },
        { "licenses[0].quantity", [new TransferEntry(NwStackName, null, 0, "Lab")] },
        { "licenses[0].license", [new TransferEntry("Unknown", null, 1, "Lab")] },
        { "licenses[0].licenseType", [new TransferEntry(NwStackName, "DEMO", 1, "Lab")] },
        { "licenses[0].targetVirtualAccount", [new TransferEntry(NwStackName, null, 1, "Elsewhere")] },
        { "licenses[0].targetVirtualAccount", [new TransferEntry(NwStackName, null, 1, "DEFAULT")] },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Invalid_transfers_are_refused_with_a_message_naming_the_entry(string because, TransferEntry[] entries)
    {
        await using var seeded = await SeededStore.StartAsync(StoreKind.Memory);
        var (service, account, source) = await ServiceAsync(seeded);
        var before = await seeded.StateAsync();

        var result = await service.TransferAsync(account, source, entries, Ct);

        result.Succeeded.ShouldBeFalse(because);
        if (because.StartsWith("licenses[", StringComparison.Ordinal) && !because.Contains("[10]", StringComparison.Ordinal))
            result.Message.ShouldStartWith(because);
        (await seeded.StateAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task A_virtual_account_of_another_smart_account_is_not_a_target()
    {
        await using var seeded = await SeededStore.StartAsync(StoreKind.Memory);
        await seeded.MergeAsync("accounts: [{domain: other.test, virtualAccounts: [Other]}]");
        var (service, account, source) = await ServiceAsync(seeded);
        var other = await seeded.VirtualAccountAsync("other.test", "Other");

        var byName = await service.TransferAsync(account, source, [new TransferEntry(NwStackName, null, 1, "Other")], Ct);
        var atStore = await seeded.Store.Licenses.TransferAsync(account.Id, [new LicenseMove(source.Id, other.Id, Seeds.NwStackTag, 1, 0)], Ct);

        byName.Succeeded.ShouldBeFalse();
        atStore.ShouldBe(new LicenseMoveRefusal(0, LicenseMoveProblem.UnknownVirtualAccount, 0));
        (await QuantityAsync(seeded, "DEFAULT", Seeds.NwStackTag)).ShouldBe(100);
    }

    [Fact]
    public async Task The_store_refuses_what_the_source_must_keep_and_a_tag_it_does_not_hold()
    {
        await using var seeded = await SeededStore.StartAsync(StoreKind.Memory);
        var (_, account, source) = await ServiceAsync(seeded);
        var lab = await seeded.VirtualAccountAsync("example.com", "Lab");

        var keep = await seeded.Store.Licenses.TransferAsync(account.Id, [new LicenseMove(source.Id, lab.Id, Seeds.NwStackTag, 31, KeepAtSource: 70)], Ct);
        var missing = await seeded.Store.Licenses.TransferAsync(account.Id, [new LicenseMove(lab.Id, source.Id, Seeds.NwStackTag, 1, 0)], Ct);
        var exact = await seeded.Store.Licenses.TransferAsync(account.Id, [new LicenseMove(source.Id, lab.Id, Seeds.NwStackTag, 30, KeepAtSource: 70)], Ct);

        keep.ShouldBe(new LicenseMoveRefusal(0, LicenseMoveProblem.InsufficientQuantity, 30));
        missing.ShouldBe(new LicenseMoveRefusal(0, LicenseMoveProblem.UnknownLicense, 0));
        exact.ShouldBeNull();
        (await QuantityAsync(seeded, "DEFAULT", Seeds.NwStackTag)).ShouldBe(70);
    }

    [Fact]
    public async Task Concurrent_transfers_from_two_processes_sharing_a_file_never_take_the_same_licenses()
    {
        await using var seeded = await SeededStore.StartAsync(StoreKind.SqliteFile);
        var second = seeded.Test.Open();
        var account = await seeded.AccountAsync("example.com");
        var source = await seeded.VirtualAccountAsync("example.com", "DEFAULT");
        var services = new[] { new LicenseService(seeded.Store, seeded.Clock), new LicenseService(second, seeded.Clock) };

        // 12 requests of 30 against 100: exactly 3 can be made, whichever process and order.
        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() =>
            services[i % 2].TransferAsync(account, source, [new TransferEntry(NwStackName, null, 30, "Lab")], Ct), Ct)));

        results.Count(r => r.Succeeded).ShouldBe(3);
        (await QuantityAsync(seeded, "DEFAULT", Seeds.NwStackTag)).ShouldBe(10);
        (await QuantityAsync(seeded, "Lab", Seeds.NwStackTag)).ShouldBe(90);
    }
}
