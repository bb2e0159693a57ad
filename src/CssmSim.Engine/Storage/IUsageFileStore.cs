using CssmSim.Engine.UsageFiles;

namespace CssmSim.Engine.Storage;

/// <summary>
/// An offline usage upload as recorded (artefacts.md §Offline usage upload): what it was, where it
/// went, its outcome once processed, and the ACK download kept byte for byte so every download of
/// it is the same. <see cref="Status"/> is the final status; while its job is pending the upload
/// shows <see cref="UsageFileStatus.Processing"/> instead.
/// </summary>
/// <param name="Id">The upload id.</param>
/// <param name="Seq">Upload order (the counter that made <paramref name="Id"/>).</param>
/// <param name="SmartAccountId">The Smart Account it was uploaded to; null for a return file uploaded without one.</param>
/// <param name="VirtualAccountId">The Virtual Account it was uploaded to (the first one, when a nested upload names several).</param>
/// <param name="FileName">The upload's file name.</param>
/// <param name="Form">The upload form (<see cref="UsageFileForms"/>).</param>
/// <param name="UploadedAt">Virtual time of the upload.</param>
/// <param name="PollId">The <c>usage-files</c> job that says when processing ends; null when final at once.</param>
/// <param name="Status">The final status: <see cref="UsageFileStatus.NoErrors"/> or <see cref="UsageFileStatus.Errors"/>.</param>
/// <param name="ProductInstances">Product instances acknowledged.</param>
/// <param name="Reports">Reports acknowledged (duplicates of earlier uploads included, counted once in the store).</param>
/// <param name="Errors">What went wrong, entry by entry.</param>
/// <param name="Ack">The ACK download; null when the upload has none (a return file, or nothing acknowledged).</param>
public sealed record StoredUsageFile(
    string Id,
    long Seq,
    string? SmartAccountId,
    string? VirtualAccountId,
    string FileName,
    string Form,
    DateTimeOffset UploadedAt,
    string? PollId,
    string Status,
    int ProductInstances,
    int Reports,
    IReadOnlyList<UsageFileError> Errors,
    AckDownload? Ack)
{
    /// <summary>True when the upload has an ACK (listings leave <see cref="Ack"/>'s bytes out but keep its name).</summary>
    public bool HasAck => Ack is not null;
}

/// <summary>Offline usage uploads.</summary>
public interface IUsageFileStore
{
    /// <summary>
    /// Records an upload as begun, before anything of it is stored, in one transaction: the one
    /// begun before with the same <paramref name="contentKey"/> and never completed (its process
    /// was killed) is returned to be resumed; otherwise the next upload sequence number is taken
    /// and <paramref name="create"/>'s record inserted. A begun upload is hidden from
    /// <see cref="FindAsync"/> and <see cref="ListAsync"/> until <see cref="CompleteAsync"/>.
    /// </summary>
    Task<(StoredUsageFile File, bool Resumed)> BeginAsync(string contentKey, Func<long, StoredUsageFile> create, CancellationToken ct = default);

    /// <summary>Writes the outcome of a begun upload and shows it; false when it was completed already (by a concurrent retry).</summary>
    Task<bool> CompleteAsync(StoredUsageFile file, CancellationToken ct = default);

    /// <summary>One upload with its ACK bytes; null when unknown.</summary>
    Task<StoredUsageFile?> FindAsync(string id, CancellationToken ct = default);

    /// <summary>
    /// Uploads in upload order, of one Smart Account (all when null), without ACK bytes
    /// (<see cref="StoredUsageFile.Ack"/> carries the name and type, with empty content).
    /// </summary>
    Task<IReadOnlyList<StoredUsageFile>> ListAsync(string? smartAccountId, CancellationToken ct = default);
}
