namespace CssmSim.Engine.Storage.Sqlite;

/// <summary>
/// The tables a snapshot carries, parents before children, each with its columns (the only names
/// an import may use: imported JSON never reaches SQL as an identifier) and its natural-key order.
/// A test checks this list against the live schema so the two cannot drift.
/// </summary>
public static class SnapshotTables
{
    public enum ColumnType { Text, Integer }

    /// <summary>What a column's value must look like beyond its type, so an import cannot store what later reads fail on.</summary>
    public enum ColumnFormat { Any, Instant, Date, Json, StringList, Flag, Enforcement, LicenseType }

    public sealed record Column(string Name, ColumnType Type, bool Nullable)
    {
        public ColumnFormat Format => Name switch
        {
            "start_date" or "end_date" => ColumnFormat.Date,
            "time" or "last_contact" => ColumnFormat.Instant,
            _ when Name.EndsWith("_at", StringComparison.Ordinal) => ColumnFormat.Instant,
            "accounts_json" => ColumnFormat.StringList,
            _ when Name.EndsWith("_json", StringComparison.Ordinal) => ColumnFormat.Json,
            "enforcement" => ColumnFormat.Enforcement,
            "license_type" => ColumnFormat.LicenseType,
            "is_default" or "export_controlled_allowed" or "builtin" or "never_complete" or "export_controlled" or "revoked"
                or "report_id_is_number" or "synthetic" or "trust_export_controlled" => ColumnFormat.Flag,
            _ => ColumnFormat.Any,
        };

        /// <summary>Why <paramref name="value"/> is not a valid value of this column, or null when it is.</summary>
        public string? Problem(object value)
        {
            switch (Format)
            {
                case ColumnFormat.Instant when value is string s:
                    return DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out _)
                        ? null : "must be an ISO-8601 date-time, e.g. 2026-01-01T00:00:00.000Z";
                case ColumnFormat.Date when value is string s:
                    return DateOnly.TryParseExact(s, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _)
                        ? null : "must be a date yyyy-MM-dd";
                case ColumnFormat.Json or ColumnFormat.StringList when value is string s:
                    try
                    {
                        var node = System.Text.Json.Nodes.JsonNode.Parse(s);
                        if (Format == ColumnFormat.StringList && (node is not System.Text.Json.Nodes.JsonArray list
                            || list.Any(i => i is not System.Text.Json.Nodes.JsonValue v || v.GetValueKind() != System.Text.Json.JsonValueKind.String)))
                            return "must be a JSON list of strings";
                        return null;
                    }
                    catch (System.Text.Json.JsonException)
                    {
                        return "must be JSON text";
                    }
                case ColumnFormat.Flag when value is long l:
                    return l is 0 or 1 ? null : "must be 0 or 1";
                case ColumnFormat.Enforcement when value is string s:
                    return Licensing.LicenseNames.TryParseEnforcement(s, out _) ? null : "is not a license enforcement";
                case ColumnFormat.LicenseType when value is string s:
                    return Licensing.LicenseNames.TryParseType(s, out _) ? null : "is not a license type";
                default:
                    return null;
            }
        }
    }

    public sealed record Table(string Name, string OrderBy, IReadOnlyList<Column> Columns);

    private static Column T(string n, bool nullable = false) => new(n, ColumnType.Text, nullable);
    private static Column I(string n, bool nullable = false) => new(n, ColumnType.Integer, nullable);

    public static IReadOnlyList<Table> All { get; } =
    [
        new("api_clients", "client_id", [T("client_id"), T("client_secret"), T("accounts_json", true)]),
        new("api_users", "username", [T("username"), T("password"), T("accounts_json", true), T("email", true)]),
        new("slr_catalog", "software_tag", [T("software_tag"), T("udi_pid", true), T("entitlements_json")]),
        new("smart_accounts", "domain_key", [T("id"), T("domain"), T("domain_key"), T("name"), T("policy_json", true)]),
        new("virtual_accounts", "sa_id, name", [T("id"), T("sa_id"), T("name"), T("description"), I("is_default"), I("export_controlled_allowed"), T("policy_json", true)]),
        new("licenses", "va_id, tag", [T("va_id"), T("tag"), T("display_name"), T("enforcement"), T("license_type"), I("quantity"), T("start_date", true), T("end_date", true)]),
        new("counters", "key", [T("key"), I("value")]),
        new("fault_rules", "id", [T("id"), I("seq"), I("builtin"), T("rule_json")]),
        new("poll_transitions", "action, smart_account", [T("action"), T("smart_account"), T("progression"), I("times", true), T("duration", true), I("poll_interval", true)]),
        new("jobs", "poll_id", [T("poll_id"), T("action"), T("udi"), T("sa_id", true), T("correlation_id"), T("submitted_at"), I("polls"),
            I("complete_after_polls", true), T("complete_at", true), I("never_complete"), T("fail_code", true), T("fail_message", true), T("result_json", true), T("client_id", true)]),
        new("tokens", "va_id, created_at, id", [T("id"), T("va_id"), T("token"), T("canonical"), T("description"), T("created_by"), T("created_at"),
            T("expires_at"), I("expires_after_days"), I("max_uses", true), I("uses"), I("export_controlled"), I("revoked")]),
        new("product_instances", "udi", [T("udi"), T("pid"), T("serial"), T("piid"), T("va_id"), T("hostname"), T("ha_role", true), T("ha_group", true),
            T("trust_code_id", true), T("trusted_at", true), T("trust_token_id", true), I("trust_export_controlled", true), I("export_controlled", true),
            T("rum_key", true), T("registered_at"), T("last_contact", true)]),
        new("trust_codes", "udi, generation", [T("id"), T("udi"), I("generation"), T("va_id"), T("token_id", true), T("issued_at"), T("superseded_by", true), T("acknowledged_at", true)]),
        new("events", "id", [I("id"), T("time"), T("type"), T("sa_id", true), T("va_name", true), T("udi", true), T("details_json")]),
        new("usage_reports", "udi, report_key", [T("udi"), T("report_key"), T("report_id"), I("report_id_is_number"), T("tag", true), I("in_use", true),
            T("measured_at", true), T("payload"), T("signature_json", true), T("received_at"), T("status"), T("source")]),
        new("acks", "udi, issued_at, id", [T("id"), T("udi"), T("va_id"), T("issued_at"), T("report_ids_json"), I("synthetic"), T("upload_id", true)]),
        new("usage_files", "id", [T("id"), I("seq"), T("sa_id", true), T("va_id", true), T("file_name"), T("form"), T("uploaded_at"), T("poll_id", true),
            T("status"), I("product_instances"), I("reports"), T("errors_json"), T("ack_file_name", true), T("ack_content_type", true), T("ack_base64", true),
            T("content_key", true), I("completed")]),
        new("authorizations", "udi, issued_at, id", [T("id"), T("kind"), T("udi"), T("va_id"), T("state"), T("code_xml"), T("confirmation_code"),
            T("issued_at"), T("confirmed_at", true), T("returned_at", true), T("request_code", true)]),
        new("authorization_entitlements", "authorization_id, tag", [T("authorization_id"), T("tag"), I("count")]),
    ];
}
