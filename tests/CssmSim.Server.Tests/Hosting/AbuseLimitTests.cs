using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CssmSim.Engine.Time;
using Microsoft.Extensions.DependencyInjection;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.Hosting;

/// <summary>
/// Limits that keep a hostile client from exhausting the simulator or slipping past it: wrong
/// control keys are slowed down, the clock stays in representable dates, look-alike account names
/// are one name, OAuth tokens die with their client's secret, and memory stays bounded (error
/// lists, the journal, device bodies, uploads in flight).
/// </summary>
public sealed class AbuseLimitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HttpRequestMessage WithKey(string path, string key)
    {
        var r = new HttpRequestMessage(HttpMethod.Get, path);
        r.Headers.TryAddWithoutValidation("X-CssmSim-Key", key);
        return r;
    }

    [Fact]
    public async Task Repeated_wrong_control_keys_lock_the_address_out_with_429_until_the_lockout_passes()
    {
        var wall = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var sim = await TestSimulator.StartAsync(o =>
        {
            o.ControlApiKey = "right";
            o.MaxFailedAttempts = 3;
            o.LockoutSeconds = 60;
            o.Clock = new SimulatorClock(wall);
        });

        for (var i = 0; i < 3; i++)
        {
            using var wrong = await sim.Http.SendAsync(WithKey("/_sim/journal", "guess" + i), Ct);
            wrong.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }
        using var locked = await sim.Http.SendAsync(WithKey("/_sim/journal", "right"), Ct);
        wall.Advance(TimeSpan.FromSeconds(61));
        using var after = await sim.Http.SendAsync(WithKey("/_sim/journal", "right"), Ct);

        locked.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        locked.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ShouldBeInRange(1, 60);
        locked.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        after.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("""{"advance":"P3650000D"}""")]
    [InlineData("""{"set":"9000-12-31T00:00:00Z","advance":"P2D"}""")]
    [InlineData("""{"advance":"-P3650000D"}""")]
    public async Task A_clock_change_beyond_representable_dates_is_400_and_leaves_the_clock(string body)
    {
        await using var sim = await TestSimulator.StartAsync();
        var before = (await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/clock", Ct)))["mode"]!.GetValue<string>();

        using var response = await sim.Http.PostAsync("/_sim/clock", new StringContent(body, Encoding.UTF8, "application/json"), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync(Ct));
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/clock", Ct)))["mode"]!.GetValue<string>().ShouldBe(before);
    }

    [Fact]
    public async Task A_token_created_at_the_latest_clock_instant_is_answered()
    {
        await using var sim = await TestSimulator.StartAsync();
        using var set = await sim.Http.PostAsync("/_sim/clock", new StringContent("""{"set":"9000-12-31T23:00:00Z"}""", Encoding.UTF8, "application/json"), Ct);
        set.StatusCode.ShouldBe(HttpStatusCode.OK);

        var token = await sim.CreateTokenAsync(days: 365);

        token.ToJsonString().ShouldContain("9001-");
    }

    [Theory]
    [InlineData("caf\u00e9.test", "cafe\u0301.test")]
    [InlineData("example.org", "exa\u200bmple.org")]
    [InlineData("example.org", "exam\u00adple.org")]
    [InlineData("example.org", "example.org\u200d")]
    public async Task Look_alike_smart_account_domains_do_not_make_a_second_account(string name, string lookAlike)
    {
        await using var sim = await TestSimulator.StartAsync();
        var seed = new JsonObject { ["accounts"] = new JsonArray(new JsonObject { ["domain"] = name, ["virtualAccounts"] = new JsonArray("DEFAULT") }) };
        await sim.MergeSeedAsync(seed.ToJsonString(), "application/json");
        var twin = new JsonObject { ["accounts"] = new JsonArray(new JsonObject { ["domain"] = lookAlike, ["virtualAccounts"] = new JsonArray("DEFAULT") }) };

        using var response = await sim.Http.PostAsync("/_sim/seed", new StringContent(twin.ToJsonString(), Encoding.UTF8, "application/json"), Ct);
        var snapshot = await (await sim.Http.GetAsync("/_sim/snapshot", Ct)).Content.ReadAsStringAsync(Ct);

        // Either refused (an invisible character) or merged into the one NFC account: never a twin.
        if (response.StatusCode == HttpStatusCode.BadRequest) (await response.Content.ReadAsStringAsync(Ct)).ShouldContain("invisible");
        else response.StatusCode.ShouldBe(HttpStatusCode.OK);
        // The snapshot may write these characters raw or escaped: look for both, ordinally (a culture
        // comparison ignores a lone combining mark).
        foreach (var mark in new[] { 0x0301, 0x200B, 0x00AD, 0x200D })
        {
            snapshot.Contains((char)mark, StringComparison.Ordinal).ShouldBeFalse($"U+{mark:X4} is stored");
            snapshot.Contains($"\\u{mark:X4}", StringComparison.OrdinalIgnoreCase).ShouldBeFalse($"U+{mark:X4} is stored");
        }
    }

    [Fact]
    public async Task Changing_a_clients_secret_revokes_its_access_tokens()
    {
        await using var sim = await TestSimulator.StartAsync();
        var old = await sim.TokenAsync();
        using (var ok = await sim.ApiGetAsync(TestSimulator.ApiPrefix + "/v2/accounts", old)) ok.StatusCode.ShouldBe(HttpStatusCode.OK);

        await sim.MergeSeedAsync("apiClients: [{clientId: cssmsim, clientSecret: rotated}]");
        using var revoked = await sim.ApiGetAsync(TestSimulator.ApiPrefix + "/v2/accounts", old);
        var fresh = await sim.TokenAsync(secret: "rotated");
        using var works = await sim.ApiGetAsync(TestSimulator.ApiPrefix + "/v2/accounts", fresh);

        revoked.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await revoked.Content.ReadAsStringAsync(Ct)).ShouldContain("revoked");
        works.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_body_of_thousands_of_bad_items_lists_the_first_100_errors_and_a_count()
    {
        await using var sim = await TestSimulator.StartAsync();
        var body = "{\"accounts\":[" + string.Join(',', Enumerable.Repeat("{}", 5_000)) + "]}";

        using var response = await sim.Http.PostAsync("/_sim/seed", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var errors = JsonNode.Parse(text)!["errors"]!.AsObject();
        errors.Sum(e => e.Value!.AsArray().Count).ShouldBeLessThanOrEqualTo(101);
        errors["..."]!.ToJsonString().ShouldContain("4900 more errors");
        text.Length.ShouldBeLessThan(64 * 1024);
    }

    [Fact]
    public async Task The_journal_drops_its_oldest_entries_beyond_its_byte_limit()
    {
        await using var sim = await TestSimulator.StartAsync(o => o.JournalMaxBytes = 256 * 1024);
        var filler = new string('x', 15_000);
        for (var i = 0; i < 40; i++)
        {
            using var r = await sim.Http.PostAsync("/licservice/license", new StringContent("{\"pad\":\"" + filler + "\"}", Encoding.UTF8, "application/json"), Ct);
            r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        }

        var page = await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/journal?limit=1000", Ct));

        var entries = page["entries"]!.AsArray();
        entries.Count.ShouldBeInRange(1, 9);
        sim.Server.Services.GetRequiredService<Journal.RequestJournal>().Bytes.ShouldBeLessThanOrEqualTo(256 * 1024);
    }

    [Fact]
    public async Task The_device_endpoint_refuses_a_body_larger_than_a_device_message_with_413()
    {
        await using var sim = await TestSimulator.StartAsync();
        var big = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"pad\":\"" + new string('x', 2 * 1024 * 1024) + "\"}"));
        big.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await sim.Http.PostAsync("/licservice/license", big, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
    }

    /// <summary>A body that sends its first bytes, says so, then waits for the test to let it finish.</summary>
    private sealed class HeldContent(TaskCompletionSource started, TaskCompletionSource release) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(new byte[1024]);
            await stream.FlushAsync();
            started.TrySetResult();
            await release.Task;
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Fact]
    public async Task Uploads_beyond_the_in_flight_limit_are_429_with_retry_after()
    {
        await using var sim = await TestSimulator.StartAsync(o => o.UploadsMaxInFlight = 1);
        using var holder = new HttpClient { BaseAddress = sim.Server.BaseAddress };
        HttpResponseMessage? refused = null;

        // One upload holds the only slot while its body trickles in; a second one is refused at once.
        // Which reaches the server first is not in the test's hands: when the held one was the one
        // refused, hold another.
        for (var attempt = 0; attempt < 20 && refused is null; attempt++)
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var held = holder.PostAsync("/_sim/usage-files?fileName=held.tar.gz&smartAccount=example.com&virtualAccount=DEFAULT", new HeldContent(started, release), Ct);
            try
            {
                await Task.WhenAny(started.Task, held);
                for (var i = 0; i < 200 && refused is null && !held.IsCompleted; i++)
                {
                    var r = await sim.Http.PostAsync("/_sim/usage-files?smartAccount=example.com&virtualAccount=DEFAULT", new ByteArrayContent([]), Ct);
                    if (r.StatusCode == HttpStatusCode.TooManyRequests) refused = r;
                    else r.Dispose();
                }
            }
            finally
            {
                release.TrySetResult();
                try { (await held).Dispose(); }
                catch (HttpRequestException) { } // refused while its body was held: the server closed the connection
            }
        }

        refused.ShouldNotBeNull("the second upload was never refused while the first was in flight");
        refused.Headers.RetryAfter.ShouldNotBeNull();
        refused.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        refused.Dispose();
    }
}
