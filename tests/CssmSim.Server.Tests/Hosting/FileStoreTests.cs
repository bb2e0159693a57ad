using System.Net;
using CssmSim.Engine.Storage;
using CssmSim.Server.Hosting;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.Hosting;

public sealed class FileStoreTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _dir = Directory.CreateTempSubdirectory("cssmsim-file-").FullName;

    [Fact]
    public async Task Data_created_over_the_api_survives_a_restart_of_a_file_store()
    {
        var db = Path.Combine(_dir, "sim.db");
        await using (var first = await TestSimulator.StartAsync(o => o.Store = StoreLocation.SqliteFile(db)))
        {
            await first.MergeSeedAsync("accounts: [{domain: kept.test, virtualAccounts: [DEFAULT]}]");
        }

        await using var second = await TestSimulator.StartAsync(o => o.Store = StoreLocation.SqliteFile(db));
        using var response = await second.ApiGetAsync(TestSimulator.ApiPrefix + "/v1/accounts/kept.test/customer/virtual-accounts");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        File.Exists(db + "-wal").ShouldBeTrue("the store runs in WAL mode");
    }

    [Fact]
    public async Task An_access_token_from_before_a_restart_still_works_after_it()
    {
        var db = Path.Combine(_dir, "sim.db");
        string token;
        await using (var first = await TestSimulator.StartAsync(o => o.Store = StoreLocation.SqliteFile(db)))
            token = await first.TokenAsync();

        await using var second = await TestSimulator.StartAsync(o => o.Store = StoreLocation.SqliteFile(db));
        using var response = await second.ApiGetAsync(TestSimulator.ApiPrefix + "/v2/accounts/search", token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Two_simulators_sharing_one_file_see_each_others_writes()
    {
        var db = Path.Combine(_dir, "shared.db");
        await using var a = await TestSimulator.StartAsync(o => o.Store = StoreLocation.SqliteFile(db));
        await using var b = await TestSimulator.StartAsync(o => o.Store = StoreLocation.SqliteFile(db));

        await a.MergeSeedAsync("accounts: [{domain: shared.test, virtualAccounts: [DEFAULT]}]");
        using var response = await b.ApiGetAsync(TestSimulator.ApiPrefix + "/v1/accounts/shared.test/customer/virtual-accounts", await a.TokenAsync());

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Https_serves_the_dev_tls_certificate_that_chains_to_the_committed_ca()
    {
        await using var sim = await TestSimulator.StartAsync(o => o.Urls = ["https://127.0.0.1:0"]);
        var ca = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(Engine.Signing.CertificateBundle.LoadEmbedded().CaCertificatePem);
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
            {
                using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
                chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
                return cert is not null && chain.Build(cert);
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = sim.Server.BaseAddress };

        using var response = await client.GetAsync("/_sim/health", Ct);

        sim.Server.BaseAddress.Scheme.ShouldBe("https");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_database_from_a_newer_cssmsim_is_refused_at_start()
    {
        var db = Path.Combine(_dir, "future.db");
        await using (var first = await TestSimulator.StartAsync(o => o.Store = StoreLocation.SqliteFile(db))) { }
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + db + ";Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')";
            cmd.ExecuteNonQuery();
        }

        var e = await Should.ThrowAsync<InvalidOperationException>(() =>
            SimulatorApp.CreateAsync(new SimulatorOptions { Urls = ["http://127.0.0.1:0"], Store = StoreLocation.SqliteFile(db) }, ct: Ct));

        e.Message.ShouldContain("9999");
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
