namespace CssmSim.Engine.Usage;

/// <summary>
/// Caps applied while reading RUM files and report JSON. Files arrive over HTTP, so every cap
/// is checked before the work it bounds.
/// </summary>
/// <param name="MaxDocumentChars">Characters in one XML document (after UTF-8 decoding).</param>
/// <param name="MaxReports">Entries in one file: <c>RUMReport</c>, trust and authorization request elements together.</param>
/// <param name="MaxJsonDepth">Nesting depth of the JSON inside an entry and of a payload.</param>
public sealed record RumLimits(int MaxDocumentChars = 16 * 1024 * 1024, int MaxReports = 100_000, int MaxJsonDepth = 64)
{
    /// <summary>16 Mi characters, 100,000 entries, JSON depth 64.</summary>
    public static RumLimits Default { get; } = new();
}
