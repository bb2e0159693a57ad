using CssmSim.Engine.Accounts;
using CssmSim.Engine.Storage;

namespace CssmSim.Engine.UsageFiles;

/// <summary>The Reporting Status strings of CSSM's Usage Data Files table, exactly.</summary>
public static class UsageFileStatus
{
    public const string Processing = "Data Being Processed";
    public const string NoErrors = "No Errors";
    public const string Errors = "Errors";
}

/// <summary>The stored names of <see cref="UsageFileForm"/>.</summary>
public static class UsageFileForms
{
    public const string Nested = "nested";
    public const string Plain = "plain";
    public const string Rum = "rum";
    public const string Return = "return";

    public static string Name(UsageFileForm form) => form switch
    {
        UsageFileForm.NestedArchive => Nested,
        UsageFileForm.PlainArchive => Plain,
        UsageFileForm.RumFile => Rum,
        _ => Return,
    };
}

/// <summary>
/// One problem of an upload, as <c>errors[]</c> shows it: the usage file it is in (its entry path, or
/// the upload's name), the report id when one was read, and what went wrong.
/// </summary>
public sealed record UsageFileError(string? Entry, string? ReportId, string Message);

/// <summary>The <c>code</c> values of an upload request refused before any processing (HTTP 400).</summary>
public static class UsageFileRequestCodes
{
    /// <summary>Neither the manifest nor the request names a Virtual Account that exists.</summary>
    public const string VirtualAccountRequired = "VIRTUAL_ACCOUNT_REQUIRED";

    /// <summary><c>?smartAccount=</c> or <c>?virtualAccount=</c> names an account that does not exist.</summary>
    public const string AccountNotFound = "ACCOUNT_NOT_FOUND";

    /// <summary>The file name cannot be used (control characters, too long).</summary>
    public const string InvalidFileName = "INVALID_FILE_NAME";
}

/// <summary>An upload request refused before anything is read into the store (nothing is recorded).</summary>
public sealed class UsageFileRequestException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>Where reports go: a Virtual Account and its Smart Account.</summary>
public sealed record UsageFileTarget(SmartAccount Account, VirtualAccount VirtualAccount);

/// <summary>
/// An upload that was read safely and whose accounts resolved, ready to process. Nothing is stored
/// yet: refusing it now leaves the store as it was.
/// </summary>
public sealed class PreparedUsageFile
{
    internal PreparedUsageFile() { }

    /// <summary>What the safe reader found.</summary>
    public required UploadedUsageFile Upload { get; init; }

    /// <summary>True when no file name was given: the upload is named <c>usage-&lt;id&gt;</c> once it has an id.</summary>
    public required bool NameFromId { get; init; }

    /// <summary>Where the upload goes (the first group's account); null only for a return file uploaded without one.</summary>
    public required UsageFileTarget? Target { get; init; }

    /// <summary>The usage files by destination: indexes into <see cref="UploadedUsageFile.Entries"/>.</summary>
    internal IReadOnlyList<(IReadOnlyList<int> Entries, UsageFileTarget Target)> Groups { get; init; } = [];

    /// <summary>What makes two uploads the same upload (bytes, name, destinations): a retry of one cut short resumes it.</summary>
    internal string ContentKey { get; init; } = "";
}

/// <summary>
/// An upload as the control API, the portal and tests see it: the shown status (<see cref="UsageFileStatus.Processing"/>
/// while its job runs), and the outcome once final.
/// </summary>
public sealed record UsageFileView(StoredUsageFile Record, string Status, bool Final, string? FailureMessage, SmartAccount? SmartAccount,
    VirtualAccount? VirtualAccount)
{
    public string Id => Record.Id;
    public string FileName => Record.FileName;

    /// <summary>Product instances acknowledged; 0 while processing.</summary>
    public int ProductInstances => Final ? Record.ProductInstances : 0;

    /// <summary>Reports acknowledged; 0 while processing.</summary>
    public int Reports => Final ? Record.Reports : 0;

    /// <summary>Errors; empty while processing. A failed job adds its message.</summary>
    public IReadOnlyList<UsageFileError> Errors => !Final ? []
        : FailureMessage is null ? Record.Errors : [.. Record.Errors, new UsageFileError(null, null, FailureMessage)];

    /// <summary>Set when a wait for the final status ran out first.</summary>
    public bool TimedOut { get; init; }
}

/// <summary>Where an ACK download stands.</summary>
public enum AckAvailability
{
    /// <summary>Ready: <see cref="UsageFileAck.Download"/> is set.</summary>
    Ready,

    /// <summary>The upload is still <see cref="UsageFileStatus.Processing"/> (HTTP 409).</summary>
    Processing,

    /// <summary>The upload has no ACK: a return file, a failed upload, or nothing acknowledged (HTTP 404).</summary>
    None,
}

/// <summary>The answer to an ACK download request.</summary>
public sealed record UsageFileAck(AckAvailability Availability, string Message, AckDownload? Download);
