using System.Text;
using Microsoft.Data.Sqlite;

namespace CssmSim.Cli.Tests;

/// <summary>
/// Issue 14 item 4: a start-up seed, a seed merge and a reset SIGKILLed part-way through their
/// inventory (tokens, product instances) converge to the whole seed when retried (the next start,
/// or the same merge sent again), and applying a seed again never adds a token twice. The kill
/// comes once the database shows the inventory half written; whenever it lands, the end state is
/// the same.
/// </summary>
public sealed class SeedCrashTests : IDisposable
{
    private const int Instances = 2000;
    private const int Tokens = 50;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _dir = Directory.CreateTempSubdirectory("cssmsim-seedcrash-").FullName;
    private string DbPath => Path.Combine(_dir, "seed.db");

    /// <summary>One Virtual Account with many tokens and product instances: applying its inventory takes seconds, a window to kill in.</summary>
    private static string BigSeed(string domain = "crash.test")
    {
        var yaml = new StringBuilder($"accounts:\n- domain: {domain}\n  virtualAccounts:\n  - name: BIG\n    tokens:\n");
        for (var i = 0; i < Tokens; i++) yaml.Append("    - {description: seed-token-").Append(i).Append(", maxUses: 5}\n");
        yaml.Append("    productInstances:\n");
        for (var i = 0; i < Instances; i++) yaml.Append("    - {udi_pid: C9300-24T, udi_serial_number: CRASHSEED").Append(i.ToString("D5")).Append("}\n");
        return yaml.ToString();
    }

    private async Task<(CliProcess Process, HttpClient Http)> ServeAsync(params string[] extra)
    {
        var port = CliProcess.FreePort();
        var process = CliProcess.Start(_dir, null, ["serve", "--urls", $"http://127.0.0.1:{port}", "--store", "sqlite:seed.db", .. extra]);
        return (process, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") });
    }

    private (long Instances, long Tokens) Count()
    {
        try
        {
            using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT (SELECT COUNT(*) FROM product_instances WHERE serial LIKE 'CRASHSEED%'), (SELECT COUNT(*) FROM tokens WHERE description LIKE 'seed-token-%')";
            using var r = cmd.ExecuteReader();
            r.Read();
            return (r.GetInt64(0), r.GetInt64(1));
        }
        catch (SqliteException)
        {
            return (-1, -1); // not created or not migrated yet
        }
    }

    /// <summary>Watches the file until <paramref name="partWay"/> holds, then SIGKILLs the server there.</summary>
    private async Task KillWhenAsync(CliProcess process, Func<(long Instances, long Tokens), bool> partWay)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!partWay(Count()))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the seed never got part-way: " + Count());
            await Task.Delay(5, Ct);
        }
        await process.KillAsync();
    }

    [Fact]
    public async Task A_start_up_seed_killed_part_way_is_finished_by_the_next_start()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "big.yaml"), BigSeed(), Ct);
        var (first, http1) = await ServeAsync("--seed", "big.yaml");
        await using (first)
        using (http1)
            await KillWhenAsync(first, c => c.Instances > 0);
        var killedAt = Count();

        var (second, http2) = await ServeAsync("--seed", "big.yaml");
        await using var _ = second;
        using var __ = http2;
        await second.WaitUntilListeningAsync();

        killedAt.Instances.ShouldBeLessThan(Instances, "the kill landed part-way through the seed");
        Count().ShouldBe((Instances, Tokens));
    }

    [Fact]
    public async Task A_seed_merge_killed_part_way_and_sent_again_holds_each_token_and_product_instance_once()
    {
        var (first, http1) = await ServeAsync();
        await using (first)
        using (http1)
        {
            await first.WaitUntilListeningAsync();
            var merge = http1.PostAsync("/_sim/seed", new StringContent(BigSeed(), Encoding.UTF8, "application/yaml"), Ct);
            await KillWhenAsync(first, c => c.Instances > 0);
            await Should.ThrowAsync<HttpRequestException>(merge);
        }
        var killedAt = Count();

        var (second, http2) = await ServeAsync();
        await using var _ = second;
        using var __ = http2;
        await second.WaitUntilListeningAsync();
        using (var retried = await http2.PostAsync("/_sim/seed", new StringContent(BigSeed(), Encoding.UTF8, "application/yaml"), Ct))
            retried.EnsureSuccessStatusCode();
        var afterRetry = Count();
        using (var again = await http2.PostAsync("/_sim/seed", new StringContent(BigSeed(), Encoding.UTF8, "application/yaml"), Ct))
            again.EnsureSuccessStatusCode();

        killedAt.Instances.ShouldBeLessThan(Instances, "the kill landed part-way through the merge");
        afterRetry.ShouldBe((Instances, Tokens));
        Count().ShouldBe((Instances, Tokens), "merging the same document again adds nothing");
    }

    [Fact]
    public async Task A_reset_killed_part_way_is_finished_by_the_next_start()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "big.yaml"), BigSeed(), Ct);
        var (first, http1) = await ServeAsync("--seed", "big.yaml");
        await using (first)
        using (http1)
        {
            await first.WaitUntilListeningAsync();
            Count().ShouldBe((Instances, Tokens));
            var reset = http1.PostAsync("/_sim/reset", null, Ct);
            await KillWhenAsync(first, c => c.Instances < Instances);
            await Should.ThrowAsync<HttpRequestException>(reset);
        }
        var killedAt = Count();

        var (second, http2) = await ServeAsync("--seed", "big.yaml");
        await using var _ = second;
        using var __ = http2;
        await second.WaitUntilListeningAsync();

        killedAt.Instances.ShouldBeLessThan(Instances, "the kill landed part-way through the reset");
        Count().ShouldBe((Instances, Tokens));
    }

    [Fact]
    public async Task A_reset_of_one_account_killed_part_way_is_finished_by_the_next_start()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "big.yaml"), BigSeed(), Ct);
        var (first, http1) = await ServeAsync("--seed", "big.yaml");
        await using (first)
        using (http1)
        {
            await first.WaitUntilListeningAsync();
            Count().ShouldBe((Instances, Tokens));
            var reset = http1.PostAsync("/_sim/reset?smartAccount=crash.test", null, Ct);
            // Part-way: the account is back (its tokens too) and its product instances are being re-created.
            await KillWhenAsync(first, c => c.Tokens == Tokens && c.Instances is > 0 and < Instances);
            await Should.ThrowAsync<HttpRequestException>(reset);
        }
        var killedAt = Count();

        var (second, http2) = await ServeAsync("--seed", "big.yaml");
        await using var _ = second;
        using var __ = http2;
        await second.WaitUntilListeningAsync();

        killedAt.Instances.ShouldBeLessThan(Instances, "the kill landed part-way through the reset");
        Count().ShouldBe((Instances, Tokens));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
