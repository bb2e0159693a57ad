namespace CssmSim.Scenarios.Model;

/// <summary>The kinds of value a key of a step or expectation takes.</summary>
public enum ArgType
{
    /// <summary>A string (a plain scalar that reads as a number is accepted as its text).</summary>
    Text,
    Integer,
    Boolean,
    /// <summary>An ISO-8601 duration, <c>PnDTnHnMnS</c>.</summary>
    Duration,
    /// <summary>An ISO-8601 instant, e.g. <c>2027-01-01T00:00:00Z</c>.</summary>
    Instant,
    /// <summary>One name or a list of names.</summary>
    Names,
    /// <summary>A mapping passed on as JSON (seed documents, fault match/when/effect, policies).</summary>
    Object,
    /// <summary>A list of <c>{tag, count}</c>.</summary>
    Usage,
    /// <summary>A list of <c>{tag, quantity}</c>.</summary>
    Licenses,
}

/// <summary>What a name given in a key refers to, so the loader can check it was defined by an earlier step.</summary>
public enum RefKind { None, Devices, Token, Upload, DefinesDevices, DefinesToken, DefinesUpload }

/// <summary>One key of a step or expectation.</summary>
public sealed record ArgSpec(string Name, ArgType Type, string Description, bool Required = false, IReadOnlyList<string>? Allowed = null,
    long? Min = null, RefKind Ref = RefKind.None);

/// <summary>A step or an expectation: its name, what it does and its keys.</summary>
public sealed record ActionSpec(string Name, string Description, IReadOnlyList<ArgSpec> Args)
{
    /// <summary>The value is not a mapping of keys but passed on whole (a seed document).</summary>
    public bool TakesDocument { get; init; }

    /// <summary>The value is a list of expectations (a checkpoint among the steps).</summary>
    public bool TakesExpectations { get; init; }

    /// <summary>At least one of these keys must be given.</summary>
    public IReadOnlyList<string> OneOf { get; init; } = [];

    public ArgSpec? Arg(string name) => Args.FirstOrDefault(a => a.Name == name);
}

/// <summary>
/// Every step and expectation a scenario file may use. The loader validates against it, the runner
/// executes by its names, and scenarios/scenario.schema.json is generated from it (a test keeps the
/// committed schema equal), so the three cannot drift apart.
/// </summary>
public static class Catalog
{
    private static ArgSpec SmartAccount => new("smartAccount", ArgType.Text, "Smart Account domain (default: the scenario's smartAccount, else the first account of its seed, else example.com).");
    private static ArgSpec VirtualAccount => new("virtualAccount", ArgType.Text, "Virtual Account name (default DEFAULT).");
    private static ArgSpec Devices => new("devices", ArgType.Names, "A device, fleet or HA pair name, or a list of them.", Required: true, Ref: RefKind.Devices);
    private static ArgSpec Concurrency => new("concurrency", ArgType.Integer, "Requests in flight at once (default 8).", Min: 1);
    private static ArgSpec[] Bounds(string what) =>
    [
        new("atLeast", ArgType.Integer, $"At least this many {what}.", Min: 0),
        new("atMost", ArgType.Integer, $"At most this many {what}.", Min: 0),
        new("exactly", ArgType.Integer, $"Exactly this many {what}.", Min: 0),
    ];

    public static readonly IReadOnlyList<string> TopLevelKeys = ["name", "description", "smartAccount", "timing", "seed", "faults", "steps", "expect"];

    /// <summary>The timing profiles of the top-level <c>timing</c> key (control.md §Poll transitions).</summary>
    public static readonly IReadOnlyList<string> TimingProfiles = ["fast", "realistic"];

    private static readonly ArgSpec OkTryAgain = new("okTryAgain", ArgType.Boolean,
        "The agent lists OK_TRY_AGAIN in agent_capabilities (default true); false makes an older agent, answered FAILED where others get OK_TRY_AGAIN.");

    public static readonly IReadOnlyList<ActionSpec> Steps =
    [
        new("seed", "Merges a seed document (accounts, virtual accounts, licenses, policies, product instances, API clients, fault rules): control.md §Seed document.", [])
            { TakesDocument = true },
        new("policy", "Sets (or with clear: true, removes) the custom policy of a Smart Account, or of one of its Virtual Accounts.",
        [
            SmartAccount,
            new("virtualAccount", ArgType.Text, "The Virtual Account whose policy to set; absent: the Smart Account level."),
            new("policy", ArgType.Object, "The policy attributes, e.g. {policy_name: Lab, unenforced_perpetual: {reporting_frequency_days: 60}}."),
            new("clear", ArgType.Boolean, "Remove the custom policy instead."),
        ]) { OneOf = ["policy", "clear"] },
        new("createToken", "Creates a product instance registration token in a Virtual Account.",
        [
            new("as", ArgType.Text, "The name later steps use for this token.", Required: true, Ref: RefKind.DefinesToken),
            SmartAccount, VirtualAccount,
            new("description", ArgType.Text, "Token description."),
            new("expiresAfterDays", ArgType.Integer, "Days until it expires (1-365, default 30).", Min: 1),
            new("maxUses", ArgType.Integer, "How many trust establishments it allows (absent: unlimited).", Min: 1),
            new("exportControlled", ArgType.Boolean, "Allow export-controlled functionality (default true)."),
        ]),
        new("revokeToken", "Revokes a token created by an earlier step.",
            [new("token", ArgType.Text, "The token's name.", Required: true, Ref: RefKind.Token)]),
        new("device", "Declares one simulated product instance.",
        [
            new("as", ArgType.Text, "Its name.", Required: true, Ref: RefKind.DefinesDevices),
            new("pid", ArgType.Text, "Product id, e.g. C9800-CL-K9.", Required: true),
            new("serial", ArgType.Text, "Serial number.", Required: true),
            new("hostname", ArgType.Text, "Hostname it reports (default: the serial in lower case)."),
            OkTryAgain,
        ]),
        new("fleet", "Declares many devices (serials PREFIX0001, ...) or, with haPairs: true, that many HA pairs (PREFIX0001A/S, ...).",
        [
            new("as", ArgType.Text, "Its name.", Required: true, Ref: RefKind.DefinesDevices),
            new("count", ArgType.Integer, "Devices, or HA pairs.", Required: true, Min: 1),
            new("pid", ArgType.Text, "Product id (default C9800-CL-K9)."),
            new("serialPrefix", ArgType.Text, "Serial prefix (default: the fleet's name in capitals and a dash)."),
            new("haPairs", ArgType.Boolean, "Make HA pairs that trust through their active member."),
            OkTryAgain,
        ]),
        new("haPair", "Declares two devices in one HA set; the active asks trust for both (scope all).",
        [
            new("as", ArgType.Text, "Its name.", Required: true, Ref: RefKind.DefinesDevices),
            new("pid", ArgType.Text, "Product id (default C9800-CL-K9)."),
            new("active", ArgType.Text, "Serial of the active member.", Required: true),
            new("standby", ArgType.Text, "Serial of the standby member.", Required: true),
        ]),
        new("trust", "TRUST_ESTABLISHMENT from each device (an HA pair: one request with scope all) with a token.",
        [
            Devices,
            new("token", ArgType.Text, "The token's name.", Required: true, Ref: RefKind.Token),
            Concurrency,
            new("force", ArgType.Boolean, "Replace existing trust (default false)."),
        ]),
        new("trustSync", "TRUST_SYNC from the active member of each HA pair: trust for members that lack it.", [Devices]),
        new("reportUsage", "USAGE_REPORTING online: one signed RUM report per entitlement from each device; a COMPLETE reply's ACK is imported, an OK_POLL one waits for poll.",
        [
            Devices,
            new("usage", ArgType.Usage, "Entitlements in use: a list of {tag, count}; a tag may be a full regid tag or its short name (DNA_NWStack, AIR-DNA-A, DNA_HSEC, CSSMSIM_ENFORCED_DEMO).", Required: true),
            new("askForTrust", ArgType.Boolean, "Add a trust request for the device (how CSLU gets trust without a token)."),
            Concurrency,
        ]),
        new("resendPending", "USAGE_REPORTING again with each device's pending reports (sent, but left out of every ACK so far), as a device resends UNACK reports; the ACK is imported (an OK_POLL reply is polled).",
            [Devices]),
        new("poll", "RESULT_POLLING for each device's pending job, without waiting between polls; an ACK or SLAC that arrives is imported.",
            [Devices, new("maxPolls", ArgType.Integer, "Polls per device at most (default 10).", Min: 1)]),
        new("uploadUsage", "Saves the devices' usage for offline upload (a CSLU UD_SA tar.gz, or one device's .txt) and uploads it to CSSM; waits until it is processed.",
        [
            new("as", ArgType.Text, "The upload's name.", Required: true, Ref: RefKind.DefinesUpload),
            Devices,
            new("usage", ArgType.Usage, "Entitlements in use: a list of {tag, count}.", Required: true),
            new("format", ArgType.Text, "cslu (tar.gz, the default) or device (one device's .txt).", Allowed: ["cslu", "device"]),
            SmartAccount, VirtualAccount,
        ]),
        new("downloadAck", "Downloads the ACK of an upload and imports each device's ACK (license smart import).",
            [new("upload", ArgType.Text, "The upload's name.", Required: true, Ref: RefKind.Upload)]),
        new("requestSlac", "AUTHORIZATION_REQUEST for a SLAC from each device; a granted SLAC is verified and installed.",
        [
            Devices,
            new("tag", ArgType.Text, "Entitlement tag or short name, e.g. DNA_HSEC.", Required: true),
            new("count", ArgType.Integer, "How many (default 1).", Min: 1),
        ]),
        new("returnSlac", "AUTHORIZATION_RETURN with each device's return code; the SLAC is removed.", [Devices]),
        new("reserve", "License reservation: each device's request code goes through the CSSM reserve-licenses API; an SLR code is installed (it awaits confirmation until confirmReservation), a PLR code is kept.",
        [
            Devices,
            new("licenses", ArgType.Licenses, "A list of {tag, quantity}.", Required: true),
            new("type", ArgType.Text, "SPECIFIC (SLR, the default) or UNIVERSAL (PLR).", Allowed: ["SPECIFIC", "UNIVERSAL"]),
            SmartAccount, VirtualAccount,
            new("clientId", ArgType.Text, "OAuth client for the CSSM API (default cssmsim)."),
            new("clientSecret", ArgType.Text, "Its secret (default cssmsim)."),
        ]),
        new("confirmReservation", "Enter Confirmation Code: each device's confirmation code (printed after installing its SLR code) goes into CSSM; the reservation shows Reserved Licenses.",
            [Devices, SmartAccount, VirtualAccount]),
        new("updateReservation", "Update Reserved Licenses: the whole new set for each device's SLR; the new code is installed and awaits confirmReservation.",
        [
            Devices,
            new("licenses", ArgType.Licenses, "The whole new set, a list of {tag, quantity}.", Required: true),
            SmartAccount, VirtualAccount,
        ]),
        new("returnReservation", "Enters each device's return code in CSSM: the control API's return-codes (default), or SLP authrequest with a per-item remove_code as Cisco's offline tools send it; the reservation goes back to the pool.",
        [
            Devices, SmartAccount, VirtualAccount,
            new("via", ArgType.Text, "returnCode (the default) or authrequest.", Allowed: ["returnCode", "authrequest"]),
        ]),
        new("clock", "Moves or sets the simulator's virtual clock (control.md §Clock).",
        [
            new("advance", ArgType.Duration, "Move forward by PnDTnHnMnS."),
            new("set", ArgType.Instant, "Set to this instant."),
            new("mode", ArgType.Text, "system, virtual or frozen.", Allowed: ["system", "virtual", "frozen"]),
        ]) { OneOf = ["advance", "set", "mode"] },
        new("addFault", "Adds a fault rule (control.md §Faults).",
        [
            new("id", ArgType.Text, "Rule id (removeFault uses it)."),
            new("name", ArgType.Text, "A label."),
            new("order", ArgType.Integer, "Try order."),
            new("match", ArgType.Object, "Which requests: surface, operation, smartAccount, virtualAccount, udi, token, tokenLimited, path."),
            new("when", ArgType.Object, "Which candidates: nth, every, after, probability, seed, times, concurrentAbove, holdMs."),
            new("effect", ArgType.Object, "error, status, latencyMs, drop, ack (reportStatus, reports {udi, tag, count}, omitPolicy, omitTrustFor, corruptSignature), poll, clockSkewMs or corrupt ([policy, trustCode, slac, ack]).", Required: true),
            new("enabled", ArgType.Boolean, "Default true."),
        ]),
        new("patchFault", "Applies a JSON merge patch to a rule, e.g. the built-in token-max-uses-bottleneck.",
        [
            new("id", ArgType.Text, "Rule id.", Required: true),
            new("patch", ArgType.Object, "The merge patch, e.g. {enabled: false}.", Required: true),
        ]),
        new("removeFault", "Removes a user fault rule by id, or every user rule with id: all.",
            [new("id", ArgType.Text, "Rule id, or all.", Required: true)]),
        new("pollTransition", "Sets how asynchronous jobs progress (control.md §Poll transitions).",
        [
            new("action", ArgType.Text, "Which jobs.", Required: true, Allowed: ["acknowledgements", "authorizations", "trust", "usage-files"]),
            new("progression", ArgType.Text, "immediate, polls or time.", Required: true, Allowed: ["immediate", "polls", "time"]),
            new("times", ArgType.Integer, "polls: OK_POLL answers before COMPLETE.", Min: 0),
            new("duration", ArgType.Duration, "time: virtual time from submit to COMPLETE."),
            SmartAccount,
            new("pollInterval", ArgType.Integer, "poll_interval answered (seconds).", Min: 1),
        ]),
        new("wait", "Waits: ms of wall time (e.g. past a fault's holdMs), or until the journal holds count matching requests.",
        [
            new("ms", ArgType.Integer, "Milliseconds of wall time (at most 60000).", Min: 0),
            new("journal", ArgType.Object, "{surface, operation, udi, outcome, count}: wait until that many journal entries match."),
            new("timeoutSeconds", ArgType.Integer, "Give up a journal wait after this long (default 10, at most 60).", Min: 1),
        ]) { OneOf = ["ms", "journal"] },
        new("expect", "A checkpoint: expectations evaluated at this point of the run (same forms as the top-level expect).", []) { TakesExpectations = true },
    ];

    public static readonly IReadOnlyList<ActionSpec> Expectations =
    [
        new("trusted", "Devices holding a verified trust code (default bound: all of them).", [Devices, .. Bounds("devices")]),
        new("failed", "Devices whose last request failed, with error if given (default bound: all of them).",
            [Devices, new("error", ArgType.Text, "The CSSM error code, e.g. LS_LICENGINE_FAIL_TO_CONNECT; CONNECTION_FAILED or HTTP_503 for transport failures."),
                new("status", ArgType.Text, "The status the device was answered: FAILED, or OK_TRY_AGAIN (LS_LICENGINE_FAIL_TO_CONNECT to an agent that lists it).", Allowed: ["FAILED", "OK_TRY_AGAIN"]),
                .. Bounds("devices")]),
        new("succeeded", "Devices whose last request succeeded (default bound: all of them).", [Devices, .. Bounds("devices")]),
        new("tokenUses", "How many times a token has been used.", [new("token", ArgType.Text, "The token's name.", Required: true, Ref: RefKind.Token), .. Bounds("uses")])
            { OneOf = ["atLeast", "atMost", "exactly"] },
        new("tokenStatus", "A token's status.",
        [
            new("token", ArgType.Text, "The token's name.", Required: true, Ref: RefKind.Token),
            new("status", ArgType.Text, "VALID, EXPIRED or REVOKED.", Required: true, Allowed: ["VALID", "EXPIRED", "REVOKED"]),
        ]),
        new("inventory", "Product instances of a Virtual Account: which devices are (not) there, and how many there are.",
        [
            SmartAccount, VirtualAccount,
            new("includes", ArgType.Names, "Devices that must be listed.", Ref: RefKind.Devices),
            new("excludes", ArgType.Names, "Devices that must not be listed.", Ref: RefKind.Devices),
            .. Bounds("product instances"),
        ]),
        new("licenses", "The pool of one license in a Virtual Account.",
        [
            SmartAccount, VirtualAccount,
            new("tag", ArgType.Text, "Entitlement tag or short name.", Required: true),
            new("purchased", ArgType.Integer, "Purchased quantity.", Min: 0),
            new("inUse", ArgType.Integer, "In use.", Min: 0),
            new("reserved", ArgType.Integer, "Reserved or authorized (SLR, SLAC).", Min: 0),
            new("pending", ArgType.Integer, "Of the reserved, how many await the device's confirmation code.", Min: 0),
            new("available", ArgType.Integer, "Available (negative on over-use)."),
            new("status", ArgType.Text, "Derived compliance.", Allowed: ["In Compliance", "Out of Compliance"]),
            new("insufficient", ArgType.Boolean, "Whether it carries CSSM's Insufficient Licenses alert (negative balance)."),
            new("expired", ArgType.Boolean, "Whether a TERM or DEMO license is past its end date on the simulator clock."),
        ]) { OneOf = ["purchased", "inUse", "reserved", "pending", "available", "status", "insufficient", "expired"] },
        new("reservation", "Devices whose reservation is in a state: IN_TRANSITION (Awaiting confirmation) or CONFIRMED (Reserved Licenses); default bound: all of them.",
        [
            Devices, SmartAccount, VirtualAccount,
            new("state", ArgType.Text, "The reservation's state.", Required: true, Allowed: ["IN_TRANSITION", "CONFIRMED"]),
            .. Bounds("devices"),
        ]),
        new("ack", "The last ACK each device imported.",
        [
            Devices,
            new("received", ArgType.Boolean, "Whether an ACK arrived at all (default true)."),
            new("reportStatus", ArgType.Text, "Every report in it has this status.", Allowed: ["ACKED", "REMOVED", "DROPPED"]),
            new("hasPolicy", ArgType.Boolean, "It carries a policy."),
            new("hasTrustCode", ArgType.Boolean, "It carries a trust code."),
            new("signatureValid", ArgType.Boolean, "Its signature verifies with the simulator's certificate."),
            new("notBefore", ArgType.Instant, "Its timestamp is at or after this instant."),
            new("before", ArgType.Instant, "Its timestamp is before this instant."),
        ]),
        new("authorized", "Devices holding an installed SLAC or SLR code (default bound: all of them).", [Devices, .. Bounds("devices")]),
        new("installFailure", "Devices that logged an install failure, as %SMART_LIC-3-<message> (default bound: all of them).",
        [
            Devices,
            new("message", ArgType.Text, "What failed to install.", Required: true,
                Allowed: ["POLICY_INSTALL_FAILED", "AUTHORIZATION_INSTALL_FAILED", "TRUST_CODE_INSTALL_FAILED"]),
            new("reason", ArgType.Text, "Why (any when absent).", Allowed: ["A signature mismatch", "A timestamp mismatch"]),
            .. Bounds("devices"),
        ]),
        new("pendingReports", "Reports each device sent that no ACK acknowledged yet (every device must be within the bound).",
            [Devices, .. Bounds("pending reports per device")]) { OneOf = ["atLeast", "atMost", "exactly"] },
        new("journal", "Requests the simulator journaled (default bound: at least 1).",
        [
            new("surface", ArgType.Text, "oauth, cssm-api, slp, smart-transport or usage-files."),
            new("operation", ArgType.Text, "e.g. TRUST_ESTABLISHMENT, USAGE_REPORTING, upload."),
            new("outcome", ArgType.Text, "SUCCESS, COMPLETE, OK_POLL, FAILED or ERROR.", Allowed: ["SUCCESS", "COMPLETE", "OK_POLL", "FAILED", "ERROR"]),
            new("errorCode", ArgType.Text, "The error code recorded."),
            .. Bounds("requests"),
        ]),
        new("events", "Events in the event log (default bound: at least 1).",
            [new("type", ArgType.Text, "Event type, e.g. TRUST_ISSUED, ACK_ISSUED.", Required: true), .. Bounds("events")]),
        new("usageFile", "An upload's processing result.",
        [
            new("upload", ArgType.Text, "The upload's name.", Required: true, Ref: RefKind.Upload),
            new("status", ArgType.Text, "No Errors or Errors.", Required: true, Allowed: ["No Errors", "Errors"]),
        ]),
    ];

    public static ActionSpec? Step(string name) => Steps.FirstOrDefault(s => s.Name == name);

    /// <summary>
    /// Error codes the simulator itself answers on the device and API surfaces (smart-transport.md,
    /// slp.md, cssm-api.md), plus those the runner records for connection-level fault effects.
    /// <c>failed.error</c> and <c>journal.errorCode</c> must name one of these, a transport failure
    /// (<c>CONNECTION_FAILED</c>, <c>HTTP_nnn</c>) or a code a fault rule of the same file produces.
    /// </summary>
    public static readonly IReadOnlySet<string> ErrorCodes = new HashSet<string>(StringComparer.Ordinal)
    {
        "TOKEN_NOT_FOUND", "TOKEN_REVOKED", "TOKEN_EXPIRED", "TOKEN_USES_EXHAUSTED", "UDI_ALREADY_REGISTERED", "LS_LICENGINE_FAIL_TO_CONNECT",
        "TRUST_REQUIRED", "TRUST_SUPERSEDED", "INSUFFICIENT_LICENSES", "EXPORT_CONTROL_NOT_ALLOWED", "UNKNOWN_LICENSE", "LICENSE_NOT_ENFORCED",
        "UNKNOWN_RETURN_CODE", "INVALID_SIGNATURE", "INVALID_MESSAGE", "CLOCK_SKEW", "POLL_ID_NOT_FOUND", "POLL_FAILED", "ACCOUNT_NOT_FOUND",
        "VIRTUAL_ACCOUNT_REQUIRED", "PI_MOVED", "DUPLICATE_REPORT", "DATA_BEING_PROCESSED", "IN_TRANSITION", "NO_ACK",
        "INVALID_PAYLOAD", "INVALID_REQUEST", "INVALID_ACTION", "INVALID_MULTIPART", "INVALID_FILE_NAME", "FILE_REQUIRED", "ARCHIVE_REJECTED",
        "UPLOAD_TOO_LARGE", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "NOT_FOUND", "NOT_SIMULATED", "METHOD_NOT_ALLOWED",
        "SERVICE_UNAVAILABLE", "INTERNAL_ERROR", "CONNECTION_RESET", "EMPTY_REPLY", "NO_REPLY", "TRUNCATED_REPLY",
    };

    public static ActionSpec? Expectation(string name) => Expectations.FirstOrDefault(s => s.Name == name);
}
