using System.Net;
using System.Text.RegularExpressions;
using CssmSim.Engine.Faults;
using CssmSim.Engine.Time;
using CssmSim.Engine.Tokens;
using CssmSim.Portal.Tests.Support;

namespace CssmSim.Portal.Tests;

/// <summary>The portal's pages and handlers over plain HTTP: what needs no browser to check.</summary>
public sealed partial class PortalHttpTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static readonly TheoryData<string> Pages =
    [
        "/portal", "/portal?new=true", "/portal/licenses", "/portal/product-instances", "/portal/events", "/portal/usage-files",
        "/portal/reservations", "/portal/policies", "/portal/policies?level=sa", "/portal/faults", "/portal/journal", "/portal/login",
        "/portal?sa=example.com&va=Lab",
    ];

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Every_page_renders_and_every_form_that_posts_carries_an_antiforgery_token(string path)
    {
        await using var sim = await PortalHttp.StartAsync();

        var html = await sim.PageAsync(path);

        html.ShouldContain("<link rel=\"stylesheet\" href=\"/portal/portal.css\">");
        var forms = PostForms().Matches(html);
        forms.Count.ShouldBeGreaterThan(0, "every page has at least one form (the clock or the login)");
        foreach (Match form in forms) form.Value.ShouldContain("name=\"__RequestVerificationToken\"", customMessage: form.Value[..Math.Min(200, form.Value.Length)]);
    }

    [Fact]
    public async Task A_post_without_the_antiforgery_token_is_refused_with_400_and_changes_nothing()
    {
        await using var sim = await PortalHttp.StartAsync();
        await sim.PageAsync("/portal"); // the anti-forgery cookie alone is not enough

        using var r = await sim.Http.PostAsync("/portal?handler=create", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Description"] = "forged", ["Input.ExpiresAfterDays"] = "30",
        }), Ct);
        var body = await PortalHttp.BodyAsync(r);
        var va = (await sim.Service<Engine.Storage.ISimulatorStore>().Accounts.FindVirtualAccountAsync("123456", "DEFAULT", Ct))!;
        var tokens = await sim.Service<TokenService>().ListAsync(va, Ct);

        r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        body.ShouldContain("The form could not be accepted");
        tokens.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("0", "", "Input.ExpiresAfterDays", "Expire After must be between 1 and 365")]
    [InlineData("366", "", "Input.ExpiresAfterDays", "Expire After must be between 1 and 365")]
    [InlineData("thirty", "", "Input.ExpiresAfterDays", "Expire After must be a whole number")]
    [InlineData("", "", "Input.ExpiresAfterDays", "Expire After is required")]
    [InlineData("30", "0", "Input.MaxUses", "Max. Number of Uses must be at least 1")]
    [InlineData("30", "many", "Input.MaxUses", "Max. Number of Uses must be a whole number")]
    public async Task The_token_dialog_shows_each_mistake_next_to_its_field_and_creates_nothing(string days, string maxUses, string field, string message)
    {
        await using var sim = await PortalHttp.StartAsync();

        using var r = await sim.PostFormAsync("/portal?handler=create", new Dictionary<string, string>
        {
            ["Input.Description"] = "bad", ["Input.ExpiresAfterDays"] = days, ["Input.MaxUses"] = maxUses, ["Input.ExportControlled"] = "true",
        });
        var html = await PortalHttp.BodyAsync(r);

        r.StatusCode.ShouldBe(HttpStatusCode.OK);
        html.ShouldContain("Create Registration Token", customMessage: "the dialog stays open");
        Regex.IsMatch(html, $"data-valmsg-for=\"{Regex.Escape(field)}\"[^>]*>{Regex.Escape(message)}").ShouldBeTrue($"'{message}' next to {field}");
        html.ShouldNotContain("Token created");
    }

    [Fact]
    public async Task A_token_created_through_the_form_is_listed_with_its_uses_and_downloads_as_txt()
    {
        await using var sim = await PortalHttp.StartAsync();

        using var created = await sim.PostFormAsync("/portal?sa=example.com&va=Lab&handler=create", new Dictionary<string, string>
        {
            ["Input.Description"] = "from the form", ["Input.ExpiresAfterDays"] = "10", ["Input.MaxUses"] = "3", ["Input.ExportControlled"] = "false",
        }, "/portal?sa=example.com&va=Lab");
        var location = created.Headers.Location!.ToString();
        var html = await sim.PageAsync(location);
        var id = Regex.Match(location, "created=([0-9a-f-]+)").Groups[1].Value;
        using var download = await sim.Http.GetAsync($"/portal?sa=example.com&va=Lab&handler=download&id={id}", Ct);
        var text = await download.Content.ReadAsStringAsync(Ct);
        var token = (await sim.Service<TokenService>().FindAsync(id, Ct))!;

        created.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        location.ShouldStartWith("/portal?sa=example.com&va=Lab&created=");
        html.ShouldContain("Token created");
        html.ShouldContain("0 of 3");
        html.ShouldContain("Not Allowed");
        html.ShouldContain("from the form");
        token.Token.ExpiresAfterDays.ShouldBe(10);
        token.Token.MaxUses.ShouldBe(3);
        token.Token.ExportControlled.ShouldBeFalse();
        download.Content.Headers.ContentDisposition!.FileName!.Trim('"').ShouldBe($"token_{id}.txt");
        text.ShouldBe(token.Token.Token);
    }

    [Fact]
    public async Task With_a_control_key_the_portal_asks_for_it_and_the_session_cookie_does_not_open_the_control_api()
    {
        await using var sim = await PortalHttp.StartAsync(o => o.ControlApiKey = "s3cret-key");

        using var anonymous = await sim.Http.GetAsync("/portal/licenses?sa=example.com", Ct);
        using var wrong = await sim.PostFormAsync("/portal/login?returnUrl=%2Fportal%2Flicenses", new Dictionary<string, string> { ["Key"] = "guess" }, "/portal/login");
        var wrongHtml = await PortalHttp.BodyAsync(wrong);
        using var right = await sim.PostFormAsync("/portal/login?returnUrl=%2Fportal%2Flicenses", new Dictionary<string, string> { ["Key"] = "s3cret-key" }, "/portal/login");
        var licenses = await sim.PageAsync("/portal/licenses");
        using var control = await sim.Http.GetAsync("/_sim/faults", Ct);
        using var logout = await sim.PostFormAsync("/portal/login?handler=logout", [], "/portal/licenses");
        using var after = await sim.Http.GetAsync("/portal", Ct);

        anonymous.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        anonymous.Headers.Location!.ToString().ShouldBe("/portal/login?returnUrl=%2Fportal%2Flicenses%3Fsa%3Dexample.com");
        wrong.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        wrongHtml.ShouldContain("That is not the control API key.");
        right.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        right.Headers.Location!.ToString().ShouldBe("/portal/licenses");
        licenses.ShouldContain("Simulated enforced license (demo)");
        licenses.ShouldContain("Sign out");
        control.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "the control API takes the X-CssmSim-Key header, never the portal cookie");
        logout.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        after.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        after.Headers.Location!.ToString().ShouldStartWith("/portal/login");
    }

    [Fact]
    public async Task Repeated_wrong_portal_logins_lock_the_address_out_until_the_lockout_passes()
    {
        // The limiter counts wall time through the simulator clock's wall provider: moved by the test, no sleeps.
        var wall = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var sim = await PortalHttp.StartAsync(o =>
        {
            o.ControlApiKey = "s3cret-key";
            o.MaxFailedAttempts = 3;
            o.LockoutSeconds = 60;
            o.Clock = new SimulatorClock(wall);
        });
        var right = new Dictionary<string, string> { ["Key"] = "s3cret-key" };

        var wrong = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var r = await sim.PostFormAsync("/portal/login", new Dictionary<string, string> { ["Key"] = "guess" + i }, "/portal/login");
            wrong.Add(r.StatusCode);
        }
        using var locked = await sim.PostFormAsync("/portal/login", right, "/portal/login");
        var lockedHtml = await PortalHttp.BodyAsync(locked);
        using var stillLocked = await sim.Http.GetAsync("/portal/licenses", Ct);
        wall.Advance(TimeSpan.FromSeconds(59));
        using var beforeItPasses = await sim.PostFormAsync("/portal/login", right, "/portal/login");
        wall.Advance(TimeSpan.FromSeconds(2));
        using var after = await sim.PostFormAsync("/portal/login", right, "/portal/login");

        wrong.ShouldAllBe(s => s == HttpStatusCode.Unauthorized);
        locked.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests, lockedHtml);
        locked.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ShouldBeInRange(1, 60);
        lockedHtml.ShouldContain("Too many wrong keys from this address");
        stillLocked.StatusCode.ShouldBe(HttpStatusCode.Redirect, "the refused login did not sign in");
        stillLocked.Headers.Location!.ToString().ShouldStartWith("/portal/login");
        beforeItPasses.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        after.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        after.Headers.Location!.ToString().ShouldBe("/portal");
    }

    [Fact]
    public async Task On_loopback_without_a_key_there_is_no_login()
    {
        await using var sim = await PortalHttp.StartAsync();

        var html = await sim.PageAsync("/portal/faults");

        html.ShouldNotContain("Sign out");
        html.ShouldContain("Token max-uses bottleneck");
    }

    [Fact]
    public async Task The_root_sends_browsers_to_the_portal_and_names_it_for_everyone_else()
    {
        await using var sim = await PortalHttp.StartAsync();
        await using var off = await PortalHttp.StartAsync(o => o.Portal = false);

        using var browser = new HttpRequestMessage(HttpMethod.Get, "/");
        browser.Headers.Accept.ParseAdd("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8");
        using var redirected = await sim.Http.SendAsync(browser, Ct);
        var text = await sim.Http.GetStringAsync("/", Ct);
        var offText = await off.Http.GetStringAsync("/", Ct);
        using var offPortal = await off.Http.GetAsync("/portal", Ct);

        redirected.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        redirected.Headers.Location!.ToString().ShouldBe("/portal");
        text.ShouldStartWith("CssmSim ");
        text.ShouldContain("Portal: /portal");
        offText.ShouldNotContain("Portal");
        offPortal.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_stylesheet_comes_from_the_assembly_with_an_etag()
    {
        await using var sim = await PortalHttp.StartAsync();

        using var first = await sim.Http.GetAsync("/portal/portal.css", Ct);
        var css = await first.Content.ReadAsStringAsync(Ct);
        using var again = new HttpRequestMessage(HttpMethod.Get, "/portal/portal.css");
        again.Headers.TryAddWithoutValidation("If-None-Match", first.Headers.ETag!.ToString());
        using var second = await sim.Http.SendAsync(again, Ct);

        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        first.Content.Headers.ContentType!.MediaType.ShouldBe("text/css");
        css.ShouldContain(".negative");
        second.StatusCode.ShouldBe(HttpStatusCode.NotModified);
    }

    [Fact]
    public async Task A_rule_on_every_surface_takes_the_portal_down_but_never_its_faults_page()
    {
        await using var sim = await PortalHttp.StartAsync();
        var faults = sim.Service<FaultEngine>();
        await faults.AddAsync(System.Text.Json.Nodes.JsonNode.Parse("""{"id":"down","match":{"surface":"*"},"effect":{"status":503}}""")!, Ct);

        using var general = await sim.Http.GetAsync("/portal", Ct);
        var faultsPage = await sim.PageAsync("/portal/faults");
        using var deleted = await sim.PostFormAsync("/portal/faults?handler=delete&id=down", []);
        using var back = await sim.Http.GetAsync("/portal", Ct);

        general.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        faultsPage.ShouldContain("data-rule-id=\"down\"");
        deleted.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        back.StatusCode.ShouldBe(HttpStatusCode.OK);
        faults.List().ShouldNotContain(v => v.Rule.Id == "down");
    }

    [Fact]
    public async Task Presets_add_their_rules_and_toggle_and_delete_work()
    {
        await using var sim = await PortalHttp.StartAsync();
        var faults = sim.Service<FaultEngine>();

        foreach (var preset in Server.Portal.FaultPresets.All)
            (await sim.PostFormAsync($"/portal/faults?handler=preset&key={preset.Key}", [])).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var added = faults.List().Where(v => !v.Rule.Builtin).ToList();
        (await sim.PostFormAsync($"/portal/faults?handler=toggle&id={added[0].Rule.Id}&enabled=false", [])).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var disabled = faults.Find(added[0].Rule.Id)!.Rule.Enabled;
        using var badJson = await sim.PostFormAsync("/portal/faults?handler=add", new Dictionary<string, string> { ["RuleJson"] = """{"match":{"surface":"nowhere"},"effect":{"status":503}}""" });
        var badHtml = await PortalHttp.BodyAsync(badJson);
        (await sim.PostFormAsync("/portal/faults?handler=deleteAll", [])).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        added.Select(v => v.Rule.Name).ShouldBe(["LS_LICENGINE_FAIL_TO_CONNECT on trust", "CSSM down", "Slow ACK", "429 quota", "Corrupt trust code", "Partial ACK"]);
        added[0].Rule.Effect.Error.ShouldBe("LS_LICENGINE_FAIL_TO_CONNECT");
        added[1].Rule.Effect.Status.ShouldBe(503);
        added[2].Rule.Effect.LatencyMs.ShouldBe(10_000);
        added[3].Rule.Effect.Status.ShouldBe(429);
        added[4].Rule.Effect.Corrupt.ShouldBe(["trustCode"]);
        added[5].Rule.Effect.Ack!.Reports!.Count.ShouldBe(1);
        disabled.ShouldBeFalse();
        badJson.StatusCode.ShouldBe(HttpStatusCode.OK);
        badHtml.ShouldContain("match.surface");
        faults.List().ShouldAllBe(v => v.Rule.Builtin);
    }

    [Fact]
    public async Task The_clock_control_advances_virtual_time_and_resets_to_wall_time()
    {
        await using var sim = await PortalHttp.StartAsync();
        var clock = sim.Service<SimulatorClock>();
        var before = clock.GetUtcNow();

        using var advanced = await sim.PostFormAsync("/portal/clock?returnUrl=%2Fportal%2Flicenses%3Fsa%3Dexample.com", new Dictionary<string, string> { ["advance"] = "P30D" }, "/portal");
        var moved = clock.GetUtcNow() - before;
        var page = await sim.PageAsync(advanced.Headers.Location!.ToString());
        using var reset = await sim.PostFormAsync("/portal/clock", new Dictionary<string, string> { ["reset"] = "true" }, "/portal");

        advanced.Headers.Location!.ToString().ShouldStartWith("/portal/licenses?sa=example.com&done=");
        moved.ShouldBeGreaterThan(TimeSpan.FromDays(30) - TimeSpan.FromMinutes(1));
        System.Net.WebUtility.HtmlDecode(page).ShouldContain("virtual +30d");
        clock.Mode.ShouldBe(ClockMode.System);
    }

    [Fact]
    public async Task The_clock_control_never_redirects_off_the_portal()
    {
        await using var sim = await PortalHttp.StartAsync();

        using var r = await sim.PostFormAsync("/portal/clock?returnUrl=https%3A%2F%2Fevil.example%2F", new Dictionary<string, string> { ["advance"] = "PT1H" }, "/portal");

        r.Headers.Location!.ToString().ShouldStartWith("/portal?");
    }

    [GeneratedRegex("<form[^>]*method=\"post\"[\\s\\S]*?</form>", RegexOptions.IgnoreCase)]
    private static partial Regex PostForms();
}
