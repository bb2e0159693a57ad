using CssmSim.Engine.Signing;
using CssmSim.Engine.Storage;
using CssmSim.Server.Hosting;
using Microsoft.Extensions.Configuration;

namespace CssmSim.Server.Tests.Hosting;

public sealed class SimulatorOptionsTests
{
    private static SimulatorOptions From(params (string Key, string Value)[] pairs) => SimulatorOptions.FromConfiguration(
        new ConfigurationBuilder().AddInMemoryCollection(pairs.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value))).Build());

    [Fact]
    public void Defaults_follow_the_configuration_table()
    {
        var o = From();

        o.Urls.ShouldBe(["http://127.0.0.1:8080"]);
        o.Store.ShouldBe(StoreLocation.SqliteFile("data/cssmsim.db"));
        o.SqliteSynchronous.ShouldBe("NORMAL");
        o.Https.ShouldBeFalse();
        o.OAuthTokenLifetimeSeconds.ShouldBe(3599);
        o.SigningAlgorithm.ShouldBe(SigningAlgorithm.Ecdsa);
        o.JournalCapacity.ShouldBe(10_000);
        o.ControlApiKey.ShouldBeNull();
    }

    [Fact]
    public void The_portal_is_on_for_serve_unless_configured_off_and_off_for_options_built_in_code()
    {
        From().Portal.ShouldBeTrue();
        From(("Portal:Enabled", "false")).Portal.ShouldBeFalse();
        new SimulatorOptions().Portal.ShouldBeFalse();
        Should.Throw<SimulatorConfigurationException>(() => From(("Portal:Enabled", "sometimes"))).Message.ShouldContain("Portal:Enabled");
    }

    [Fact]
    public void Every_key_is_read()
    {
        var o = From(("Urls", "http://127.0.0.1:9000;http://localhost:9001"), ("Store", "memory"), ("Sqlite:Synchronous", "full"),
            ("Https", "true"), ("RandomSeed", "42"), ("Control:ApiKey", "k"), ("OAuth:TokenLifetimeSeconds", "900"),
            ("Signing:Algorithm", "rsa"), ("Journal:Capacity", "5"));

        o.Urls.ShouldBe(["http://127.0.0.1:9000", "http://localhost:9001"]);
        o.Store.ShouldBe(StoreLocation.Memory);
        o.SqliteSynchronous.ShouldBe("FULL");
        o.Https.ShouldBeTrue();
        o.RandomSeed.ShouldBe(42);
        o.ControlApiKey.ShouldBe("k");
        o.OAuthTokenLifetimeSeconds.ShouldBe(900);
        o.SigningAlgorithm.ShouldBe(SigningAlgorithm.Rsa);
        o.JournalCapacity.ShouldBe(5);
    }

    [Theory]
    [InlineData("Store", "postgres:", "needs a connection")]
    [InlineData("Store", "mongodb:x", "Unknown store")]
    [InlineData("Store", "sqlite:", "file path")]
    [InlineData("Urls", "ftp://x", "http")]
    [InlineData("Https", "yes", "true or false")]
    [InlineData("OAuth:TokenLifetimeSeconds", "60", "900")]
    [InlineData("Signing:Algorithm", "DSA", "ECDSA or RSA")]
    [InlineData("Sqlite:Synchronous", "OFF", "NORMAL or FULL")]
    [InlineData("RandomSeed", "x", "whole number")]
    [InlineData("Seed", "/no/such/seed.yaml", "does not exist")]
    [InlineData("Journal:Persist", "sometimes", "true or false")]
    public void Unusable_settings_are_refused_naming_the_key(string key, string value, string hint)
    {
        var e = Should.Throw<SimulatorConfigurationException>(() => From((key, value)));

        e.Message.ShouldStartWith(key);
        e.Message.ShouldContain(hint);
    }

    [Theory]
    [InlineData("memory", null, false)]
    [InlineData("sqlite:x.db", null, false)]
    [InlineData("postgres:Host=db;Database=d", null, true)]
    [InlineData("sqlite:x.db", "true", true)]
    [InlineData("postgres:Host=db;Database=d", "false", false)]
    public void The_journal_is_persisted_by_default_on_PostgreSQL_only_unless_Journal_Persist_says(string store, string? persist, bool persisted)
    {
        var o = persist is null ? From(("Store", store)) : From(("Store", store), ("Journal:Persist", persist));

        o.PersistsJournal.ShouldBe(persisted);
    }

    [Fact]
    public void A_seed_file_with_an_error_is_refused_naming_file_and_field()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("cssmsim-seed-").FullName, "bad.yaml");
        File.WriteAllText(path, "accounts: [{domain: a.test, virtualAccounts: [{nam: x}]}]");

        var e = Should.Throw<SimulatorConfigurationException>(() => From(("Seed", path)));

        e.Message.ShouldContain("bad.yaml");
        e.Message.ShouldContain("accounts[0].virtualAccounts[0].nam");
    }
}
