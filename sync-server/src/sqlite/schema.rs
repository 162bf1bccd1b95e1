//! The server database's schema, as append-only migrations.
//!
//! LANDED MIGRATIONS ARE NEVER EDITED: a database that already ran one would silently differ from
//! a new one. To change the schema, append a new entry to [`MIGRATIONS`]. The number of migrations
//! run is kept in SQLite's `user_version`; a database from a newer build is refused.
//!
//! Ids (`op_id`, devices, `entity_id`) are 16-byte BLOBs; HLC timestamps are their packed `u64`
//! stored as a (two's-complement) `INTEGER`.

use rusqlite::Connection;

use crate::error::StorageError;

/// Migration `i` (0-based) brings the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: operations, refused operations, devices' progress, merged records, the server clock.
    "
    -- Every accepted operation, in the order the server accepted it (the feed).
    CREATE TABLE ops (
        server_seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        op_id          BLOB    NOT NULL UNIQUE,
        origin_device  BLOB    NOT NULL,
        origin_seq     INTEGER NOT NULL,
        hlc            INTEGER NOT NULL,
        entity         TEXT    NOT NULL,
        entity_id      BLOB    NOT NULL,
        scope_path     TEXT    NOT NULL,
        body           TEXT    NOT NULL,   -- the operation's JSON
        received_at_ms INTEGER NOT NULL,
        future         INTEGER NOT NULL DEFAULT 0, -- 1: its HLC was > 24 h ahead of the server
        UNIQUE (origin_device, origin_seq)
    );

    -- Every refused operation, as received: kept and visible, never lost.
    -- consumed = 1: it used up its seq (the device's counter moved past it); 0: it did not
    -- (seq_reused: another operation already holds that seq).
    CREATE TABLE rejected_ops (
        id             INTEGER PRIMARY KEY,
        device         BLOB    NOT NULL,
        seq            INTEGER NOT NULL,
        op_id          BLOB    NOT NULL,
        consumed       INTEGER NOT NULL,
        code           TEXT    NOT NULL,
        message        TEXT    NOT NULL,
        body           TEXT    NOT NULL,
        received_at_ms INTEGER NOT NULL,
        UNIQUE (device, seq, op_id)
    );

    -- Per pushing device: the highest origin_seq processed with no gap before it.
    CREATE TABLE devices (
        device_id     BLOB    PRIMARY KEY,
        processed_seq INTEGER NOT NULL,
        last_push_ms  INTEGER NOT NULL
    ) WITHOUT ROWID;

    -- The merged state of every record. state: the EntityState JSON (per-field heads); record: the
    -- materialized record JSON ({\"entity\": …, \"record\": {…}}). Both NULL for an append-only
    -- record (visit, contact, income_record, evaluation): created once and never changed, its state
    -- and record are its one creating operation, the ops row last_server_seq.
    CREATE TABLE entities (
        id              INTEGER PRIMARY KEY,
        entity          TEXT    NOT NULL,
        entity_id       BLOB    NOT NULL,
        scope_path      TEXT    NOT NULL,
        state           TEXT,
        record          TEXT,
        in_conflict     INTEGER NOT NULL DEFAULT 0,
        last_server_seq INTEGER NOT NULL REFERENCES ops (server_seq),
        UNIQUE (entity, entity_id)
    );
    CREATE INDEX entities_in_conflict ON entities (entity, entity_id) WHERE in_conflict = 1;

    -- The server's hybrid logical clock (one row).
    CREATE TABLE server_clock (
        id       INTEGER PRIMARY KEY CHECK (id = 1),
        last_hlc INTEGER NOT NULL
    );
    INSERT INTO server_clock (id, last_hlc) VALUES (1, 0);
    ",
];

/// The schema version this build writes.
pub fn current_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// Runs the migrations the database has not run yet, each in its own transaction.
pub fn migrate(conn: &mut Connection) -> Result<u32, StorageError> {
    let have: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let want = current_version();
    if have > want {
        return Err(StorageError::Schema(format!(
            "the database has schema version {have}, newer than this build's {want}: \
             run a newer bangfu-server"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(have as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .map_err(|e| StorageError::Schema(format!("migration {}: {e}", i + 1)))?;
        tx.pragma_update(None, "user_version", i as u32 + 1)?;
        tx.commit()?;
    }
    Ok(want)
}
