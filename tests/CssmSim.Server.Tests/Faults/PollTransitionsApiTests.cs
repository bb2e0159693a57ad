using System.Net;
using System.Text;
using CssmSim.Server.Tests.Support;

namespace CssmSim.Server.Tests.Faults;

public sealed class PollTransitionsApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Acknowledgements_answer_on_the_first_poll_and_every_other_action_at_once_by_default_with_the_configured_interval()
    {
        await using var sim = await TestSimulator.StartAsync(o => o.PollIntervalSeconds = 60);

        var list = (await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/poll-transitions", Ct)))["transitions"]!.AsArray();

        list.Select(t => t!["action"]!.GetValue<string>()).ShouldBe(["acknowledgements", "authorizations", "trust", "usage-files"]);
        // Usage is asynchronous as real devices record it (smart-transport.md §What real devices record): OK_POLL, the ACK on the first poll.
        list[0]!["progression"]!.GetValue<string>().ShouldBe("polls");
        list[0]!["times"]!.GetValue<long>().ShouldBe(0);
        list.Skip(1).ShouldAllBe(t => t!["progression"]!.GetValue<string>() == "immediate");
        list.ShouldAllBe(t => t!["pollInterval"]!.GetValue<long>() == 60);
    }

    [Fact]
    public async Task A_transition_is_set_per_action_and_per_account_and_delete_restores_the_defaults()
    {
        await using var sim = await TestSimulator.StartAsync();

        using var polls = await sim.Http.PostAsync("/_sim/poll-transitions", Json("""{"action":"acknowledgements","progression":"polls","times":2}"""), Ct);
        using var time = await sim.Http.PostAsync("/_sim/poll-transitions", Json("""{"action":"authorizations","progression":"time","duration":"PT10M","smartAccount":"example.com","pollInterval":5}"""), Ct);
        var list = (await TestSimulator.ReadJsonAsync(await sim.Http.GetAsync("/_sim/poll-transitions", Ct)))["transitions"]!.AsArray();
        var cleared = (await TestSimulator.ReadJsonAsync(await sim.Http.DeleteAsync("/_sim/poll-transitions", Ct)))["transitions"]!.AsArray();

        polls.StatusCode.ShouldBe(HttpStatusCode.OK);
        time.StatusCode.ShouldBe(HttpStatusCode.OK);
        list.Count.ShouldBe(5);
        list[0]!["progression"]!.GetValue<string>().ShouldBe("polls");
        list[0]!["times"]!.GetValue<long>().ShouldBe(2);
        list[4]!["smartAccount"]!.GetValue<string>().ShouldBe("example.com");
        list[4]!["duration"]!.GetValue<string>().ShouldBe("PT10M");
        cleared.Count.ShouldBe(4);
        cleared.Select(t => t!["progression"]!.GetValue<string>()).ShouldBe(["polls", "immediate", "immediate", "immediate"]);
    }

    [Theory]
    [InlineData("""{"action":"coffee","progression":"immediate"}""", "action")]
    [InlineData("""{"action":"trust","progression":"eventually"}""", "progression")]
    [InlineData("""{"action":"trust","progression":"polls"}""", "times")]
    [InlineData("""{"action":"trust","progression":"time","duration":"P1M"}""", "duration")]
    [InlineData("""{"action":"trust","progression":"immediate","pollInterval":0}""", "pollInterval")]
    public async Task Bad_transitions_are_400_naming_the_field(string body, string field)
    {
        await using var sim = await TestSimulator.StartAsync();

        using var response = await sim.Http.PostAsync("/_sim/poll-transitions", Json(body), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await TestSimulator.ReadJsonAsync(response))["errors"]!.AsObject().Select(e => e.Key).ShouldContain(field);
    }
}
