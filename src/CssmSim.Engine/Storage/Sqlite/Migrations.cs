using Microsoft.Data.Sqlite;

namespace CssmSim.Engine.Storage.Sqlite;

/// <summary>
/// Numbered schema changes, applied in order at start inside one write transaction, so two
/// processes starting on one file apply each exactly once. Never edit a shipped migration: add one.
/// SQL stays portable (no SQLite-only types or collations) so PostgreSQL can follow.
/// </summary>
public static class Migrations
{
    public sealed record Migration(int Version, string Name, string Sql);

    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "accounts", """
            CREATE TABLE settings (
                key   TEXT PRIMARY KEY,
                value TEXT NOT NULL
            );
            CREATE TABLE smart_accounts (
                id          TEXT PRIMARY KEY,
                domain      TEXT NOT NULL,
                domain_key  TEXT NOT NULL UNIQUE,
                name        TEXT NOT NULL,
                policy_json TEXT NULL
            );
            CREATE TABLE virtual_accounts (
                id                        TEXT PRIMARY KEY,
                sa_id                     TEXT NOT NULL REFERENCES smart_accounts(id) ON DELETE CASCADE,
                name                      TEXT NOT NULL,
                description               TEXT NOT NULL,
                is_default                INTEGER NOT NULL,
                export_controlled_allowed INTEGER NOT NULL,
                policy_json               TEXT NULL,
                UNIQUE (sa_id, name)
            );
            CREATE TABLE licenses (
                va_id        TEXT NOT NULL REFERENCES virtual_accounts(id) ON DELETE CASCADE,
                tag          TEXT NOT NULL,
                display_name TEXT NOT NULL,
                enforcement  TEXT NOT NULL,
                license_type TEXT NOT NULL,
                quantity     INTEGER NOT NULL,
                start_date   TEXT NULL,
                end_date     TEXT NULL,
                PRIMARY KEY (va_id, tag)
            );
            CREATE TABLE api_clients (
                client_id     TEXT PRIMARY KEY,
                client_secret TEXT NOT NULL,
                accounts_json TEXT NULL
            );
            CREATE TABLE api_users (
                username      TEXT PRIMARY KEY,
                password      TEXT NOT NULL,
                accounts_json TEXT NULL
            );
            """),
        new(2, "faults-and-jobs", """
            CREATE TABLE counters (
                key   TEXT PRIMARY KEY,
                value INTEGER NOT NULL
            );
            CREATE TABLE fault_rules (
                id        TEXT PRIMARY KEY,
                seq       INTEGER NOT NULL,
                builtin   INTEGER NOT NULL,
                rule_json TEXT NOT NULL
            );
            CREATE TABLE poll_transitions (
                action        TEXT NOT NULL,
                smart_account TEXT NOT NULL,
                progression   TEXT NOT NULL,
                times         INTEGER NULL,
                duration      TEXT NULL,
                poll_interval INTEGER NULL,
                PRIMARY KEY (action, smart_account)
            );
            CREATE TABLE jobs (
                poll_id              TEXT PRIMARY KEY,
                action               TEXT NOT NULL,
                udi                  TEXT NOT NULL,
                sa_id                TEXT NULL REFERENCES smart_accounts(id) ON DELETE CASCADE,
                correlation_id       TEXT NOT NULL,
                submitted_at         TEXT NOT NULL,
                polls                INTEGER NOT NULL,
                complete_after_polls INTEGER NULL,
                complete_at          TEXT NULL,
                never_complete       INTEGER NOT NULL,
                fail_code            TEXT NULL,
                fail_message         TEXT NULL,
                result_json          TEXT NULL
            );
            """),
        new(3, "tokens-trust-events", """
            CREATE TABLE tokens (
                id                 TEXT PRIMARY KEY,
                va_id              TEXT NOT NULL REFERENCES virtual_accounts(id) ON DELETE CASCADE,
                token              TEXT NOT NULL,
                canonical          TEXT NOT NULL UNIQUE,
                description        TEXT NOT NULL,
                created_by         TEXT NOT NULL,
                created_at         TEXT NOT NULL,
                expires_at         TEXT NOT NULL,
                expires_after_days INTEGER NOT NULL,
                max_uses           INTEGER NULL,
                uses               INTEGER NOT NULL,
                export_controlled  INTEGER NOT NULL,
                revoked            INTEGER NOT NULL
            );
            CREATE INDEX tokens_by_va ON tokens (va_id);
            CREATE TABLE product_instances (
                udi                     TEXT PRIMARY KEY,
                pid                     TEXT NOT NULL,
                serial                  TEXT NOT NULL,
                piid                    TEXT NOT NULL,
                va_id                   TEXT NOT NULL REFERENCES virtual_accounts(id) ON DELETE CASCADE,
                hostname                TEXT NOT NULL,
                ha_role                 TEXT NULL,
                ha_group                TEXT NULL,
                trust_code_id           TEXT NULL,
                trusted_at              TEXT NULL,
                trust_token_id          TEXT NULL,
                trust_export_controlled INTEGER NULL,
                export_controlled       INTEGER NULL,
                rum_key                 TEXT NULL,
                registered_at           TEXT NOT NULL,
                last_contact            TEXT NULL
            );
            CREATE INDEX product_instances_by_va ON product_instances (va_id);
            CREATE TABLE trust_codes (
                id              TEXT PRIMARY KEY,
                udi             TEXT NOT NULL REFERENCES product_instances(udi) ON DELETE CASCADE,
                generation      INTEGER NOT NULL,
                va_id           TEXT NOT NULL,
                token_id        TEXT NULL,
                issued_at       TEXT NOT NULL,
                superseded_by   TEXT NULL,
                acknowledged_at TEXT NULL,
                UNIQUE (udi, generation)
            );
            CREATE TABLE events (
                id           INTEGER PRIMARY KEY,
                time         TEXT NOT NULL,
                type         TEXT NOT NULL,
                sa_id        TEXT NULL REFERENCES smart_accounts(id) ON DELETE CASCADE,
                va_name      TEXT NULL,
                udi          TEXT NULL,
                details_json TEXT NOT NULL
            );
            """),
        new(4, "usage-reports-and-acks", """
            CREATE TABLE usage_reports (
                udi                 TEXT NOT NULL REFERENCES product_instances(udi) ON DELETE CASCADE,
                report_key          TEXT NOT NULL,
                report_id           TEXT NOT NULL,
                report_id_is_number INTEGER NOT NULL,
                tag                 TEXT NULL,
                in_use              INTEGER NULL,
                measured_at         TEXT NULL,
                payload             TEXT NOT NULL,
                signature_json      TEXT NULL,
                received_at         TEXT NOT NULL,
                status              TEXT NOT NULL,
                source              TEXT NOT NULL,
                PRIMARY KEY (udi, report_key)
            );
            CREATE TABLE acks (
                id              TEXT PRIMARY KEY,
                udi             TEXT NOT NULL REFERENCES product_instances(udi) ON DELETE CASCADE,
                va_id           TEXT NOT NULL,
                issued_at       TEXT NOT NULL,
                report_ids_json TEXT NOT NULL,
                synthetic       INTEGER NOT NULL
            );
            CREATE INDEX acks_by_udi ON acks (udi, issued_at);
            """),
        new(5, "usage-files", """
            CREATE TABLE usage_files (
                id                TEXT PRIMARY KEY,
                seq               INTEGER NOT NULL,
                sa_id             TEXT NULL REFERENCES smart_accounts(id) ON DELETE CASCADE,
                va_id             TEXT NULL,
                file_name         TEXT NOT NULL,
                form              TEXT NOT NULL,
                uploaded_at       TEXT NOT NULL,
                poll_id           TEXT NULL,
                status            TEXT NOT NULL,
                product_instances INTEGER NOT NULL,
                reports           INTEGER NOT NULL,
                errors_json       TEXT NOT NULL,
                ack_file_name     TEXT NULL,
                ack_content_type  TEXT NULL,
                ack_base64        TEXT NULL
            );
            CREATE INDEX usage_files_by_sa ON usage_files (sa_id, seq);
            """),
        new(6, "authorizations", """
            CREATE TABLE authorizations (
                id                TEXT PRIMARY KEY,
                kind              TEXT NOT NULL,
                udi               TEXT NOT NULL REFERENCES product_instances(udi) ON DELETE CASCADE,
                va_id             TEXT NOT NULL,
                state             TEXT NOT NULL,
                code_xml          TEXT NOT NULL,
                confirmation_code TEXT NOT NULL,
                issued_at         TEXT NOT NULL,
                confirmed_at      TEXT NULL,
                returned_at       TEXT NULL,
                request_code      TEXT NULL
            );
            CREATE INDEX authorizations_by_udi ON authorizations (udi, state);
            CREATE TABLE authorization_entitlements (
                authorization_id TEXT NOT NULL REFERENCES authorizations(id) ON DELETE CASCADE,
                tag              TEXT NOT NULL,
                count            INTEGER NOT NULL,
                PRIMARY KEY (authorization_id, tag)
            );
            """),
        // Jobs remember the API client that made them (a poll id answers only it). Fault rules and the
        // clock carry a version in settings, bumped by triggers on every write from any process or
        // path (API, seed, reset, import), so each process re-reads them when they change.
        new(7, "job-owners-and-shared-state-versions", """
            ALTER TABLE jobs ADD COLUMN client_id TEXT NULL;
            INSERT INTO settings (key, value) VALUES ('version/fault_rules', '0') ON CONFLICT (key) DO NOTHING;
            INSERT INTO settings (key, value) VALUES ('version/clock', '0') ON CONFLICT (key) DO NOTHING;
            CREATE TRIGGER fault_rules_version_insert AFTER INSERT ON fault_rules
            BEGIN UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version/fault_rules'; END;
            CREATE TRIGGER fault_rules_version_update AFTER UPDATE ON fault_rules
            BEGIN UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version/fault_rules'; END;
            CREATE TRIGGER fault_rules_version_delete AFTER DELETE ON fault_rules
            BEGIN UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version/fault_rules'; END;
            CREATE TRIGGER clock_version_insert AFTER INSERT ON settings WHEN NEW.key = 'clock'
            BEGIN UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version/clock'; END;
            CREATE TRIGGER clock_version_update AFTER UPDATE ON settings WHEN NEW.key = 'clock'
            BEGIN UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version/clock'; END;
            """),
        new(8, "software-apis", """
            ALTER TABLE api_users ADD COLUMN email TEXT NULL;
            CREATE TABLE slr_catalog (
                software_tag      TEXT PRIMARY KEY,
                udi_pid           TEXT NULL,
                entitlements_json TEXT NOT NULL
            );
            """),
        // An upload is recorded before its reports are stored and completed last: one cut short
        // (SIGKILL) stays hidden, and the same upload sent again resumes it under the same id, its
        // ACK rows keyed by (upload, UDI) so a retry adds none.
        new(9, "resumable-usage-uploads", """
            ALTER TABLE usage_files ADD COLUMN content_key TEXT NULL;
            ALTER TABLE usage_files ADD COLUMN completed INTEGER NOT NULL DEFAULT 1;
            CREATE UNIQUE INDEX usage_files_pending ON usage_files (content_key) WHERE completed = 0;
            ALTER TABLE acks ADD COLUMN upload_id TEXT NULL;
            CREATE UNIQUE INDEX acks_by_upload ON acks (upload_id, udi) WHERE upload_id IS NOT NULL;
            """),
        // License balances at SSM On-Prem's scale (300,000 product instances, millions of reports):
        // the latest counted report of each (product instance, tag), kept by triggers in the
        // transaction that stores a report or moves an instance (from any process or path: API,
        // upload, bulk load, snapshot import), so a balance is one indexed sum per Virtual Account
        // instead of a window over every report. "Latest" is the order the window used:
        // measured_at (NULL oldest), then received_at, then report_key. va_id is the instance's own,
        // copied so the sum needs no join; the instance's delete cascades. Derived: not snapshotted.
        // Also an index for listing a Virtual Account's instances in UDI order (deep pages).
        new(10, "latest-usage-and-paging-indexes", """
            CREATE TABLE latest_usage (
                udi         TEXT NOT NULL REFERENCES product_instances(udi) ON DELETE CASCADE,
                tag         TEXT NOT NULL,
                va_id       TEXT NOT NULL,
                in_use      INTEGER NOT NULL,
                measured_at TEXT NULL,
                received_at TEXT NOT NULL,
                report_key  TEXT NOT NULL,
                PRIMARY KEY (udi, tag)
            );
            CREATE INDEX latest_usage_by_va ON latest_usage (va_id, tag, in_use);
            CREATE INDEX product_instances_by_va_udi ON product_instances (va_id, udi);
            DROP INDEX product_instances_by_va;
            INSERT INTO latest_usage (udi, tag, va_id, in_use, measured_at, received_at, report_key)
            SELECT udi, tag, va_id, in_use, measured_at, received_at, report_key FROM (
                SELECT r.udi, r.tag, p.va_id, r.in_use, r.measured_at, r.received_at, r.report_key,
                       ROW_NUMBER() OVER (PARTITION BY r.udi, r.tag ORDER BY r.measured_at DESC, r.received_at DESC, r.report_key DESC) AS rn
                FROM usage_reports r JOIN product_instances p ON p.udi = r.udi
                WHERE r.status <> 'DROPPED' AND r.tag IS NOT NULL AND r.in_use IS NOT NULL
            ) AS latest WHERE rn = 1;
            CREATE TRIGGER latest_usage_on_report AFTER INSERT ON usage_reports
            WHEN NEW.status <> 'DROPPED' AND NEW.tag IS NOT NULL AND NEW.in_use IS NOT NULL
            BEGIN
                INSERT INTO latest_usage (udi, tag, va_id, in_use, measured_at, received_at, report_key)
                SELECT NEW.udi, NEW.tag, p.va_id, NEW.in_use, NEW.measured_at, NEW.received_at, NEW.report_key FROM product_instances p WHERE p.udi = NEW.udi
                ON CONFLICT (udi, tag) DO UPDATE SET in_use = excluded.in_use, measured_at = excluded.measured_at,
                    received_at = excluded.received_at, report_key = excluded.report_key
                WHERE COALESCE(excluded.measured_at, '') > COALESCE(latest_usage.measured_at, '')
                   OR (COALESCE(excluded.measured_at, '') = COALESCE(latest_usage.measured_at, '')
                       AND (excluded.received_at > latest_usage.received_at
                            OR (excluded.received_at = latest_usage.received_at AND excluded.report_key > latest_usage.report_key)));
            END;
            CREATE TRIGGER latest_usage_follows_instance AFTER UPDATE OF va_id ON product_instances
            WHEN NEW.va_id <> OLD.va_id
            BEGIN
                UPDATE latest_usage SET va_id = NEW.va_id WHERE udi = NEW.udi;
            END;
            """),
        // Devices may name themselves by PIID after trust (smart-transport.md): looked up on every such message.
        new(11, "product-instance-piid-index", """
            CREATE INDEX product_instances_by_piid ON product_instances (piid);
            """),
        // A Virtual Account's in-use per tag kept as sums of latest_usage (migration 10) by triggers, so a
        // balance reads a row per tag instead of summing every instance's latest report (300,000 at SSM
        // On-Prem's scale). in_use is the plain sum, in_use_counted the sum of max(in_use, 0) the pools
        // check, instances the rows summed (a tag shows while any remain). No trigger per deleted instance
        // or latest_usage row (300,000 of them made a full reset take three times as long): removing one
        // instance subtracts its rows in the store's delete, a Virtual Account's delete drops its sums,
        // and a full reset empties both tables. Derived: not snapshotted.
        new(12, "usage-sums-per-virtual-account", """
            CREATE TABLE va_tag_usage (
                va_id          TEXT NOT NULL,
                tag            TEXT NOT NULL,
                in_use         INTEGER NOT NULL,
                in_use_counted INTEGER NOT NULL,
                instances      INTEGER NOT NULL,
                PRIMARY KEY (va_id, tag)
            ) WITHOUT ROWID;
            INSERT INTO va_tag_usage (va_id, tag, in_use, in_use_counted, instances)
            SELECT va_id, tag, SUM(in_use), SUM(MAX(in_use, 0)), COUNT(*) FROM latest_usage GROUP BY va_id, tag;
            CREATE TRIGGER va_tag_usage_on_insert AFTER INSERT ON latest_usage
            BEGIN
                INSERT INTO va_tag_usage (va_id, tag, in_use, in_use_counted, instances) VALUES (NEW.va_id, NEW.tag, NEW.in_use, MAX(NEW.in_use, 0), 1)
                ON CONFLICT (va_id, tag) DO UPDATE SET in_use = in_use + excluded.in_use, in_use_counted = in_use_counted + excluded.in_use_counted,
                    instances = instances + 1;
            END;
            CREATE TRIGGER va_tag_usage_on_update AFTER UPDATE OF in_use, va_id ON latest_usage
            BEGIN
                UPDATE va_tag_usage SET in_use = in_use - OLD.in_use, in_use_counted = in_use_counted - MAX(OLD.in_use, 0), instances = instances - 1
                WHERE va_id = OLD.va_id AND tag = OLD.tag;
                INSERT INTO va_tag_usage (va_id, tag, in_use, in_use_counted, instances) VALUES (NEW.va_id, NEW.tag, NEW.in_use, MAX(NEW.in_use, 0), 1)
                ON CONFLICT (va_id, tag) DO UPDATE SET in_use = in_use + excluded.in_use, in_use_counted = in_use_counted + excluded.in_use_counted,
                    instances = instances + 1;
            END;
            CREATE TRIGGER va_tag_usage_on_virtual_account_delete BEFORE DELETE ON virtual_accounts
            BEGIN
                DELETE FROM va_tag_usage WHERE va_id = OLD.id;
            END;
            """),
        // What replicas on one database share beyond the CSSM state (control.md §Faults, §Journal and
        // events): each fault rule's candidate and applied counters, so `nth`, `every` and `times` count
        // every process's requests once; and the journal when Journal:Persist is on, so any process
        // shows every process's requests. Neither is snapshotted; a full reset or an import restarts the
        // counters, and a reset clears the journal (RequestJournal.ClearAllAsync).
        new(13, "shared-fault-counters-and-journal", """
            CREATE TABLE fault_counters (
                rule_id    TEXT PRIMARY KEY,
                candidates INTEGER NOT NULL,
                applied    INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE journal (
                id         INTEGER PRIMARY KEY AUTOINCREMENT,
                surface    TEXT NOT NULL,
                operation  TEXT,
                udi        TEXT,
                outcome    TEXT NOT NULL,
                entry_json TEXT NOT NULL
            );
            """),
    ];

    public static int Latest => All.Max(m => m.Version);

    /// <summary>Applies what is missing; refuses a database written by a newer CssmSim.</summary>
    public static int Apply(SqliteConnection c, SqliteTransaction tx)
    {
        Exec(c, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)");
        using var q = c.CreateCommand();
        q.Transaction = tx;
        q.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
        var current = Convert.ToInt32(q.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (current > Latest)
            throw new InvalidOperationException(
                $"The database has schema version {current}, newer than this CssmSim understands ({Latest}); upgrade CssmSim or use another store.");
        foreach (var m in All.Where(m => m.Version > current).OrderBy(m => m.Version))
        {
            Exec(c, tx, m.Sql);
            using var ins = c.CreateCommand();
            ins.Transaction = tx;
            ins.CommandText = "INSERT INTO schema_migrations (version, name) VALUES ($v, $n)";
            ins.Parameters.AddWithValue("$v", m.Version);
            ins.Parameters.AddWithValue("$n", m.Name);
            ins.ExecuteNonQuery();
        }
        return Latest;
    }

    // The latest schema, migrated once per process into a database of its own and copied from there.
    private static SqliteConnection? _template;
    private static readonly Lock TemplateLock = new();

    /// <summary>
    /// Gives an empty database the latest schema by copying it (SQLite's backup API) from one migrated
    /// once per process, instead of running every migration again: each in-memory store (every test
    /// fixture's) spent 5 to 9 ms of its start on migrations, and the copy takes a fraction of one.
    /// Returns false, changing nothing, when <paramref name="c"/> already holds any schema.
    /// </summary>
    public static bool TryCopyLatestInto(SqliteConnection c)
    {
        using (var q = c.CreateCommand())
        {
            q.CommandText = "SELECT count(*) FROM sqlite_master";
            if (Convert.ToInt64(q.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) != 0) return false;
        }
        lock (TemplateLock)
        {
            if (_template is null)
            {
                var template = new SqliteConnection("Data Source=:memory:");
                template.Open();
                using (var tx = template.BeginTransaction())
                {
                    Apply(template, tx);
                    tx.Commit();
                }
                _template = template;
            }
            _template.BackupDatabase(c);
        }
        return true;
    }

    private static void Exec(SqliteConnection c, SqliteTransaction tx, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
