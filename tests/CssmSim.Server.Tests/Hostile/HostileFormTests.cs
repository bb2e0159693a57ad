using System.Text;

namespace CssmSim.Server.Tests.Hostile;

/// <summary>Hostile OAuth token requests (forms and query strings): refused in the OAuth error shape, never a token.</summary>
public sealed class HostileFormTests(HostileSimulator sim) : IClassFixture<HostileSimulator>
{
    public static readonly TheoryData<string, string> Forms = new()
    {
        { "sql in the client id", "grant_type=client_credentials&client_id=%27%3B+DROP+TABLE+api_clients%3B--&client_secret=x" },
        { "sql in the secret", "grant_type=client_credentials&client_id=cssmsim&client_secret=%27+OR+%271%27%3D%271" },
        { "script as grant type", "grant_type=%3Cscript%3Ealert(1)%3C%2Fscript%3E&client_id=cssmsim&client_secret=cssmsim" },
        { "bad percent escapes", "grant_type=client_credentials&client_id=%ZZ%&client_secret=%" },
        { "nul bytes", "grant_type=client_credentials%00&client_id=cssmsim%00&client_secret=cssmsim%00" },
        { "no grant type", "client_id=cssmsim&client_secret=cssmsim" },
        { "password grant with injection", "grant_type=password&username=admin%27--&password=%27+OR+1%3D1--&client_id=cssmsim&client_secret=cssmsim" },
        { "10,000 fields", string.Join('&', Enumerable.Range(0, 10_000).Select(i => $"f{i}=v")) },
        { "repeated keys", "grant_type=client_credentials&client_id=cssmsim&client_id=other&client_secret=cssmsim&client_secret=x" },
        { "60,000-character client id", "grant_type=client_credentials&client_secret=x&client_id=" + new string('a', 60_000) },
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task A_hostile_token_form_gets_an_oauth_error_and_no_token(string name, string form)
    {
        foreach (var path in new[] { "/as/token.oauth2", "/oauth2/default/v1/token" })
        {
            var (status, body, _) = await sim.SendHostileAsync(
                sim.Request(HttpMethod.Post, path, new StringContent(form, Encoding.ASCII, "application/x-www-form-urlencoded")), $"{path} {name}");

            body.ShouldNotContain("access_token");
            status.ShouldBeInRange(400, 499, body);
        }
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task The_same_fields_in_the_query_of_an_empty_post_get_an_oauth_error(string name, string form)
    {
        if (form.Length > 8_000) return; // beyond Kestrel's request-line limit: covered by HostileTransportTests (414)

        var (status, body, _) = await sim.SendHostileAsync(sim.Request(HttpMethod.Post, "/as/token.oauth2?" + form, null), "query " + name);

        body.ShouldNotContain("access_token");
        status.ShouldBeInRange(400, 499, body);
    }
}
