//! The SQLite schema, versioned: `outbox_schema` holds the versions
//! applied, and each migration runs once, in a write transaction, so two
//! processes opening the database at once apply it once.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::OutboxError;

/// Migrations in order; migration `i` brings the schema to version `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[V1, V2];

/// The schema version this host writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Version 1.
///
/// Times are UTC microseconds since the epoch. `entities` remembers each
/// entity's newest accepted state `(latest_micros, latest_id)`; it is never
/// purged, so a purge does not let an older state through later.
const V1: &str = "
CREATE TABLE notifications (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key   TEXT    NOT NULL,
    plugin            TEXT    NOT NULL,
    shop              TEXT    NOT NULL,
    kind              TEXT    NOT NULL CHECK (kind IN ('customer', 'product', 'order')),
    op                TEXT    NOT NULL CHECK (op IN ('saved', 'deleted')),
    platform_id       TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    updated_at_micros INTEGER NOT NULL,
    payload           TEXT    NOT NULL,
    status            TEXT    NOT NULL
        CHECK (status IN ('pending', 'in_flight', 'delivered', 'dead', 'superseded')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    enqueued_at       INTEGER NOT NULL,
    next_attempt_at   INTEGER NOT NULL,
    lease_expires_at  INTEGER,
    last_attempt_at   INTEGER,
    finished_at       INTEGER,
    last_error        TEXT
);
CREATE UNIQUE INDEX notifications_idempotency_key ON notifications (idempotency_key);
CREATE INDEX notifications_entity ON notifications (plugin, shop, kind, platform_id, status);
CREATE INDEX notifications_status ON notifications (status, id);
CREATE INDEX notifications_due ON notifications (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX notifications_leases ON notifications (lease_expires_at) WHERE status = 'in_flight';
CREATE UNIQUE INDEX notifications_one_in_flight
    ON notifications (plugin, shop, kind, platform_id) WHERE status = 'in_flight';

CREATE TABLE entities (
    plugin        TEXT    NOT NULL,
    shop          TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    platform_id   TEXT    NOT NULL,
    latest_micros INTEGER NOT NULL,
    latest_id     INTEGER NOT NULL,
    PRIMARY KEY (plugin, shop, kind, platform_id)
) WITHOUT ROWID;
";

/// Version 2.
///
/// `lease_token` counts a row's claims (every claim increments it, nothing
/// resets it): a result is recorded only for the claim that holds the row
/// (`WHERE … AND lease_token = ?`). Rows in flight when the database is
/// migrated keep 0 (at start-up they are released anyway).
/// `notifications_finished` finds the delivered and superseded rows the
/// retention deletes, oldest first.
const V2: &str = "
ALTER TABLE notifications ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;
CREATE INDEX notifications_finished ON notifications (finished_at, id)
    WHERE status IN ('delivered', 'superseded');
";

/// Brings the database to [`VERSION`]; refuses a newer one.
pub fn migrate(conn: &mut Connection) -> Result<(), OutboxError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS outbox_schema (version INTEGER NOT NULL)")?;
    let found: i64 = tx
        .query_row("SELECT max(version) FROM outbox_schema", [], |row| {
            row.get::<_, Option<i64>>(0)
        })
        .optional()?
        .flatten()
        .unwrap_or(0);
    if found > VERSION {
        return Err(OutboxError::SchemaTooNew {
            found,
            supported: VERSION,
        });
    }
    let applied = usize::try_from(found)
        .map_err(|_| OutboxError::Corrupt(format!("schema version {found}")))?;
    for (done, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO outbox_schema (version) VALUES (?1)",
            [done as i64 + 1],
        )?;
        tracing::info!(version = done + 1, "outbox: database schema migrated");
    }
    tx.commit()?;
    Ok(())
}
