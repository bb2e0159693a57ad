using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Engine.Events;
using CssmSim.Engine.ProductInstances;
using CssmSim.Engine.Storage;
using CssmSim.Engine.Tests.Support;

namespace CssmSim.Engine.Tests.ProductInstances;

/// <summary>Listing product instances with what they use, and CSSM's Remove (a reservation needs its return code).</summary>
public sealed class ProductInstanceServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly DateTimeOffset T0 = ManualTimeProvider.DefaultStart;

    private static async Task<(SeededStore Seeded, ProductInstanceService Service, Accounts.SmartAccount Account, Accounts.VirtualAccount Va)> StartAsync(StoreKind kind)
    {
        var seeded = await SeededStore.StartAsync(kind);
        var va = await seeded.VirtualAccountAsync("example.com", "DEFAULT");
        foreach (var serial in new[] { "PLAIN-1", "SLR-1" })
        {
            await seeded.Store.Inventory.UpsertProductInstanceAsync(new StoredProductInstance($"PID:C9300-24T,SN:{serial}", "C9300-24T", serial,
                Guid.NewGuid().ToString(), va.Id, serial.ToLowerInvariant(), null, null, null, null, null, null, null, null, T0, null), Ct);
        }
        var issued = await seeded.Store.Authorizations.IssueAsync(new AuthorizationIssue(Guid.NewGuid().ToString(), "SLR", "PID:C9300-24T,SN:SLR-1", va.Id,
            [new AuthorizedCount(Seeds.EnforcedDemoTag, 2)], "SLR", "IN_TRANSITION", T0, _ => ("<specificPLR/>", "0badc0de")), Ct);
        issued.Authorization.ShouldNotBeNull();
        return (seeded, new ProductInstanceService(seeded.Store, new EventLog(seeded.Store, seeded.Clock)), await seeded.AccountAsync("example.com"), va);
    }

    private static string WellFormedReturnCode() => ReturnCode.Generate(Guid.NewGuid(), new UdiRef("C9300-24T", "SLR-1"));

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Instances_are_listed_with_their_authorizations_and_a_reserved_one_says_so(StoreKind kind)
    {
        var (seeded, service, _, va) = await StartAsync(kind);
        await using var _ = seeded;

        var list = (await service.PageAsync(va, 0, 100, Ct)).Items;

        list.Select(v => v.Instance.Serial).Order().ShouldBe(["PLAIN-1", "SLR-1"]);
        var reserved = list.Single(v => v.Instance.Serial == "SLR-1");
        reserved.Reserved.ShouldBeTrue();
        reserved.DisplayName.ShouldBe("UDI_PID:C9300-24T; UDI_SN:SLR-1;");
        reserved.Authorizations.Single().Entitlements.Single().Count.ShouldBe(2);
        list.Single(v => v.Instance.Serial == "PLAIN-1").Reserved.ShouldBeFalse();
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task A_page_looks_into_its_own_instances_only_and_counts_them_all(StoreKind kind)
    {
        var (seeded, service, _, va) = await StartAsync(kind);
        await using var _ = seeded;

        var first = await service.PageAsync(va, 0, 1, Ct);
        var second = await service.PageAsync(va, 1, 1, Ct);
        var beyond = await service.PageAsync(va, 5, 10, Ct);
        var authorized = await service.AuthorizedAsync(va, Ct);

        (first.Total, second.Total, beyond.Total).ShouldBe((2, 2, 2));
        first.Items.Concat(second.Items).Select(v => v.Instance.Serial).Order().ShouldBe(["PLAIN-1", "SLR-1"]);
        beyond.Items.ShouldBeEmpty();
        authorized.Single().Instance.Serial.ShouldBe("SLR-1");
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Removing_a_reserved_instance_takes_a_well_formed_return_code_and_gives_its_licenses_back(StoreKind kind)
    {
        var (seeded, service, account, va) = await StartAsync(kind);
        await using var _ = seeded;

        var none = await service.RemoveWithReturnCodeAsync(account, va, "PID:C9300-24T,SN:SLR-1", null, Ct);
        var malformed = await service.RemoveWithReturnCodeAsync(account, va, "PID:C9300-24T,SN:SLR-1", "abc-def", Ct);
        var removed = await service.RemoveWithReturnCodeAsync(account, va, "PID:C9300-24T,SN:SLR-1", WellFormedReturnCode(), Ct);
        var events = await seeded.Store.Inventory.ListEventsAsync(account.Id, null, null, null, 100, Ct);

        none.Problem.ShouldBe(RemovalProblem.ReturnCodeRequired);
        malformed.Problem.ShouldBe(RemovalProblem.ReturnCodeMalformed);
        removed.Succeeded.ShouldBeTrue();
        removed.Released.Single().Kind.ShouldBe("SLR");
        (await seeded.Store.Inventory.FindProductInstanceAsync("PID:C9300-24T,SN:SLR-1", Ct)).ShouldBeNull();
        (await seeded.Store.Authorizations.AuthorizedAsync(va.Id, Ct)).ShouldBeEmpty();
        events.Select(e => e.Type).ShouldBe([EventTypes.PiRemoved, EventTypes.ReservationReturned]);
        events.ShouldAllBe(e => e.Udi == "PID:C9300-24T,SN:SLR-1");
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Events_newest_first_are_the_latest_ones_whatever_the_limit(StoreKind kind)
    {
        var (seeded, service, account, va) = await StartAsync(kind);
        await using var _ = seeded;
        await service.RemoveWithReturnCodeAsync(account, va, "PID:C9300-24T,SN:SLR-1", WellFormedReturnCode(), Ct);

        var all = await seeded.Store.Inventory.ListEventsAsync(account.Id, null, null, null, 1000, Ct);
        var newest = await seeded.Store.Inventory.ListEventsAsync(account.Id, null, null, null, 1, Ct, newestFirst: true);

        all.Count.ShouldBeGreaterThan(1);
        newest.Single().Id.ShouldBe(all[^1].Id);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task An_instance_without_a_reservation_needs_no_code_and_the_control_api_removal_needs_none_at_all(StoreKind kind)
    {
        var (seeded, service, account, va) = await StartAsync(kind);
        await using var _ = seeded;

        var plain = await service.RemoveWithReturnCodeAsync(account, va, " PID:C9300-24T,SN:PLAIN-1 ", null, Ct);
        var reserved = await service.RemoveAsync(account, va, "PID:C9300-24T,SN:SLR-1", Ct);

        plain.Succeeded.ShouldBeTrue();
        plain.Released.ShouldBeEmpty();
        reserved.Succeeded.ShouldBeTrue();
        (await service.PageAsync(va, 0, 100, Ct)).Total.ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task An_instance_of_another_virtual_account_is_not_found_and_stays(StoreKind kind)
    {
        var (seeded, service, account, _) = await StartAsync(kind);
        await using var _ = seeded;
        var lab = await seeded.VirtualAccountAsync("example.com", "Lab");

        var outcome = await service.RemoveWithReturnCodeAsync(account, lab, "PID:C9300-24T,SN:PLAIN-1", null, Ct);

        outcome.Problem.ShouldBe(RemovalProblem.NotFound);
        (await seeded.Store.Inventory.FindProductInstanceAsync("PID:C9300-24T,SN:PLAIN-1", Ct)).ShouldNotBeNull();
    }
}
