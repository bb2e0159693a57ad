namespace CssmSim.Testing;

/// <summary>
/// A CSSM error code, as a fault rule's effect and as a device sees it in <c>error.code</c>. The
/// static members are the codes the simulator itself produces; any other CSSM code works too.
/// </summary>
/// <param name="Code">The code, e.g. <c>LS_LICENGINE_FAIL_TO_CONNECT</c>.</param>
public sealed record CssmError(string Code)
{
    /// <summary>CSSM's back end could not be reached (SPEC §3): the error of the token bottleneck.</summary>
    public static CssmError LicEngineFailToConnect { get; } = new("LS_LICENGINE_FAIL_TO_CONNECT");
    /// <summary>No token with that string or id.</summary>
    public static CssmError TokenNotFound { get; } = new("TOKEN_NOT_FOUND");
    /// <summary>The token was revoked.</summary>
    public static CssmError TokenRevoked { get; } = new("TOKEN_REVOKED");
    /// <summary>The token's expiry date has passed (virtual clock).</summary>
    public static CssmError TokenExpired { get; } = new("TOKEN_EXPIRED");
    /// <summary>The token's uses reached its maximum.</summary>
    public static CssmError TokenUsesExhausted { get; } = new("TOKEN_USES_EXHAUSTED");
    /// <summary>The UDI already has trust and the request did not force.</summary>
    public static CssmError UdiAlreadyRegistered { get; } = new("UDI_ALREADY_REGISTERED");
    /// <summary>A message that needs trust came from a device without it.</summary>
    public static CssmError TrustRequired { get; } = new("TRUST_REQUIRED");
    /// <summary>Not enough licenses in the Virtual Account for an authorization.</summary>
    public static CssmError InsufficientLicenses { get; } = new("INSUFFICIENT_LICENSES");
    /// <summary>Export-controlled functionality is not allowed for this product instance.</summary>
    public static CssmError ExportControlNotAllowed { get; } = new("EXPORT_CONTROL_NOT_ALLOWED");
    /// <summary>The Virtual Account holds no such license.</summary>
    public static CssmError UnknownLicense { get; } = new("UNKNOWN_LICENSE");
    /// <summary>An authorization asked for an unenforced license.</summary>
    public static CssmError LicenseNotEnforced { get; } = new("LICENSE_NOT_ENFORCED");
    /// <summary>A return code that decodes to no known authorization.</summary>
    public static CssmError UnknownReturnCode { get; } = new("UNKNOWN_RETURN_CODE");
    /// <summary>A signature did not verify.</summary>
    public static CssmError InvalidSignature { get; } = new("INVALID_SIGNATURE");
    /// <summary>A malformed smart-transport message.</summary>
    public static CssmError InvalidMessage { get; } = new("INVALID_MESSAGE");
    /// <summary>The message's timestamp is too far from the simulator's clock.</summary>
    public static CssmError ClockSkew { get; } = new("CLOCK_SKEW");

    /// <inheritdoc/>
    public override string ToString() => Code;
}

/// <summary>How a <see cref="Fault.Drop"/> breaks the reply.</summary>
public enum DropKind
{
    /// <summary>The connection is reset.</summary>
    Reset,
    /// <summary>An empty response.</summary>
    Empty,
    /// <summary>The body is cut short.</summary>
    Truncate,
    /// <summary>No answer until the client gives up.</summary>
    Hang,
}
