using CssmSim.Testing;

namespace CssmSim.Scenarios.Running;

/// <summary>
/// The default target: a simulator in this process (the test fixture's real Kestrel on a random
/// loopback port, in-memory state). The runner reaches it over HTTP like any other.
/// </summary>
public static class InProcessTarget
{
    public static Task<CssmSimulator> StartAsync(CancellationToken ct = default) => CssmSimulator.StartAsync(ct: ct);
}
