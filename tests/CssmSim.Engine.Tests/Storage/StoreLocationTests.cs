using CssmSim.Engine.Storage;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Storage;

public sealed class StoreLocationTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void No_setting_means_the_default_file(string? value)
    {
        StoreLocation.Parse(value).ShouldBe(StoreLocation.SqliteFile("data/cssmsim.db"));
    }

    [Theory]
    [InlineData("memory")]
    [InlineData(" MEMORY ")]
    [InlineData("sqlite::memory:")]
    public void Memory_settings_give_the_in_memory_store(string value)
    {
        var location = StoreLocation.Parse(value);

        location.ShouldBe(StoreLocation.Memory);
        location.Kind.ShouldBe("memory");
        location.ToString().ShouldBe("memory");
    }

    [Theory]
    [InlineData("sqlite:data/x.db", "data/x.db")]
    [InlineData("SQLite: /var/lib/cssmsim.db ", "/var/lib/cssmsim.db")]
    public void A_sqlite_setting_names_the_file(string value, string path)
    {
        var location = StoreLocation.Parse(value);

        location.Engine.ShouldBe(StoreEngine.SqliteFile);
        location.Path.ShouldBe(path);
        location.Kind.ShouldBe("sqlite");
        location.ToString().ShouldBe("sqlite:" + path);
    }

    [Fact]
    public void A_sqlite_setting_without_a_path_is_refused_with_an_example()
    {
        Should.Throw<ArgumentException>(() => StoreLocation.Parse("sqlite:  ")).Message.ShouldContain("sqlite:data/cssmsim.db");
    }

    [Theory]
    [InlineData("postgres://localhost/db")]
    [InlineData("postgresql:host=x")]
    public void A_postgres_setting_is_refused_as_not_yet_available(string value)
    {
        Should.Throw<ArgumentException>(() => StoreLocation.Parse(value)).Message.ShouldContain("not available");
    }

    [Fact]
    public void An_unknown_store_is_refused_naming_it()
    {
        Should.Throw<ArgumentException>(() => StoreLocation.Parse("redis:6379")).Message.ShouldContain("'redis:6379'");
    }
}
