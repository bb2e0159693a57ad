namespace CssmSim.Engine.UsageFiles;

/// <summary>The four upload forms of artefacts.md §Offline usage upload.</summary>
public enum UsageFileForm
{
    /// <summary>Form 1: <c>UD_SA_&lt;ts&gt;.tar.gz</c> with <c>manifest.mf</c> and <c>UD_VA_&lt;ts&gt;.tar.gz</c> archives of <c>dev_&lt;id&gt;_&lt;ts&gt;.txt</c> files.</summary>
    NestedArchive = 1,

    /// <summary>Form 2: a tar (gzip or not) of RUM report files.</summary>
    PlainArchive = 2,

    /// <summary>Form 3: a single RUM file (<c>.txt</c>/<c>.xml</c>).</summary>
    RumFile = 3,

    /// <summary>Form 4: an SLR/SLAC return file, one return code per line. It has no ACK.</summary>
    ReturnFile = 4,
}

/// <summary>What a safe read of an upload found. Entry contents are bytes; parsing them is the caller's.</summary>
public sealed class UploadedUsageFile
{
    /// <summary>The upload's name as given (multipart file name or <c>?fileName=</c>).</summary>
    public required string FileName { get; init; }

    public required UsageFileForm Form { get; init; }

    /// <summary>The upload itself was gzip-compressed (detected by its magic bytes).</summary>
    public bool IsGzip { get; init; }

    /// <summary>The parsed <c>manifest.mf</c> of a nested upload; null when there is none.</summary>
    public UsageManifest? Manifest { get; init; }

    /// <summary>The Virtual Account archives of a nested upload, in archive order.</summary>
    public IReadOnlyList<VirtualAccountArchive> VirtualAccountArchives { get; init; } = [];

    /// <summary>
    /// Every usage file, in archive order: the device files of all Virtual Account archives, then
    /// (forms 1–2) the report files of the outer archive; for forms 3–4 the upload itself.
    /// </summary>
    public IReadOnlyList<UsageFileEntry> Entries { get; init; } = [];

    /// <summary>Form 4: the return codes, one per non-blank line, trimmed, in order.</summary>
    public IReadOnlyList<string> ReturnCodes { get; init; } = [];

    /// <summary>Form 4: for each of <see cref="ReturnCodes"/>, the UDI a <c>UDI:</c> line named before it (<c>PID:x,SN:y</c>), else null.</summary>
    public IReadOnlyList<string?> ReturnCodeUdis { get; init; } = [];

    /// <summary>The size of the upload as received.</summary>
    public long CompressedBytes { get; init; }

    /// <summary>The bytes counted against <see cref="UploadLimits.MaxExpandedBytes"/>.</summary>
    public long ExpandedBytes { get; init; }

    /// <summary>The tar entries counted against <see cref="UploadLimits.MaxEntries"/> (all levels, directories included).</summary>
    public int ArchiveEntryCount { get; init; }

    /// <summary>Forms 1–3 get an ACK download; a return file (form 4) does not.</summary>
    public bool HasAck => Form != UsageFileForm.ReturnFile;
}

/// <summary>A <c>UD_VA_&lt;ts&gt;.tar.gz</c> (or plain tar) inside a nested upload.</summary>
public sealed class VirtualAccountArchive
{
    /// <summary>Its path in the outer archive, leading <c>./</c> stripped, e.g. <c>UD_VA_1700.tar.gz</c>.</summary>
    public required string Path { get; init; }

    public string FileName => EntryPaths.FileNameOf(Path);

    /// <summary>The manifest section that names it; null when the manifest is missing or does not name it.</summary>
    public ManifestVaSection? Section { get; init; }

    public bool IsGzip { get; init; }

    /// <summary>Its device files, in archive order.</summary>
    public required IReadOnlyList<UsageFileEntry> Entries { get; init; }
}

/// <summary>One usage file of an upload: a device file, a RUM report file, or the upload itself.</summary>
public sealed class UsageFileEntry
{
    /// <summary>
    /// The entry's name for reports and ACK lookup: for a device file the Virtual Account
    /// archive's name without <c>.tar.gz</c>/<c>.tgz</c>/<c>.tar</c> joined to the path inside it
    /// (<c>UD_VA_1700/dev_42_1700.txt</c>); for an outer-archive file its path
    /// (<c>./</c> stripped); for a single-file upload the upload's file name.
    /// </summary>
    public required string Path { get; init; }

    /// <summary>The path inside the archive that holds it (<c>dev_42_1700.txt</c>); the file name for a single-file upload.</summary>
    public required string InnerPath { get; init; }

    public string FileName => EntryPaths.FileNameOf(InnerPath);

    /// <summary>The <c>&lt;id&gt;</c> of a <c>dev_&lt;id&gt;_&lt;ts&gt;.txt</c> name, or null for other names.</summary>
    public string? DeviceId => EntryPaths.DeviceIdOf(FileName);

    /// <summary>The Virtual Account archive's path (<c>UD_VA_1700.tar.gz</c>) for a device file of a nested upload, else null.</summary>
    public string? VirtualAccountArchivePath { get; init; }

    /// <summary>The manifest section of that archive, when the manifest names it.</summary>
    public ManifestVaSection? VirtualAccount { get; init; }

    public required ReadOnlyMemory<byte> Content { get; init; }

    /// <summary>
    /// A single-file upload larger than any RUM file may be (<see cref="Usage.RumFileReader.MaxFileBytes"/>)
    /// is not read into memory: <see cref="Content"/> is empty and this is its size. It reads as too large.
    /// </summary>
    public long UnreadBytes { get; init; }
}
