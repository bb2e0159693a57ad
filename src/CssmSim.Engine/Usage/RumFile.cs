namespace CssmSim.Engine.Usage;

/// <summary>Why a file or an entry was not read.</summary>
public enum RumErrorKind
{
    /// <summary>One entry (a report or a request) is bad; the other entries still parse.</summary>
    Entry,

    /// <summary>The file is empty or only whitespace.</summary>
    Empty,

    /// <summary>The file is not XML at all.</summary>
    NotXml,

    /// <summary>The XML is not well-formed (entries before the fault are kept).</summary>
    Malformed,

    /// <summary>The XML holds a DOCTYPE (DTD); entities are never expanded.</summary>
    Dtd,

    /// <summary>The bytes are not valid UTF-8.</summary>
    InvalidUtf8,

    /// <summary>The document is larger than <see cref="RumLimits.MaxDocumentChars"/>.</summary>
    TooLarge,

    /// <summary>More entries than <see cref="RumLimits.MaxReports"/> (entries up to the cap are kept).</summary>
    TooManyReports,

    /// <summary>The XML holds no <c>RUMReport</c>, trust request or authorization request element.</summary>
    NoEntries,
}

/// <summary>
/// A problem found while reading. <see cref="EntryIndex"/> is null for file-level problems
/// (every kind but <see cref="RumErrorKind.Entry"/>).
/// </summary>
public sealed record RumError(int? EntryIndex, string? ReportId, string Message, RumErrorKind Kind)
{
    /// <summary>True for a problem with the file as a whole rather than one entry.</summary>
    public bool IsFileLevel => Kind != RumErrorKind.Entry;
}

/// <summary>A <c>smartLicenseAuthorizationRequest</c> mode.</summary>
public enum RumAuthorizationMode
{
    /// <summary><c>"add"</c>: add the counts to the current authorization.</summary>
    Add,

    /// <summary><c>"replace"</c>: the counts replace the current authorization.</summary>
    Replace,
}

/// <summary>One <c>{"tag","count"}</c> of an authorization request; <see cref="Tag"/> is canonical (comma form).</summary>
public sealed record RumEntitlementCount(string Tag, long Count)
{
    /// <summary>The tag as written in the file (defaults to <see cref="Tag"/>).</summary>
    public string TagAsWritten { get; init; } = Tag;
}

/// <summary>A <c>smartLicenseTrustRequest</c>: <c>{"sudi":{...},"hostname","ha_udis":[{"role","sudi"}]}</c>.</summary>
public sealed record RumTrustRequest(int EntryIndex, RumUdi Udi, string? Hostname, IReadOnlyList<RumHaUdi> HaUdis, string Json);

/// <summary>A <c>smartLicenseAuthorizationRequest</c>: <c>{"sudi":{...},"entitlements":[{"tag","count"}],"mode"}</c>.</summary>
public sealed record RumAuthorizationRequest(int EntryIndex, RumUdi Udi, IReadOnlyList<RumEntitlementCount> Entitlements, RumAuthorizationMode Mode, string Json);

/// <summary>
/// Everything read from one RUM file. Good entries are kept even when others fail; file-level
/// problems (see <see cref="RumError.IsFileLevel"/>) say whether the container itself was refused.
/// </summary>
public sealed class RumFile
{
    internal RumFile() { }

    /// <summary>The reports that parsed, in document order.</summary>
    public required IReadOnlyList<RumReport> Reports { get; init; }

    /// <summary>The trust requests that parsed.</summary>
    public required IReadOnlyList<RumTrustRequest> TrustRequests { get; init; }

    /// <summary>The authorization (SLAC) requests that parsed.</summary>
    public required IReadOnlyList<RumAuthorizationRequest> AuthorizationRequests { get; init; }

    /// <summary>Local names of unknown elements that were skipped (DLC data, for one), in document order.</summary>
    public required IReadOnlyList<string> SkippedElements { get; init; }

    /// <summary>Problems, in the order found.</summary>
    public required IReadOnlyList<RumError> Errors { get; init; }

    /// <summary>Number of entry elements met (reports and requests, good and bad).</summary>
    public required int EntryCount { get; init; }

    /// <summary>The first file-level problem, or null when the container was read to its end.</summary>
    public RumError? FileError => Errors.FirstOrDefault(e => e.IsFileLevel);
}
