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
    [InlineData("postgres:Host=db.lab;Port=5433;Database=cssmsim;Username=sim;Password=s3cret")]
    [InlineData("postgresql:host=db.lab;port=5433;database=cssmsim;username=sim;password=s3cret")]
    [InlineData("postgres://sim:s3cret@db.lab:5433/cssmsim")]
    [InlineData("postgres:postgresql://sim:s3cret@db.lab:5433/cssmsim")]
    public void A_postgres_setting_takes_a_connection_string_or_a_url(string value)
    {
        var location = StoreLocation.Parse(value);

        location.Engine.ShouldBe(StoreEngine.Postgres);
        location.Kind.ShouldBe("postgres");
        var b = new Npgsql.NpgsqlConnectionStringBuilder(location.Path);
        (b.Host, b.Port, b.Database, b.Username, b.Password).ShouldBe(("db.lab", 5433, "cssmsim", "sim", "s3cret"));
    }

    [Fact]
    public void A_postgres_url_takes_escaped_credentials_and_query_settings()
    {
        var b = new Npgsql.NpgsqlConnectionStringBuilder(StoreLocation.Parse("postgres://sim%40lab:p%3Ass@db/cssmsim?sslmode=require").Path);

        (b.Username, b.Password, b.Port, b.SslMode).ShouldBe(("sim@lab", "p:ss", 5432, Npgsql.SslMode.Require));
    }

    [Fact]
    public void A_postgres_store_shown_to_a_user_hides_its_password()
    {
        var shown = StoreLocation.Parse("postgres://sim:s3cret@db.lab/cssmsim").ToString();

        shown.ShouldStartWith("postgres:");
        shown.ShouldContain("db.lab");
        shown.ShouldNotContain("s3cret");
    }

    [Theory]
    [InlineData("postgres:")]
    [InlineData("postgres:Hots=db")]
    [InlineData("postgres://db/cssmsim?nosuchsetting=1")]
    public void A_postgres_setting_without_a_valid_connection_is_refused_with_an_example(string value)
    {
        Should.Throw<ArgumentException>(() => StoreLocation.Parse(value)).Message.ShouldContain("postgres://user:pass@host");
    }

    [Fact]
    public void An_unknown_store_is_refused_naming_it()
    {
        Should.Throw<ArgumentException>(() => StoreLocation.Parse("redis:6379")).Message.ShouldContain("'redis:6379'");
    }
}
