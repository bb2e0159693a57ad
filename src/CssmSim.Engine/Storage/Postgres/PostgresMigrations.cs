using Npgsql;

namespace CssmSim.Engine.Storage.Postgres;

/// <summary>
/// The PostgreSQL schema: the same numbered migrations as the SQLite store's
/// (<see cref="Sqlite.Migrations"/>), equal in meaning, so snapshots move between the engines.
/// Differences are the engine's: 64-bit integers, byte-order (<c>"C"</c>) collation so text sorts
/// as in SQLite whatever the database's locale, an identity column for event ids, and the
/// version triggers as a PL/pgSQL function. Applied in one transaction under an advisory lock,
/// so replicas starting together apply each exactly once. Never edit a shipped migration: add one
/// here and in SQLite's list under the same number.
/// </summary>
public static class PostgresMigrations
{
    public static IReadOnlyList<Sqlite.Migrations.Migration> All { get; } =
    [
        new(1, "accounts", """
            CREATE TABLE settings (
                key   TEXT COLLATE "C" PRIMARY KEY,
                value TEXT COLLATE "C" NOT NULL
            );
            CREATE TABLE smart_accounts (
                id          TEXT COLLATE "C" PRIMARY KEY,
                domain      TEXT COLLATE "C" NOT NULL,
                domain_key  TEXT COLLATE "C" NOT NULL UNIQUE,
                name        TEXT COLLATE "C" NOT NULL,
                policy_json TEXT COLLATE "C" NULL
            );
            CREATE TABLE virtual_accounts (
                id                        TEXT COLLATE "C" PRIMARY KEY,
                sa_id                     TEXT COLLATE "C" NOT NULL REFERENCES smart_accounts(id) ON DELETE CASCADE,
                name                      TEXT COLLATE "C" NOT NULL,
                description               TEXT COLLATE "C" NOT NULL,
                is_default                BIGINT NOT NULL,
                export_controlled_allowed BIGINT NOT NULL,
                policy_json               TEXT COLLATE "C" NULL,
                UNIQUE (sa_id, name)
            );
            CREATE TABLE licenses (
                va_id        TEXT COLLATE "C" NOT NULL REFERENCES virtual_accounts(id) ON DELETE CASCADE,
                tag          TEXT COLLATE "C" NOT NULL,
                display_name TEXT COLLATE "C" NOT NULL,
                enforcement  TEXT COLLATE "C" NOT NULL,
                license_type TEXT COLLATE "C" NOT NULL,
                quantity     BIGINT NOT NULL,
                start_date   TEXT COLLATE "C" NULL,
                end_date     TEXT COLLATE "C" NULL,
                PRIMARY KEY (va_id, tag)
            );
            CREATE TABLE api_clients (
                client_id     TEXT COLLATE "C" PRIMARY KEY,
                client_secret TEXT COLLATE "C" NOT NULL,
                accounts_json TEXT COLLATE "C" NULL
            );
            CREATE TABLE api_users (
                username      TEXT COLLATE "C" PRIMARY KEY,
                password      TEXT COLLATE "C" NOT NULL,
                accounts_json TEXT COLLATE "C" NULL
            );
            """),
        new(2, "faults-and-jobs", """
            CREATE TABLE counters (
                key   TEXT COLLATE "C" PRIMARY KEY,
                value BIGINT NOT NULL
            );
            CREATE TABLE fault_rules (
                id        TEXT COLLATE "C" PRIMARY KEY,
                seq       BIGINT NOT NULL,
                builtin   BIGINT NOT NULL,
                rule_json TEXT COLLATE "C" NOT NULL
            );
            CREATE TABLE poll_transitions (
                action        TEXT COLLATE "C" NOT NULL,
                smart_account TEXT COLLATE "C" NOT NULL,
                progression   TEXT COLLATE "C" NOT NULL,
                times         BIGINT NULL,
                duration      TEXT COLLATE "C" NULL,
                poll_interval BIGINT NULL,
                PRIMARY KEY (action, smart_account)
            );
            CREATE TABLE jobs (
                poll_id              TEXT COLLATE "C" PRIMARY KEY,
                action               TEXT COLLATE "C" NOT NULL,
                udi                  TEXT COLLATE "C" NOT NULL,
                sa_id                TEXT COLLATE "C" NULL REFERENCES smart_accounts(id) ON DELETE CASCADE,
                correlation_id       TEXT COLLATE "C" NOT NULL,
                submitted_at         TEXT COLLATE "C" NOT NULL,
                polls                BIGINT NOT NULL,
                complete_after_polls BIGINT NULL,
                complete_at          TEXT COLLATE "C" NULL,
                never_complete       BIGINT NOT NULL,
                fail_code            TEXT COLLATE "C" NULL,
                fail_message         TEXT COLLATE "C" NULL,
                result_json          TEXT COLLATE "C" NULL
            );
            """),
        new(3, "tokens-trust-events", """
            CREATE TABLE tokens (
                id                 TEXT COLLATE "C" PRIMARY KEY,
                va_id              TEXT COLLATE "C" NOT NULL REFERENCES virtual_accounts(id) ON DELETE CASCADE,
                token              TEXT COLLATE "C" NOT NULL,
                canonical          TEXT COLLATE "C" NOT NULL UNIQUE,
                description        TEXT COLLATE "C" NOT NULL,
                created_by         TEXT COLLATE "C" NOT NULL,
                created_at         TEXT COLLATE "C" NOT NULL,
                expires_at         TEXT COLLATE "C" NOT NULL,
                expires_after_days BIGINT NOT NULL,
                max_uses           BIGINT NULL,
                uses               BIGINT NOT NULL,
                export_controlled  BIGINT NOT NULL,
                revoked            BIGINT NOT NULL
            );
            CREATE INDEX tokens_by_va ON tokens (va_id);
            CREATE TABLE product_instances (
                udi                     TEXT COLLATE "C" PRIMARY KEY,
                pid                     TEXT COLLATE "C" NOT NULL,
                serial                  TEXT COLLATE "C" NOT NULL,
                piid                    TEXT COLLATE "C" NOT NULL,
                va_id                   TEXT COLLATE "C" NOT NULL REFERENCES virtual_accounts(id) ON DELETE CASCADE,
                hostname                TEXT COLLATE "C" NOT NULL,
                ha_role                 TEXT COLLATE "C" NULL,
                ha_group                TEXT COLLATE "C" NULL,
                trust_code_id           TEXT COLLATE "C" NULL,
                trusted_at              TEXT COLLATE "C" NULL,
                trust_token_id          TEXT COLLATE "C" NULL,
                trust_export_controlled BIGINT NULL,
                export_controlled       BIGINT NULL,
                rum_key                 TEXT COLLATE "C" NULL,
                registered_at           TEXT COLLATE "C" NOT NULL,
                last_contact            TEXT COLLATE "C" NULL
            );
            CREATE INDEX product_instances_by_va ON product_instances (va_id);
            CREATE TABLE trust_codes (
                id              TEXT COLLATE "C" PRIMARY KEY,
                udi             TEXT COLLATE "C" NOT NULL REFERENCES product_instances(udi) ON DELETE CASCADE,
                generation      BIGINT NOT NULL,
                va_id           TEXT COLLATE "C" NOT NULL,
                token_id        TEXT COLLATE "C" NULL,
                issued_at       TEXT COLLATE "C" NOT NULL,
                superseded_by   TEXT COLLATE "C" NULL,
                acknowledged_at TEXT COLLATE "C" NULL,
                UNIQUE (udi, generation)
            );
            CREATE TABLE events (
                id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                time         TEXT COLLATE "C" NOT NULL,
                type         TEXT COLLATE "C" NOT NULL,
                sa_id        TEXT COLLATE "C" NULL REFERENCES smart_accounts(id) ON DELETE CASCADE,
                va_name      TEXT COLLATE "C" NULL,
                udi          TEXT COLLATE "C" NULL,
                details_json TEXT COLLATE "C" NOT NULL
            );
            """),
        new(4, "usage-reports-and-acks", """
            CREATE TABLE usage_reports (
                udi                 TEXT COLLATE "C" NOT NULL REFERENCES product_instances(udi) ON DELETE CASCADE,
                report_key          TEXT COLLATE "C" NOT NULL,
                report_id           TEXT COLLATE "C" NOT NULL,
                report_id_is_number BIGINT NOT NULL,
                tag                 TEXT COLLATE "C" NULL,
                in_use              BIGINT NULL,
                measured_at         TEXT COLLATE "C" NULL,
                payload             TEXT COLLATE "C" NOT NULL,
                signature_json      TEXT COLLATE "C" NULL,
                received_at         TEXT COLLATE "C" NOT NULL,
                status              TEXT COLLATE "C" NOT NULL,
                source              TEXT COLLATE "C" NOT NULL,
                PRIMARY KEY (udi, report_key)
            );
            CREATE TABLE acks (
                id              TEXT COLLATE "C" PRIMARY KEY,
                udi             TEXT COLLATE "C" NOT NULL REFERENCES product_instances(udi) ON DELETE CASCADE,
                va_id           TEXT COLLATE "C" NOT NULL,
                issued_at       TEXT COLLATE "C" NOT NULL,
                report_ids_json TEXT COLLATE "C" NOT NULL,
                synthetic       BIGINT NOT NULL
            );
            CREATE INDEX acks_by_udi ON acks (udi, issued_at);
            """),
        new(5, "usage-files", """
            CREATE TABLE usage_files (
                id                TEXT COLLATE "C" PRIMARY KEY,
                seq               BIGINT NOT NULL,
                sa_id             TEXT COLLATE "C" NULL REFERENCES smart_accounts(id) ON DELETE CASCADE,
                va_id             TEXT COLLATE "C" NULL,
                file_name         TEXT COLLATE "C" NOT NULL,
                form              TEXT COLLATE "C" NOT NULL,
                uploaded_at       TEXT COLLATE "C" NOT NULL,
                poll_id           TEXT COLLATE "C" NULL,
                status            TEXT COLLATE "C" NOT NULL,
                product_instances BIGINT NOT NULL,
                reports           BIGINT NOT NULL,
                errors_json       TEXT COLLATE "C" NOT NULL,
                ack_file_name     TEXT COLLATE "C" NULL,
                ack_content_type  TEXT COLLATE "C" NULL,
                ack_base64        TEXT COLLATE "C" NULL
            );
            CREATE INDEX usage_files_by_sa ON usage_files (sa_id, seq);
            """),
        new(6, "authorizations", """
            CREATE TABLE authorizations (
                id                TEXT COLLATE "C" PRIMARY KEY,
                kind              TEXT COLLATE "C" NOT NULL,
                udi               TEXT COLLATE "C" NOT NULL REFERENCES product_instances(udi) ON DELETE CASCADE,
                va_id             TEXT COLLATE "C" NOT NULL,
                state             TEXT COLLATE "C" NOT NULL,
                code_xml          TEXT COLLATE "C" NOT NULL,
                confirmation_code TEXT COLLATE "C" NOT NULL,
                issued_at         TEXT COLLATE "C" NOT NULL,
                confirmed_at      TEXT COLLATE "C" NULL,
                returned_at       TEXT COLLATE "C" NULL,
                request_code      TEXT COLLATE "C" NULL
            );
            CREATE INDEX authorizations_by_udi ON authorizations (udi, state);
            CREATE TABLE authorization_entitlements (
                authorization_id TEXT COLLATE "C" NOT NULL REFERENCES authorizations(id) ON DELETE CASCADE,
                tag              TEXT COLLATE "C" NOT NULL,
                count            BIGINT NOT NULL,
                PRIMARY KEY (authorization_id, tag)
            );
            """),
        // Jobs remember the API client that made them (a poll id answers only it). Fault rules and the
        // clock carry a version in settings, bumped by triggers on every write from any process or
        // path (API, seed, reset, import), so each process re-reads them when they change.
        new(7, "job-owners-and-shared-state-versions", """
            ALTER TABLE jobs ADD COLUMN client_id TEXT COLLATE "C" NULL;
            INSERT INTO settings (key, value) VALUES ('version/fault_rules', '0') ON CONFLICT (key) DO NOTHING;
            INSERT INTO settings (key, value) VALUES ('version/clock', '0') ON CONFLICT (key) DO NOTHING;
            CREATE FUNCTION cssmsim_bump_version() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                UPDATE settings SET value = (CAST(value AS BIGINT) + 1)::text WHERE key = TG_ARGV[0];
                RETURN NULL;
            END $fn$;
            CREATE TRIGGER fault_rules_version AFTER INSERT OR UPDATE OR DELETE ON fault_rules
                FOR EACH ROW EXECUTE FUNCTION cssmsim_bump_version('version/fault_rules');
            CREATE TRIGGER clock_version AFTER INSERT OR UPDATE ON settings
                FOR EACH ROW WHEN (NEW.key = 'clock') EXECUTE FUNCTION cssmsim_bump_version('version/clock');
            """),
        new(8, "software-apis", """
            ALTER TABLE api_users ADD COLUMN email TEXT COLLATE "C" NULL;
            CREATE TABLE slr_catalog (
                software_tag      TEXT COLLATE "C" PRIMARY KEY,
                udi_pid           TEXT COLLATE "C" NULL,
                entitlements_json TEXT COLLATE "C" NOT NULL
            );
            """),
        // An upload is recorded before its reports are stored and completed last: one cut short
        // (SIGKILL) stays hidden, and the same upload sent again resumes it under the same id, its
        // ACK rows keyed by (upload, UDI) so a retry adds none.
        new(9, "resumable-usage-uploads", """
            ALTER TABLE usage_files ADD COLUMN content_key TEXT COLLATE "C" NULL;
            ALTER TABLE usage_files ADD COLUMN completed BIGINT NOT NULL DEFAULT 1;
            CREATE UNIQUE INDEX usage_files_pending ON usage_files (content_key) WHERE completed = 0;
            ALTER TABLE acks ADD COLUMN upload_id TEXT COLLATE "C" NULL;
            CREATE UNIQUE INDEX acks_by_upload ON acks (upload_id, udi) WHERE upload_id IS NOT NULL;
            """),
        // The latest counted report of each (product instance, tag) with the instance's current VA,
        // kept by triggers in the transaction that stores a report or moves an instance (SQLite's
        // migration 10; see there). "Latest" as SQLite orders it: measured_at (NULL oldest), then
        // received_at, then report_key; PostgreSQL sorts NULL first in DESC, hence NULLS LAST. The
        // report trigger locks its instance row (FOR NO KEY UPDATE, the lock storing a report's
        // last_contact takes anyway): a move committed meanwhile is then seen, and a move waiting
        // on it sees the new row, so the copied va_id never goes stale between replicas.
        new(10, "latest-usage-and-paging-indexes", """
            CREATE TABLE latest_usage (
                udi         TEXT COLLATE "C" NOT NULL REFERENCES product_instances(udi) ON DELETE CASCADE,
                tag         TEXT COLLATE "C" NOT NULL,
                va_id       TEXT COLLATE "C" NOT NULL,
                in_use      BIGINT NOT NULL,
                measured_at TEXT COLLATE "C" NULL,
                received_at TEXT COLLATE "C" NOT NULL,
                report_key  TEXT COLLATE "C" NOT NULL,
                PRIMARY KEY (udi, tag)
            );
            CREATE INDEX latest_usage_by_va ON latest_usage (va_id, tag, in_use);
            CREATE INDEX product_instances_by_va_udi ON product_instances (va_id, udi);
            DROP INDEX product_instances_by_va;
            INSERT INTO latest_usage (udi, tag, va_id, in_use, measured_at, received_at, report_key)
            SELECT DISTINCT ON (r.udi, r.tag) r.udi, r.tag, p.va_id, r.in_use, r.measured_at, r.received_at, r.report_key
            FROM usage_reports r JOIN product_instances p ON p.udi = r.udi
            WHERE r.status <> 'DROPPED' AND r.tag IS NOT NULL AND r.in_use IS NOT NULL
            ORDER BY r.udi, r.tag, r.measured_at DESC NULLS LAST, r.received_at DESC, r.report_key DESC;
            CREATE FUNCTION cssmsim_latest_usage_on_report() RETURNS trigger LANGUAGE plpgsql AS $fn$
            DECLARE va TEXT;
            BEGIN
                SELECT p.va_id INTO va FROM product_instances p WHERE p.udi = NEW.udi FOR NO KEY UPDATE;
                IF NOT FOUND THEN RETURN NULL; END IF;
                INSERT INTO latest_usage AS l (udi, tag, va_id, in_use, measured_at, received_at, report_key)
                VALUES (NEW.udi, NEW.tag, va, NEW.in_use, NEW.measured_at, NEW.received_at, NEW.report_key)
                ON CONFLICT (udi, tag) DO UPDATE SET in_use = EXCLUDED.in_use, measured_at = EXCLUDED.measured_at,
                    received_at = EXCLUDED.received_at, report_key = EXCLUDED.report_key
                WHERE COALESCE(EXCLUDED.measured_at, '') > COALESCE(l.measured_at, '')
                   OR (COALESCE(EXCLUDED.measured_at, '') = COALESCE(l.measured_at, '')
                       AND (EXCLUDED.received_at > l.received_at
                            OR (EXCLUDED.received_at = l.received_at AND EXCLUDED.report_key > l.report_key)));
                RETURN NULL;
            END $fn$;
            CREATE TRIGGER latest_usage_on_report AFTER INSERT ON usage_reports
                FOR EACH ROW WHEN (NEW.status <> 'DROPPED' AND NEW.tag IS NOT NULL AND NEW.in_use IS NOT NULL)
                EXECUTE FUNCTION cssmsim_latest_usage_on_report();
            CREATE FUNCTION cssmsim_latest_usage_follows_instance() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                UPDATE latest_usage SET va_id = NEW.va_id WHERE udi = NEW.udi;
                RETURN NULL;
            END $fn$;
            CREATE TRIGGER latest_usage_follows_instance AFTER UPDATE OF va_id ON product_instances
                FOR EACH ROW WHEN (NEW.va_id <> OLD.va_id)
                EXECUTE FUNCTION cssmsim_latest_usage_follows_instance();
            """),
        // Devices may name themselves by PIID after trust (smart-transport.md): looked up on every such message.
        new(11, "product-instance-piid-index", """
            CREATE INDEX product_instances_by_piid ON product_instances (piid);
            """),
        // A Virtual Account's in-use per tag kept as sums of latest_usage by triggers (SQLite's migration
        // 12; see there): in_use the plain sum, in_use_counted the sum of max(in_use, 0) the pools check,
        // instances the rows summed. As there, no trigger per deleted instance or latest_usage row: the
        // store's instance delete subtracts, a Virtual Account's delete drops its sums, a full reset
        // empties both. A sum's row is locked by each transaction that changes it until it commits, so
        // two replicas' reports for one Virtual Account and tag add up one after the other.
        new(12, "usage-sums-per-virtual-account", """
            CREATE TABLE va_tag_usage (
                va_id          TEXT COLLATE "C" NOT NULL,
                tag            TEXT COLLATE "C" NOT NULL,
                in_use         BIGINT NOT NULL,
                in_use_counted BIGINT NOT NULL,
                instances      BIGINT NOT NULL,
                PRIMARY KEY (va_id, tag)
            );
            INSERT INTO va_tag_usage (va_id, tag, in_use, in_use_counted, instances)
            SELECT va_id, tag, SUM(in_use), SUM(GREATEST(in_use, 0)), COUNT(*) FROM latest_usage GROUP BY va_id, tag;
            CREATE FUNCTION cssmsim_va_tag_usage_add() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                IF TG_OP = 'UPDATE' THEN
                    UPDATE va_tag_usage SET in_use = in_use - OLD.in_use, in_use_counted = in_use_counted - GREATEST(OLD.in_use, 0), instances = instances - 1
                    WHERE va_id = OLD.va_id AND tag = OLD.tag;
                END IF;
                INSERT INTO va_tag_usage AS v (va_id, tag, in_use, in_use_counted, instances) VALUES (NEW.va_id, NEW.tag, NEW.in_use, GREATEST(NEW.in_use, 0), 1)
                ON CONFLICT (va_id, tag) DO UPDATE SET in_use = v.in_use + EXCLUDED.in_use, in_use_counted = v.in_use_counted + EXCLUDED.in_use_counted,
                    instances = v.instances + 1;
                RETURN NULL;
            END $fn$;
            CREATE TRIGGER va_tag_usage_on_insert AFTER INSERT ON latest_usage
                FOR EACH ROW EXECUTE FUNCTION cssmsim_va_tag_usage_add();
            CREATE TRIGGER va_tag_usage_on_update AFTER UPDATE OF in_use, va_id ON latest_usage
                FOR EACH ROW EXECUTE FUNCTION cssmsim_va_tag_usage_add();
            CREATE FUNCTION cssmsim_va_tag_usage_drop() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                DELETE FROM va_tag_usage WHERE va_id = OLD.id;
                RETURN OLD;
            END $fn$;
            CREATE TRIGGER va_tag_usage_on_virtual_account_delete BEFORE DELETE ON virtual_accounts
                FOR EACH ROW EXECUTE FUNCTION cssmsim_va_tag_usage_drop();
            """),
        // The fault rules' shared counters and the persisted journal (SQLite migration 13).
        new(13, "shared-fault-counters-and-journal", """
            CREATE TABLE fault_counters (
                rule_id    TEXT COLLATE "C" PRIMARY KEY,
                candidates BIGINT NOT NULL,
                applied    BIGINT NOT NULL
            );
            CREATE TABLE journal (
                id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                surface    TEXT NOT NULL,
                operation  TEXT,
                udi        TEXT,
                outcome    TEXT NOT NULL,
                entry_json TEXT NOT NULL
            );
            """),
    ];

    public static int Latest => All.Max(m => m.Version);

    // Any fixed key: every replica of one database asks for the same lock.
    private const long MigrationLock = 0x4353534d53494d;

    /// <summary>Applies what is missing; refuses a database written by a newer CssmSim.</summary>
    public static int Apply(NpgsqlConnection c, NpgsqlTransaction tx)
    {
        Sql.Execute(c, tx, "SELECT pg_advisory_xact_lock($k)", ("$k", MigrationLock));
        Sql.Execute(c, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)");
        var current = Convert.ToInt32(Sql.Scalar(c, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"), System.Globalization.CultureInfo.InvariantCulture);
        if (current > Latest)
            throw new InvalidOperationException(
                $"The database has schema version {current}, newer than this CssmSim understands ({Latest}); upgrade CssmSim or use another store.");
        foreach (var m in All.Where(m => m.Version > current).OrderBy(m => m.Version))
        {
            using (var cmd = new NpgsqlCommand(m.Sql, c, tx)) cmd.ExecuteNonQuery();
            Sql.Execute(c, tx, "INSERT INTO schema_migrations (version, name) VALUES ($v, $n)", ("$v", (long)m.Version), ("$n", m.Name));
        }
        return Latest;
    }
}
