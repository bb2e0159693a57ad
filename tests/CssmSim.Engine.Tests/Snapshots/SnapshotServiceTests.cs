using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Engine.Access;
using CssmSim.Engine.Faults;
using CssmSim.Engine.Snapshots;
using CssmSim.Engine.Storage.Sqlite;
using CssmSim.Engine.Tests.Support;
using CssmSim.Engine.Time;
using CssmSim.Engine.Validation;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Snapshots;

public sealed class SnapshotServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Extra = """
        randomSeed: 5
        apiClients: [{clientId: qa, clientSecret: qa-secret, accounts: [zeta.test, example.com]}]
        users: [{username: alice, password: pw}]
        accounts:
        - domain: zeta.test
          policy: {policy_name: Zeta, enforced: {reporting_frequency_days: 30}}
          virtualAccounts:
          - {name: Ops, description: "quote \" and ünïcode <&>"}
          - name: Lab
            licenses: [{tag: b-tag, type: TERM, quantity: 2}, {tag: a-tag, quantity: 7}]
        - {domain: alpha.test, virtualAccounts: [DEFAULT]}
        """;

    private sealed class Harness(SeededStore sim, SimulatorClock clock, SnapshotService snapshots) : IAsyncDisposable
    {
        public SeededStore Sim { get; } = sim;
        public SimulatorClock Clock { get; } = clock;
        public SnapshotService Snapshots { get; } = snapshots;

        public Task<byte[]> ExportAsync() => Snapshots.ExportAsync(Ct);

        public Task ImportAsync(byte[] bytes) => Snapshots.ImportAsync(JsonNode.Parse(bytes)!, Ct);

        public Task ImportAsync(JsonNode node) => Snapshots.ImportAsync(node, Ct);

        public ValueTask DisposeAsync() => Sim.DisposeAsync();
    }

    private static async Task<Harness> StartAsync(StoreKind kind, bool withExtra = true)
    {
        var wall = new ManualTimeProvider();
        var clock = new SimulatorClock(wall);
        var sim = await SeededStore.StartAsync(kind, clock: wall);
        if (withExtra) await sim.MergeAsync(Extra);
        var faults = new FaultEngine(sim.Store, new BottleneckSettings(), () => sim.Seeds.Ids.RandomSeed, wall);
        await faults.InitializeAsync(Ct);
        return new Harness(sim, clock, new SnapshotService(sim.Store, clock, faults));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Exporting_the_same_state_twice_gives_byte_identical_output(StoreKind kind)
    {
        await using var h = await StartAsync(kind);

        var first = await h.ExportAsync();
        var second = await h.ExportAsync();

        second.ShouldBe(first);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Export_then_change_then_import_then_export_gives_the_first_bytes_again(StoreKind kind)
    {
        await using var h = await StartAsync(kind);
        var exported = await h.ExportAsync();
        await h.Sim.MergeAsync($"accounts: [{{domain: example.com, name: Changed, virtualAccounts: [{{name: DEFAULT, licenses: [{{tag: '{Seeds.HsecTag}', quantity: 1}}]}}, New]}}, {{domain: new.test}}]");
        h.Clock.Advance(TimeSpan.FromDays(3));
        (await h.ExportAsync()).ShouldNotBe(exported);

        await h.ImportAsync(exported);

        Encoding.UTF8.GetString(await h.ExportAsync()).ShouldBe(Encoding.UTF8.GetString(exported));
    }

    [Fact]
    public async Task The_same_state_exports_to_the_same_bytes_from_a_file_store_and_an_in_memory_store()
    {
        await using var file = await StartAsync(StoreKind.SqliteFile);
        await using var memory = await StartAsync(StoreKind.Memory);

        Encoding.UTF8.GetString(await memory.ExportAsync()).ShouldBe(Encoding.UTF8.GetString(await file.ExportAsync()));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task An_export_imported_into_another_store_reproduces_the_state(StoreKind kind)
    {
        await using var source = await StartAsync(StoreKind.SqliteFile);
        await using var target = await StartAsync(kind, withExtra: false);
        var exported = await source.ExportAsync();

        await target.ImportAsync(exported);

        (await target.ExportAsync()).ShouldBe(exported);
        (await target.Sim.AccountAsync("zeta.test")).Name.ShouldBe("zeta.test");
        (await target.Sim.Store.Accounts.FindApiClientAsync("qa", Ct))!.Scope.Domains.ShouldBe(["zeta.test", "example.com"], ignoreOrder: true);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task An_export_holds_schema_version_clock_and_every_snapshot_table_sorted_by_natural_key(StoreKind kind)
    {
        await using var h = await StartAsync(kind);

        var doc = JsonNode.Parse(await h.ExportAsync())!.AsObject();

        doc.Select(p => p.Key).Take(3).ShouldBe(["schemaVersion", "clock", "store"]);
        doc.Select(p => p.Key).ShouldNotContain(k => k.Contains("journal", StringComparison.OrdinalIgnoreCase) || k.Contains("export", StringComparison.OrdinalIgnoreCase));
        doc["schemaVersion"]!.GetValue<int>().ShouldBe(Migrations.Latest);
        doc["clock"]!.ToJsonString().ShouldBe("""{"mode":"system","offsetMs":0}""");
        var store = doc["store"]!.AsObject();
        store.Select(p => p.Key).ShouldBe(SnapshotTables.All.Select(t => t.Name).Order(StringComparer.Ordinal));
        store["smart_accounts"]!.AsArray().Select(r => (string)r!["domain_key"]!).ShouldBe(["alpha.test", "example.com", "zeta.test"]);
        var lab = store["virtual_accounts"]!.AsArray().Single(r => (string)r!["name"]! == "Lab" && (string)r!["sa_id"]! != "123456")!;
        store["licenses"]!.AsArray().Where(r => (string)r!["va_id"]! == (string)lab["id"]!).Select(r => (string)r!["tag"]!).ShouldBe(["a-tag", "b-tag"]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task An_export_leaves_out_settings_such_as_the_OAuth_signing_key(StoreKind kind)
    {
        await using var h = await StartAsync(kind);
        var key = Convert.ToBase64String(await AccessTokenService.LoadKeyAsync(h.Sim.Store.State, Ct));

        var text = Encoding.UTF8.GetString(await h.ExportAsync());

        text.ShouldNotContain(key);
        text.ShouldNotContain(AccessTokenService.SettingKey);
        text.ShouldNotContain("startup_seed_sha256");
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Importing_restores_a_frozen_clock_at_its_instant(StoreKind kind)
    {
        await using var source = await StartAsync(kind);
        source.Clock.SetMode(ClockMode.Frozen);
        source.Clock.Set(new DateTimeOffset(2040, 5, 6, 7, 8, 9, 123, TimeSpan.Zero));
        await using var target = await StartAsync(kind, withExtra: false);

        await target.ImportAsync(await source.ExportAsync());

        target.Clock.Mode.ShouldBe(ClockMode.Frozen);
        target.Clock.GetUtcNow().ShouldBe(new DateTimeOffset(2040, 5, 6, 7, 8, 9, 123, TimeSpan.Zero));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Importing_restores_a_virtual_clock_offset(StoreKind kind)
    {
        await using var source = await StartAsync(kind);
        source.Clock.Advance(TimeSpan.FromDays(30));
        await using var target = await StartAsync(kind, withExtra: false);

        await target.ImportAsync(await source.ExportAsync());

        target.Clock.Mode.ShouldBe(ClockMode.Virtual);
        target.Clock.Offset.ShouldBe(TimeSpan.FromDays(30));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task Importing_a_system_clock_drops_the_offset(StoreKind kind)
    {
        await using var h = await StartAsync(kind);
        var exported = await h.ExportAsync();
        h.Clock.Advance(TimeSpan.FromDays(-4));

        await h.ImportAsync(exported);

        h.Clock.Mode.ShouldBe(ClockMode.System);
        h.Clock.Offset.ShouldBe(TimeSpan.Zero);
    }

    /// <summary>Imports a damaged copy of the current export and checks the state did not move.</summary>
    private static async Task<TException> RefusedAndUnchangedAsync<TException>(StoreKind kind, Action<JsonObject> damage)
        where TException : Exception
    {
        await using var h = await StartAsync(kind);
        h.Clock.SetMode(ClockMode.Frozen);
        var before = await h.ExportAsync();
        var doc = JsonNode.Parse(before)!.AsObject();
        doc["clock"] = JsonNode.Parse("""{"mode":"frozen","now":"2099-01-01T00:00:00.000Z"}""");
        damage(doc);

        var ex = await Should.ThrowAsync<TException>(() => h.ImportAsync(doc));

        Encoding.UTF8.GetString(await h.ExportAsync()).ShouldBe(Encoding.UTF8.GetString(before), "a refused import must leave the state and clock unchanged");
        return ex;
    }

    private static JsonObject Row(JsonObject doc, string table, int index) => doc["store"]![table]![index]!.AsObject();

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task An_import_naming_an_unknown_table_is_refused_and_changes_nothing(StoreKind kind)
    {
        var ex = await RefusedAndUnchangedAsync<EngineValidationException>(kind, doc => doc["store"]!["no_such_table"] = new JsonArray());

        ex.Errors.Keys.ShouldBe(["store.no_such_table"]);
        ex.Errors["store.no_such_table"].ShouldBe(["unknown table"]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task An_import_naming_the_settings_table_is_refused(StoreKind kind)
    {
        var ex = await RefusedAndUnchangedAsync<EngineValidationException>(kind,
            doc => doc["store"]!["settings"] = JsonNode.Parse("""[{"key":"oauth_token_key","value":"AAAA"}]"""));

        ex.Errors.Keys.ShouldBe(["store.settings"]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task An_import_naming_an_unknown_column_is_refused_and_changes_nothing(StoreKind kind)
    {
        var ex = await RefusedAndUnchangedAsync<EngineValidationException>(kind, doc => Row(doc, "smart_accounts", 1)["colour"] = "red");

        ex.Errors.Keys.ShouldBe(["store.smart_accounts[1].colour"]);
        ex.Errors["store.smart_accounts[1].colour"].ShouldBe(["unknown column"]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task An_import_with_a_string_for_an_integer_column_is_refused_and_changes_nothing(StoreKind kind)
    {
        var ex = await RefusedAndUnchangedAsync<EngineValidationException>(kind, doc => Row(doc, "licenses", 0)["quantity"] = "10");

        ex.Errors.Keys.ShouldBe(["store.licenses[0].quantity"]);
        ex.Errors["store.licenses[0].quantity"].ShouldBe(["must be a whole number"]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task An_import_with_a_fraction_or_boolean_for_an_integer_column_is_refused(StoreKind kind)
    {
        var ex = await RefusedAndUnchangedAsync<EngineValidationException>(kind, doc =>
        {
            Row(doc, "licenses", 0)["quantity"] = 1.5;
            Row(doc, "virtual_accounts", 0)["is_default"] = true;
        });

        ex.Errors.Keys.ShouldBe(["store.licenses[0].quantity", "store.virtual_accounts[0].is_default"], ignoreOrder: true);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task An_import_with_a_number_for_a_text_column_is_refused_and_changes_nothing(StoreKind kind)
    {
        var ex = await RefusedAndUnchangedAsync<EngineValidationException>(kind, doc => Row(doc, "smart_accounts", 0)["name"] = 42);

        ex.Errors.Keys.ShouldBe(["store.smart_accounts[0].name"]);
        ex.Errors["store.smart_accounts[0].name"].ShouldBe(["must be a string"]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task An_import_missing_a_required_column_is_refused(StoreKind kind)
    {
        var ex = await RefusedAndUnchangedAsync<EngineValidationException>(kind, doc => Row(doc, "api_clients", 0).Remove("client_secret"));

        ex.Errors.Keys.ShouldBe(["store.api_clients[0].client_secret"]);
        ex.Errors["store.api_clients[0].client_secret"].ShouldBe(["is required"]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task An_import_with_a_row_breaking_a_foreign_key_is_refused_and_changes_nothing(StoreKind kind)
    {
        var ex = await RefusedAndUnchangedAsync<EngineValidationException>(kind, doc => Row(doc, "licenses", 2)["va_id"] = "000000");

        ex.Errors.Keys.ShouldBe(["store.licenses[2]"]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task An_import_with_a_duplicate_natural_key_is_refused_and_changes_nothing(StoreKind kind)
    {
        var ex = await RefusedAndUnchangedAsync<EngineValidationException>(kind, doc =>
        {
            var accounts = doc["store"]!["smart_accounts"]!.AsArray();
            var copy = accounts[0]!.DeepClone().AsObject();
            copy["id"] = "555555";
            accounts.Add(copy);
        });

        ex.Errors.Keys.ShouldBe(["store.smart_accounts[3]"]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task An_import_with_an_unknown_schema_version_is_a_state_conflict_and_changes_nothing(StoreKind kind)
    {
        var ex = await RefusedAndUnchangedAsync<StateConflictException>(kind, doc => doc["schemaVersion"] = Migrations.Latest + 1);

        ex.Message.ShouldContain($"schemaVersion {Migrations.Latest + 1}");
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task An_import_with_an_older_schema_version_is_a_state_conflict(StoreKind kind)
    {
        await RefusedAndUnchangedAsync<StateConflictException>(kind, doc => doc["schemaVersion"] = 0);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task An_import_without_a_schema_version_or_store_is_refused(StoreKind kind)
    {
        var ex = await RefusedAndUnchangedAsync<EngineValidationException>(kind, doc => doc.Remove("schemaVersion"));

        ex.Errors.Keys.ShouldBe(["schemaVersion"]);
        (await RefusedAndUnchangedAsync<EngineValidationException>(kind, doc => doc.Remove("store"))).Errors.Keys.ShouldBe(["store"]);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.Both), MemberType = typeof(StoreKinds))]
    public async Task An_import_with_an_unknown_top_level_field_or_bad_clock_is_refused(StoreKind kind)
    {
        var ex = await RefusedAndUnchangedAsync<EngineValidationException>(kind, doc =>
        {
            doc["exportedAt"] = "2026-01-01";
            doc["clock"] = JsonNode.Parse("""{"mode":"warp"}""");
        });

        ex.Errors.Keys.ShouldBe(["clock", "exportedAt"], ignoreOrder: true);
    }

    [Fact]
    public async Task An_import_of_something_other_than_an_object_is_refused_at_path_dollar()
    {
        await using var h = await StartAsync(StoreKind.Memory);

        var ex = await Should.ThrowAsync<EngineValidationException>(() => h.ImportAsync(new JsonArray()));

        ex.Errors.Keys.ShouldBe(["$"]);
    }
}
