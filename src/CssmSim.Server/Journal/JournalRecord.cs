namespace CssmSim.Server.Journal;

/// <summary>
/// What the journal should say about the request in flight, filled in by endpoints and error
/// renderers (which know the account, UDI and outcome) and read by the journal middleware.
/// </summary>
internal sealed class JournalRecord
{
    public required string Surface { get; set; }
    public string? Operation { get; set; }
    public string? SmartAccount { get; set; }
    public string? VirtualAccount { get; set; }
    public string? Udi { get; set; }
    public string? TokenId { get; set; }
    public string? Outcome { get; private set; }
    public string? ErrorCode { get; private set; }
    public JournalFault? Fault { get; set; }

    public void SetOutcome(string outcome, string? errorCode = null)
    {
        Outcome = outcome;
        ErrorCode = errorCode;
    }
}

internal static class JournalRecordExtensions
{
    /// <summary>The request's journal record, or a throwaway one on surfaces the journal does not keep.</summary>
    public static JournalRecord Journal(this HttpContext ctx) =>
        ctx.Features.Get<JournalRecord>() ?? new JournalRecord { Surface = "none" };
}
