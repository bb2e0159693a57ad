using System.Net;

namespace CssmSim.Testing.Devices;

/// <summary>What went wrong when a simulated device got no usable smart-transport reply.</summary>
public enum TransportFailure
{
    /// <summary>No connection, or the connection was dropped before a whole reply arrived.</summary>
    ConnectionFailed,

    /// <summary>No whole reply within <see cref="SimulatedProductInstance.RequestTimeout"/> (or the client's own timeout).</summary>
    Timeout,

    /// <summary>An HTTP error status whose body is not a smart-transport reply (e.g. a gateway's 429 or 503 page).</summary>
    HttpStatus,

    /// <summary>A success status with a body that is not a readable reply: not JSON, cut off, or missing what it promised.</summary>
    InvalidReply,
}

/// <summary>
/// A smart-transport request that got no usable reply: the message says which request, from where,
/// and what came back instead. An <see cref="InvalidOperationException"/>, so code that caught the
/// device's earlier errors still does.
/// </summary>
public sealed class SmartTransportException(string message, TransportFailure failure, HttpStatusCode? status = null, TimeSpan? retryAfter = null,
    Exception? inner = null) : InvalidOperationException(message, inner)
{
    /// <summary>What kind of failure this is.</summary>
    public TransportFailure Failure { get; } = failure;

    /// <summary>The HTTP status, when a reply arrived.</summary>
    public HttpStatusCode? Status { get; } = status;

    /// <summary>How long the server asked to wait before retrying (<c>Retry-After</c>), when it said.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
