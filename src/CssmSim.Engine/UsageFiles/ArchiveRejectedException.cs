namespace CssmSim.Engine.UsageFiles;

/// <summary>The <c>code</c> values an upload refused whole carries (artefacts.md §Offline usage upload).</summary>
public static class UploadRejectionCodes
{
    /// <summary>A container violation: bad gzip or tar, unsafe path, link, device, too many entries, nesting.</summary>
    public const string ArchiveRejected = "ARCHIVE_REJECTED";

    /// <summary>The upload or what it expands to is over <see cref="UploadLimits"/>.</summary>
    public const string UploadTooLarge = "UPLOAD_TOO_LARGE";
}

/// <summary>
/// The upload is refused whole: no upload record is made and nothing is stored. <see cref="Code"/>
/// is <see cref="UploadRejectionCodes.ArchiveRejected"/> (HTTP 400) or
/// <see cref="UploadRejectionCodes.UploadTooLarge"/> (HTTP 413); <see cref="Entry"/> names the
/// offending entry when there is one.
/// </summary>
public sealed class ArchiveRejectedException(string code, string message, string? entry = null) : Exception(message)
{
    public string Code { get; } = code;

    /// <summary>The offending entry, as "outer/inner" names from the upload, or null for the upload as a whole.</summary>
    public string? Entry { get; } = entry;

    internal static ArchiveRejectedException Rejected(string message, string? entry = null) =>
        new(UploadRejectionCodes.ArchiveRejected, message, entry);

    internal static ArchiveRejectedException TooLarge(string message, string? entry = null) =>
        new(UploadRejectionCodes.UploadTooLarge, message, entry);
}
