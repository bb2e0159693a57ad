using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.Hostile;

/// <summary>
/// One simulator per hostile-input class (xunit runs a class's cases one after another, so each
/// case sees only its own effects): it sends a request, then checks the simulator is still healthy
/// and, for a refused request, that the store is byte-for-byte what it was.
/// </summary>
public sealed class HostileSimulator : IAsyncLifetime
{
    public const string Api = TestSimulator.ApiPrefix;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TestSimulator? _sim;
    private string? _bearer;

    public TestSimulator Sim => _sim ?? throw new InvalidOperationException("not started");
    public HttpClient Http => Sim.Http;
    public IServiceProvider Services => Sim.Server.Services;

    /// <summary>
    /// A trusted device (the one the field templates speak as), so smart-transport messages get past
    /// the trust check to the parsing under test. Merged at start and after every reset.
    /// </summary>
    private const string TrustedDevice = """
        accounts: [{domain: example.com, virtualAccounts: [{name: DEFAULT, productInstances: [
          {udi_pid: C9800-CL-K9, udi_serial_number: FIELD0001, hostname: wlc-field, trusted: true}]}]}]
        """;

    public async ValueTask InitializeAsync()
    {
        _sim = await TestSimulator.StartAsync();
        _bearer = await _sim.TokenAsync();
        await _sim.MergeSeedAsync(TrustedDevice);
    }

    public async ValueTask DisposeAsync()
    {
        if (_sim is not null) await _sim.DisposeAsync();
    }

    /// <summary>
    /// A request with what its route needs to get past authentication and headers (bearer token,
    /// X-CSW headers), so the hostile part is what the route's body or field handling sees.
    /// </summary>
    public HttpRequestMessage Request(HttpMethod method, string path, HttpContent? content)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (path.StartsWith("/services/api/", StringComparison.Ordinal) || path.StartsWith("/v1/software/apis/", StringComparison.Ordinal))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _bearer);
            request.Headers.TryAddWithoutValidation("X-CSW-SMART-ACCOUNT-ID", "123456");
            request.Headers.TryAddWithoutValidation("X-CSW-VIRTUAL-ACCOUNT-ID", "234567");
            request.Headers.TryAddWithoutValidation("X-CSW-REQUESTING-SYSTEM",
                path.Contains("summary", StringComparison.Ordinal) ? """{"display_name":"CSLU"}""" : """{"udi_pid":"C9800-CL-K9","udi_serial_number":"HOSTILE0001"}""");
        }
        return request;
    }

    public async Task<byte[]> SnapshotAsync()
    {
        using var r = await Http.GetAsync("/_sim/snapshot", Ct);
        r.StatusCode.ShouldBe(HttpStatusCode.OK);
        return await r.Content.ReadAsByteArrayAsync(Ct);
    }

    public async Task ShouldBeHealthyAsync(string context)
    {
        using var r = await Http.GetAsync("/_sim/health", Ct);
        r.StatusCode.ShouldBe(HttpStatusCode.OK, context);
        JsonNode.Parse(await r.Content.ReadAsStringAsync(Ct))!["status"]!.GetValue<string>().ShouldBe("ok", context);
    }

    /// <summary>Back to the start-up seed, after a case that was (rightly) accepted and changed the store.</summary>
    public async Task ResetAsync()
    {
        using var r = await Http.PostAsync("/_sim/reset", null, Ct);
        r.EnsureSuccessStatusCode();
        await Sim.MergeSeedAsync(TrustedDevice);
    }

    /// <summary>
    /// Sends <paramref name="request"/> and asserts the contract for hostile input: never a 5xx (bar
    /// the 501 of a not-simulated path), a refusal in the family's shape that changes nothing, and a
    /// healthy simulator afterwards. Returns the status and body for case-specific checks.
    /// </summary>
    public async Task<(int Status, string Body, string? MediaType)> SendHostileAsync(HttpRequestMessage request, string context)
    {
        var before = await SnapshotAsync();
        var path = request.RequestUri!.OriginalString;
        int status;
        string body;
        string? media;
        using (request)
        using (var response = await Http.SendAsync(request, Ct))
        {
            status = (int)response.StatusCode;
            body = await response.Content.ReadAsStringAsync(Ct);
            media = response.Content.Headers.ContentType?.MediaType;
        }
        context = $"{context}: {status} {Truncate(body)}";
        try
        {
            await CheckAsync(path, status, body, media, before, context);
        }
        catch (ShouldAssertException)
        {
            // A failed case must not leave its state to the next one.
            await ResetAsync();
            throw;
        }
        if (status < 400 && !ErrorShapes.IsBusinessFailure(path, body)) await ResetAsync();
        return (status, body, media);
    }

    private async Task CheckAsync(string path, int status, string body, string? media, byte[] before, string context)
    {

        if (ErrorShapes.IsNotSimulated(path))
        {
            status.ShouldBe(501, context);
        }
        else
        {
            status.ShouldBeLessThan(500, context);
        }
        var refused = status >= 400 || ErrorShapes.IsBusinessFailure(path, body);
        if (status >= 400) ErrorShapes.ShouldBeFamilyError(path, status, body, media, context);
        await ShouldBeHealthyAsync(context);
        if (refused) ShouldBeSameState(before, await SnapshotAsync(), "a refused request changed the store: " + context);
    }

    /// <summary>Byte-for-byte equal snapshots; on a difference, the first lines that differ.</summary>
    public static void ShouldBeSameState(byte[] before, byte[] after, string context)
    {
        if (before.AsSpan().SequenceEqual(after)) return;
        var a = System.Text.Encoding.UTF8.GetString(before).Split('\n');
        var b = System.Text.Encoding.UTF8.GetString(after).Split('\n');
        var at = 0;
        while (at < a.Length && at < b.Length && a[at] == b[at]) at++;
        throw new ShouldAssertException($"{context}\nsnapshot differs from line {at + 1}:\n- {string.Join("\n- ", a.Skip(at).Take(6))}\n+ {string.Join("\n+ ", b.Skip(at).Take(6))}");
    }

    private static string Truncate(string s) => s.Length <= 400 ? s : s[..400] + "…";
}
