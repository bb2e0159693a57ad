using System.Globalization;
using System.Text.Json;
using CssmSim.Engine.Licensing;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Validation;
using Npgsql;

namespace CssmSim.Engine.Storage.Postgres;

/// <summary>
/// Upserts a <see cref="SeedPlan"/> by natural keys inside the caller's transaction. Columns the
/// plan leaves null keep their stored value (a merge touches only what the document names); a
/// row that does not exist yet takes the defaults. Any conflict aborts the whole transaction.
/// </summary>
internal static class SeedWriter
{
    public static void Apply(NpgsqlConnection c, NpgsqlTransaction tx, SeedPlan plan)
    {
        var errors = new ValidationErrors();
        for (var i = 0; i < plan.Clients.Count; i++) UpsertPrincipal(c, tx, "api_clients", "client_id", "client_secret", plan.Clients[i].ClientId,
            plan.Clients[i].ClientSecret, plan.Clients[i].Accounts, $"apiClients[{i}]", "clientSecret", errors);
        for (var i = 0; i < plan.Users.Count; i++) UpsertPrincipal(c, tx, "api_users", "username", "password", plan.Users[i].Username,
            plan.Users[i].Password, plan.Users[i].Accounts, $"users[{i}]", "password", errors);
        foreach (var u in plan.Users.Where(u => u.Email is not null))
            Sql.Execute(c, tx, "UPDATE api_users SET email = $e WHERE username = $u", ("$e", u.Email), ("$u", u.Username));
        // A catalog entry is replaced whole: its entitlement list is one value, keyed by software tag.
        foreach (var e in plan.SlrCatalog ?? [])
            Sql.Execute(c, tx, """
                INSERT INTO slr_catalog (software_tag, udi_pid, entitlements_json) VALUES ($t, $p, $e)
                ON CONFLICT (software_tag) DO UPDATE SET udi_pid = COALESCE($p, slr_catalog.udi_pid), entitlements_json = $e
                """, ("$t", e.SoftwareTag), ("$p", e.UdiPid), ("$e", JsonSerializer.Serialize(e.Entitlements)));
        foreach (var account in plan.Accounts) UpsertAccount(c, tx, account, errors);
        errors.ThrowIfAny("Seed document conflicts with the current state");
    }

    private static void UpsertPrincipal(NpgsqlConnection c, NpgsqlTransaction tx, string table, string keyColumn, string secretColumn,
        string key, string? secret, IReadOnlyList<string>? accounts, string path, string secretField, ValidationErrors errors)
    {
        var exists = Sql.Scalar(c, tx, $"SELECT 1 FROM {table} WHERE {keyColumn} = $k", ("$k", key)) is not null;
        if (!exists && secret is null) { errors.Add($"{path}.{secretField}", "is required for a new entry"); return; }
        // Absent fields keep their stored values: a merge that only rotates a secret must not widen
        // the accounts a client may see (null accounts_json means all of them).
        var accountsJson = accounts is null ? null : JsonSerializer.Serialize(accounts);
        Sql.Execute(c, tx, $"""
            INSERT INTO {table} ({keyColumn}, {secretColumn}, accounts_json) VALUES ($k, COALESCE($s, ''), $a)
            ON CONFLICT ({keyColumn}) DO UPDATE SET
                {secretColumn} = COALESCE($s, {table}.{secretColumn}),
                accounts_json = CASE WHEN $aGiven = 1 THEN $a ELSE {table}.accounts_json END
            """, ("$k", key), ("$s", secret), ("$a", accountsJson), ("$aGiven", accounts is null ? 0 : 1));
    }

    private static void UpsertAccount(NpgsqlConnection c, NpgsqlTransaction tx, PlannedAccount a, ValidationErrors errors)
    {
        var key = a.Domain.ToLowerInvariant();
        var existingId = (string?)Sql.Scalar(c, tx, "SELECT id FROM smart_accounts WHERE domain_key = $k", ("$k", key));
        if (existingId is not null && a.IdGiven is not null && a.IdGiven != existingId)
        {
            errors.Add($"{a.Path}.accountId", $"{a.Domain} already has id {existingId}");
            return;
        }
        var id = existingId ?? a.IdGiven ?? a.DerivedId;
        if (existingId is null && Sql.Scalar(c, tx, "SELECT domain FROM smart_accounts WHERE id = $id", ("$id", id)) is string other)
        {
            errors.Add($"{a.Path}.accountId", $"id {id} already belongs to {other}");
            return;
        }
        Sql.Execute(c, tx, """
            INSERT INTO smart_accounts (id, domain, domain_key, name, policy_json) VALUES ($id, $domain, $key, $nameOrDefault, $policy)
            ON CONFLICT (domain_key) DO UPDATE SET
                name = COALESCE($name, smart_accounts.name),
                policy_json = CASE WHEN $policyGiven = 1 THEN $policy ELSE smart_accounts.policy_json END
            """, ("$id", id), ("$domain", a.Domain), ("$key", key), ("$nameOrDefault", a.Name ?? a.Domain), ("$name", a.Name),
            ("$policy", a.PolicyJson), ("$policyGiven", a.PolicyGiven ? 1 : 0));

        foreach (var va in a.VirtualAccounts) UpsertVirtualAccount(c, tx, id, va, errors);

        // CSSM always has a default Virtual Account: DEFAULT if present, else the first one this seed names.
        if (Sql.Scalar(c, tx, "SELECT 1 FROM virtual_accounts WHERE sa_id = $sa AND is_default = 1", ("$sa", id)) is null)
        {
            var name = Sql.Scalar(c, tx, "SELECT name FROM virtual_accounts WHERE sa_id = $sa AND name = 'DEFAULT'", ("$sa", id)) as string
                ?? a.FirstVirtualAccount;
            if (name is not null)
                Sql.Execute(c, tx, "UPDATE virtual_accounts SET is_default = 1 WHERE sa_id = $sa AND name = $n", ("$sa", id), ("$n", name));
        }
    }

    private static void UpsertVirtualAccount(NpgsqlConnection c, NpgsqlTransaction tx, string saId, PlannedVirtualAccount va, ValidationErrors errors)
    {
        var existingId = (string?)Sql.Scalar(c, tx, "SELECT id FROM virtual_accounts WHERE sa_id = $sa AND name = $n", ("$sa", saId), ("$n", va.Name));
        if (existingId is not null && va.IdGiven is not null && va.IdGiven != existingId)
        {
            errors.Add($"{va.Path}.id", $"virtual account '{va.Name}' already has id {existingId}");
            return;
        }
        var id = existingId ?? va.IdGiven ?? va.DerivedId;
        if (existingId is null && Sql.Scalar(c, tx, "SELECT name FROM virtual_accounts WHERE id = $id", ("$id", id)) is string other)
        {
            errors.Add($"{va.Path}.id", $"id {id} already belongs to virtual account '{other}'");
            return;
        }
        Sql.Execute(c, tx, """
            INSERT INTO virtual_accounts (id, sa_id, name, description, is_default, export_controlled_allowed, policy_json)
            VALUES ($id, $sa, $name, COALESCE($description, ''), COALESCE($default, 0), COALESCE($export, 1), $policy)
            ON CONFLICT (sa_id, name) DO UPDATE SET
                description = COALESCE($description, virtual_accounts.description),
                is_default = COALESCE($default, virtual_accounts.is_default),
                export_controlled_allowed = COALESCE($export, virtual_accounts.export_controlled_allowed),
                policy_json = CASE WHEN $policyGiven = 1 THEN $policy ELSE virtual_accounts.policy_json END
            """, ("$id", id), ("$sa", saId), ("$name", va.Name), ("$description", va.Description),
            ("$default", va.Default is { } d ? (d ? 1 : 0) : null), ("$export", va.ExportControlledAllowed is { } e ? (e ? 1 : 0) : null),
            ("$policy", va.PolicyJson), ("$policyGiven", va.PolicyGiven ? 1 : 0));
        if (va.Default == true)
            Sql.Execute(c, tx, "UPDATE virtual_accounts SET is_default = 0 WHERE sa_id = $sa AND id <> $id", ("$sa", saId), ("$id", id));

        foreach (var l in va.Licenses) UpsertLicense(c, tx, id, l);
    }

    private static void UpsertLicense(NpgsqlConnection c, NpgsqlTransaction tx, string vaId, PlannedLicense l)
    {
        var type = l.Type?.ToWire();
        // Dates default only for subscription types, judged by the type the row ends up with.
        Sql.Execute(c, tx, """
            INSERT INTO licenses (va_id, tag, display_name, enforcement, license_type, quantity, start_date, end_date)
            VALUES ($va, $tag, COALESCE($display, $tag), COALESCE($enforcement, 'unenforced'), COALESCE($type, 'PERPETUAL'), COALESCE($quantity, 0),
                    COALESCE($start, CASE WHEN COALESCE($type, 'PERPETUAL') IN ('TERM', 'DEMO') THEN $defaultStart END),
                    COALESCE($end, CASE WHEN COALESCE($type, 'PERPETUAL') IN ('TERM', 'DEMO') THEN $defaultEnd END))
            ON CONFLICT (va_id, tag) DO UPDATE SET
                display_name = COALESCE($display, licenses.display_name),
                enforcement = COALESCE($enforcement, licenses.enforcement),
                license_type = COALESCE($type, licenses.license_type),
                quantity = COALESCE($quantity, licenses.quantity),
                start_date = COALESCE($start, licenses.start_date, CASE WHEN COALESCE($type, licenses.license_type) IN ('TERM', 'DEMO') THEN $defaultStart END),
                end_date = COALESCE($end, licenses.end_date, CASE WHEN COALESCE($type, licenses.license_type) IN ('TERM', 'DEMO') THEN $defaultEnd END)
            """, ("$va", vaId), ("$tag", l.Tag), ("$display", l.DisplayName), ("$enforcement", l.Enforcement?.ToWire()), ("$type", type),
            ("$quantity", l.Quantity), ("$start", Date(l.StartDate)), ("$end", Date(l.EndDate)),
            ("$defaultStart", Date(l.DefaultStart)), ("$defaultEnd", Date(l.DefaultEnd)));
    }

    private static string? Date(DateOnly? d) => d?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
