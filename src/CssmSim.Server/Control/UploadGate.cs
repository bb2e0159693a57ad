using CssmSim.Server.Pipeline;

namespace CssmSim.Server.Control;

/// <summary>
/// Bounds the offline usage uploads read at once (<c>Uploads:MaxInFlight</c>): each holds its file
/// and what it expands to in memory, so two hundred at once once ran the server out of memory.
/// One beyond the bound is answered 429 with <c>Retry-After</c> at once instead of queueing.
/// </summary>
public sealed class UploadGate(int maxInFlight)
{
    private readonly SemaphoreSlim _slots = new(Math.Max(1, maxInFlight), Math.Max(1, maxInFlight));

    public int MaxInFlight { get; } = Math.Max(1, maxInFlight);

    /// <summary>A slot, released when disposed; 429 when every slot is taken.</summary>
    public IDisposable Enter()
    {
        if (!_slots.Wait(0))
            throw new ApiException(429, $"{MaxInFlight} uploads are already being read (Uploads:MaxInFlight); retry after the Retry-After seconds", "TOO_MANY_UPLOADS");
        return new Slot(_slots);
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
