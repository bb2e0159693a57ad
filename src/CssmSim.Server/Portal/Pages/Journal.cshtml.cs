using CssmSim.Engine.Faults;
using CssmSim.Server.Journal;

namespace CssmSim.Server.Portal.Pages;

/// <summary>Journal (portal.md 10): the last requests on the device and API surfaces, newest first, by UDI or operation.</summary>
public sealed class JournalModel(RequestJournal journal) : PortalPage
{
    public const int Shown = 200;

    public override string Title => "Journal";

    public IReadOnlyList<JournalEntry> Entries { get; private set; } = [];
    public int Matching { get; private set; }
    public string? Udi { get; private set; }
    public string? Operation { get; private set; }

    /// <summary>Every operation name a request can have, for the filter.</summary>
    public static IReadOnlyList<string> Operations { get; } = FaultCatalog.Operations.Values.SelectMany(o => o).Distinct().Order(StringComparer.Ordinal).ToList();

    public async Task OnGetAsync(string? udi, string? operation)
    {
        Udi = string.IsNullOrWhiteSpace(udi) ? null : udi.Trim();
        Operation = string.IsNullOrWhiteSpace(operation) ? null : operation.Trim();
        // A UDI filter matches part of the UDI (the serial number alone will do).
        var all = (await journal.QueryAllAsync(new JournalFilter(Operation: Operation), int.MaxValue, HttpContext.RequestAborted))
            .Where(e => Udi is null || (e.Udi?.Contains(Udi, StringComparison.OrdinalIgnoreCase) ?? false)).ToList();
        Matching = all.Count;
        Entries = Enumerable.Reverse(all).Take(Shown).ToList();
    }
}
