namespace CssmSim.Engine.Devices;

/// <summary>
/// A CSSM business error: the code a device parses and the message it logs. Every surface renders
/// these in its own shape (smart transport <c>error</c>, SLP <c>message</c>/<c>message_code</c>, HTTP problem).
/// </summary>
public sealed record CssmError(string Code, string Message)
{
    // The one place the fault message is spelled: CSSM's own wording for a server-side failure.
    private const string ServerErrorPrefix = "Server error occurred: ";

    /// <summary>The message CSSM gives with an injected error code.</summary>
    public static string ServerErrorMessage(string code) => ServerErrorPrefix + code;

    /// <summary>A fault rule's error code, as CSSM reports a server-side failure.</summary>
    public static CssmError ServerError(string code) => new(code, ServerErrorMessage(code));

    public static CssmError InvalidMessage(string message) => new(CssmCodes.InvalidMessage, message);

    public static CssmError TrustRequired(string message) => new(CssmCodes.TrustRequired, message);
}

/// <summary>The CSSM error codes the simulator answers with (smart-transport.md §Errors, cssm-api.md §SLP).</summary>
public static class CssmCodes
{
    public const string InvalidMessage = "INVALID_MESSAGE";
    public const string TrustRequired = "TRUST_REQUIRED";
    public const string ClockSkew = "CLOCK_SKEW";
    /// <summary>CSSM's transient licensing-engine failure (the fault, the token bottleneck): devices retry it.</summary>
    public const string LicEngineFailToConnect = "LS_LICENGINE_FAIL_TO_CONNECT";
    public const string TokenNotFound = "TOKEN_NOT_FOUND";
    public const string TokenRevoked = "TOKEN_REVOKED";
    public const string TokenExpired = "TOKEN_EXPIRED";
    public const string TokenUsesExhausted = "TOKEN_USES_EXHAUSTED";
    public const string UdiAlreadyRegistered = "UDI_ALREADY_REGISTERED";
    public const string PollIdNotFound = "POLL_ID_NOT_FOUND";
    public const string InsufficientLicenses = "INSUFFICIENT_LICENSES";
    public const string UnknownLicense = "UNKNOWN_LICENSE";
    public const string LicenseNotEnforced = "LICENSE_NOT_ENFORCED";
    public const string ExportControlNotAllowed = "EXPORT_CONTROL_NOT_ALLOWED";
    public const string UnknownReturnCode = "UNKNOWN_RETURN_CODE";
    public const string AccountNotFound = "ACCOUNT_NOT_FOUND";
    public const string InvalidPayload = "INVALID_PAYLOAD";
    public const string DuplicateReport = "DUPLICATE_REPORT";
}
