using CssmSim.Engine.Faults;

namespace CssmSim.Testing;

/// <summary>The surfaces of the simulator, as fault rules and the journal name them.</summary>
public static class Surfaces
{
    /// <summary>The OAuth token endpoint.</summary>
    public const string OAuth = "oauth";
    /// <summary>The CSSM REST API (accounts, tokens, licenses, devices, transfers, reservations).</summary>
    public const string CssmApi = "cssm-api";
    /// <summary>The SLP device APIs (<c>v2/devices/*</c>, <c>v2/accounts/poll</c>).</summary>
    public const string Slp = "slp";
    /// <summary><c>POST /licservice/license</c>, the endpoint devices talk to.</summary>
    public const string SmartTransport = "smart-transport";
    /// <summary>Offline usage-file uploads and ACK downloads.</summary>
    public const string UsageFiles = "usage-files";
    /// <summary>The demo portal.</summary>
    public const string Portal = "portal";
    /// <summary>The control API (<c>/_sim/*</c>); not journaled.</summary>
    public const string Control = "control";
}

/// <summary>
/// One operation of one surface: what a fault rule matches and what a journal entry records.
/// The static members cover the catalog (<c>GET /_sim/faults/operations</c>); <see cref="Of"/> names any other.
/// </summary>
public sealed record Operation
{
    private Operation(string surface, string name)
    {
        Surface = surface;
        Name = name;
    }

    /// <summary>The surface, e.g. <c>smart-transport</c>.</summary>
    public string Surface { get; }

    /// <summary>The operation as the catalog spells it, e.g. <c>TRUST_ESTABLISHMENT</c>.</summary>
    public string Name { get; }

    /// <summary>Smart transport: trust with an ID token.</summary>
    public static Operation TrustEstablishment { get; } = new(Surfaces.SmartTransport, "TRUST_ESTABLISHMENT");
    /// <summary>Smart transport: RUM reports (and trust requests inside them).</summary>
    public static Operation UsageReporting { get; } = new(Surfaces.SmartTransport, "USAGE_REPORTING");
    /// <summary>Smart transport: telemetry RUM reports (never counted as license use).</summary>
    public static Operation TelemetryReporting { get; } = new(Surfaces.SmartTransport, "TELEMETRY_REPORTING");
    /// <summary>Smart transport: polling an asynchronous result.</summary>
    public static Operation ResultPolling { get; } = new(Surfaces.SmartTransport, "RESULT_POLLING");
    /// <summary>Smart transport: SLAC request.</summary>
    public static Operation AuthorizationRequest { get; } = new(Surfaces.SmartTransport, "AUTHORIZATION_REQUEST");
    /// <summary>Smart transport: SLAC confirmation.</summary>
    public static Operation AuthorizationConfirmation { get; } = new(Surfaces.SmartTransport, "AUTHORIZATION_CONFIRMATION");
    /// <summary>Smart transport: SLAC return.</summary>
    public static Operation AuthorizationReturn { get; } = new(Surfaces.SmartTransport, "AUTHORIZATION_RETURN");
    /// <summary>Smart transport: trust for HA members that lack it.</summary>
    public static Operation TrustSync { get; } = new(Surfaces.SmartTransport, "TRUST_SYNC");
    /// <summary>Smart transport: a device confirming an installed trust code.</summary>
    public static Operation TrustAcknowledgement { get; } = new(Surfaces.SmartTransport, "TRUST_ACKNOWLEDGEMENT");
    /// <summary>Smart transport: HELLO.</summary>
    public static Operation Hello { get; } = new(Surfaces.SmartTransport, "HELLO");

    /// <summary>SLP: <c>v2/devices/authrequest</c>.</summary>
    public static Operation SlpAuthRequest { get; } = new(Surfaces.Slp, "authrequest");
    /// <summary>SLP: <c>v2/devices/reportusage</c>.</summary>
    public static Operation SlpReportUsage { get; } = new(Surfaces.Slp, "reportusage");
    /// <summary>SLP: <c>v2/accounts/poll</c>.</summary>
    public static Operation SlpPoll { get; } = new(Surfaces.Slp, "poll");

    /// <summary>OAuth: <c>/as/token.oauth2</c>.</summary>
    public static Operation OAuthToken { get; } = new(Surfaces.OAuth, "token");

    /// <summary>CSSM API: account search.</summary>
    public static Operation AccountsSearch { get; } = new(Surfaces.CssmApi, "accounts.search");
    /// <summary>CSSM API: list accounts.</summary>
    public static Operation AccountsList { get; } = new(Surfaces.CssmApi, "accounts.list");
    /// <summary>CSSM API: list virtual accounts.</summary>
    public static Operation VirtualAccountsList { get; } = new(Surfaces.CssmApi, "virtualAccounts.list");
    /// <summary>CSSM API: list tokens.</summary>
    public static Operation TokensList { get; } = new(Surfaces.CssmApi, "tokens.list");
    /// <summary>CSSM API: create a token.</summary>
    public static Operation TokensCreate { get; } = new(Surfaces.CssmApi, "tokens.create");
    /// <summary>CSSM API: revoke a token.</summary>
    public static Operation TokensRevoke { get; } = new(Surfaces.CssmApi, "tokens.revoke");
    /// <summary>CSSM API: list licenses.</summary>
    public static Operation LicensesList { get; } = new(Surfaces.CssmApi, "licenses.list");
    /// <summary>CSSM API: list devices.</summary>
    public static Operation DevicesList { get; } = new(Surfaces.CssmApi, "devices.list");
    /// <summary>CSSM API: license summary.</summary>
    public static Operation LicensesSummary { get; } = new(Surfaces.CssmApi, "licenses.summary");
    /// <summary>CSSM API: license transfer.</summary>
    public static Operation LicensesTransfer { get; } = new(Surfaces.CssmApi, "licenses.transfer");
    /// <summary>CSSM API: reserve licenses.</summary>
    public static Operation ReserveLicenses { get; } = new(Surfaces.CssmApi, "reserveLicenses");

    /// <summary>Usage files: an offline upload.</summary>
    public static Operation UsageFileUpload { get; } = new(Surfaces.UsageFiles, "upload");
    /// <summary>Usage files: an ACK download.</summary>
    public static Operation UsageFileAck { get; } = new(Surfaces.UsageFiles, "ack");

    /// <summary>The operations listed above, for discovery and checks.</summary>
    public static IReadOnlyList<Operation> All { get; } =
    [
        TrustEstablishment, UsageReporting, ResultPolling, AuthorizationRequest, AuthorizationConfirmation, AuthorizationReturn, TrustSync,
        TrustAcknowledgement, Hello, TelemetryReporting, SlpAuthRequest, SlpReportUsage, SlpPoll, OAuthToken, AccountsSearch, AccountsList, VirtualAccountsList,
        TokensList, TokensCreate, TokensRevoke, LicensesList, DevicesList, LicensesSummary, LicensesTransfer, ReserveLicenses,
        UsageFileUpload, UsageFileAck,
    ];

    /// <summary>An operation of the simulator's catalog by surface and name (or <c>notSimulated</c> on any surface).</summary>
    /// <exception cref="ArgumentException">The simulator does not know that operation on that surface.</exception>
    public static Operation Of(string surface, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(surface);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!FaultCatalog.Surfaces.Contains(surface))
            throw new ArgumentException($"unknown surface '{surface}'; expected one of: {string.Join(", ", FaultCatalog.Surfaces)}", nameof(surface));
        if (!FaultCatalog.IsKnownOperation(surface, name))
            throw new ArgumentException($"unknown operation '{name}' on surface {surface}; known: {string.Join(", ", FaultCatalog.Operations[surface].Append(FaultCatalog.NotSimulated))}", nameof(name));
        return All.FirstOrDefault(o => o.Surface == surface && o.Name == name) ?? new Operation(surface, name);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Surface} {Name}";
}
