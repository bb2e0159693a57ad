using CssmSim.Engine.Events;
using CssmSim.Engine.Storage;

namespace CssmSim.Server.Portal.Pages;

/// <summary>Inventory → Event Log (portal.md 5): the Smart Account's events, newest first, by Virtual Account and type.</summary>
public sealed class EventsModel(ISimulatorStore store) : PortalPage
{
    public const int Shown = 200;

    public override string Title => "Event Log";

    public IReadOnlyList<StoredEvent> Events { get; private set; } = [];

    /// <summary>True when the list is cut to the newest <see cref="Shown"/>.</summary>
    public bool Cut { get; private set; }

    public string? Type { get; private set; }

    /// <summary>True to show every Virtual Account of the Smart Account.</summary>
    public bool AllVirtualAccounts { get; private set; }

    public async Task OnGetAsync(string? type, bool all)
    {
        Type = type is { Length: > 0 } && EventTypes.All.Contains(type) ? type : null;
        AllVirtualAccounts = all;
        // The newest first, one more than shown to know whether the list was cut.
        var list = await store.Inventory.ListEventsAsync(Account.Id, all ? null : VirtualAccount.Name, Type, null, Shown + 1, HttpContext.RequestAborted, newestFirst: true);
        Cut = list.Count > Shown;
        Events = list.Take(Shown).ToList();
    }

    /// <summary>The event's details as short <c>key: value</c> pairs.</summary>
    public static string Details(string json)
    {
        try
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(json);
            if (node is not System.Text.Json.Nodes.JsonObject obj) return json;
            return string.Join("; ", obj.Select(kv => $"{kv.Key}: {Value(kv.Value)}"));
        }
        catch (System.Text.Json.JsonException)
        {
            return json;
        }
    }

    private static string Value(System.Text.Json.Nodes.JsonNode? v) => v switch
    {
        null => "null",
        System.Text.Json.Nodes.JsonValue value => value.ToString(),
        _ => v.ToJsonString(),
    };
}
