using CssmSim.Server.Pipeline;

namespace CssmSim.Server.Control;

/// <summary>
/// Bounds the offline usage uploads read at once (<c>Uploads:MaxInFlight</c>): each holds the usage
/// files its upload expands to while they are processed, so two hundred at once once ran the server
/// out of memory. One beyond the bound is answered 429 with <c>Retry-After</c> at once instead of
/// queueing. The upload body itself is spooled to a temporary file in <see cref="TempDirectory"/>
/// (<c>Uploads:TempDirectory</c>), not held in memory.
/// </summary>
public sealed class UploadGate(int maxInFlight, string? tempDirectory = null)
{
    private readonly SemaphoreSlim _slots = new(Math.Max(1, maxInFlight), Math.Max(1, maxInFlight));

    public int MaxInFlight { get; } = Math.Max(1, maxInFlight);

    /// <summary>Where upload bodies are spooled while they are read.</summary>
    public string TempDirectory { get; } = tempDirectory ?? Path.Combine(Path.GetTempPath(), "cssmsim-uploads");

    /// <summary>A slot, released when disposed; 429 when every slot is taken.</summary>
    public IDisposable Enter()
    {
        if (!_slots.Wait(0))
            throw new ApiException(429, $"{MaxInFlight} uploads are already being read (Uploads:MaxInFlight); retry after the Retry-After seconds", "TOO_MANY_UPLOADS");
        return new Slot(_slots);
    }

    /// <summary>
    /// A new empty temporary file for one upload body, deleted when the stream is disposed (the
    /// request ends, answered, refused or aborted). Only a killed process leaves one behind; the
    /// names say so (<c>upload-*.tmp</c>), and nothing reads them again.
    /// </summary>
    public FileStream CreateSpool()
    {
        Directory.CreateDirectory(TempDirectory);
        var path = Path.Combine(TempDirectory, $"upload-{Guid.NewGuid():N}.tmp");
        return new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            Options = FileOptions.DeleteOnClose | FileOptions.Asynchronous,
            BufferSize = 81920,
        });
    }

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) slots.Release();
        }
    }
}
