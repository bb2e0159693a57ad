namespace CssmSim.Engine.UsageFiles;

/// <summary>
/// How much an offline usage upload may weigh (control.md §Configuration, <c>Uploads:*</c>).
/// <see cref="MaxCompressedBytes"/> bounds the upload as received; <see cref="MaxExpandedBytes"/>
/// bounds every byte produced while unpacking it (each decompressed level is counted, the
/// upload itself when it is not compressed); <see cref="MaxEntries"/> bounds the tar entries of
/// all levels together.
/// </summary>
public sealed record UploadLimits(
    long MaxCompressedBytes = UploadLimits.DefaultMaxCompressedBytes,
    long MaxExpandedBytes = UploadLimits.DefaultMaxExpandedBytes,
    int MaxEntries = UploadLimits.DefaultMaxEntries)
{
    public const long DefaultMaxCompressedBytes = 64L * 1024 * 1024;
    public const long DefaultMaxExpandedBytes = 512L * 1024 * 1024;
    public const int DefaultMaxEntries = 100_000;

    /// <summary>64 MiB compressed, 512 MiB expanded, 100,000 entries.</summary>
    public static UploadLimits Default { get; } = new();

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxCompressedBytes, nameof(MaxCompressedBytes));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxExpandedBytes, nameof(MaxExpandedBytes));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxEntries, nameof(MaxEntries));
    }
}
