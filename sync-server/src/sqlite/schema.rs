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
    // 2: accounts, device tokens, the audit log; lookups for scopes.
    "
    CREATE TABLE accounts (
        id             INTEGER PRIMARY KEY,
        username       TEXT    NOT NULL UNIQUE,
        display_name   TEXT    NOT NULL,
        role           TEXT    NOT NULL,
        person_id      BLOB,             -- cadre: the person whose pairings are the scope
        unit_id        BLOB,             -- unit admin: the unit
        area_path      TEXT,             -- county / township / village codes
        password_hash  TEXT    NOT NULL, -- argon2id PHC string
        disabled       INTEGER NOT NULL DEFAULT 0,
        created_at_ms  INTEGER NOT NULL,
        failed_signins INTEGER NOT NULL DEFAULT 0,
        last_failed_ms INTEGER NOT NULL DEFAULT 0
    );

    -- One row per device that signed in; the token itself is never stored, only its SHA-256.
    CREATE TABLE device_tokens (
        device_id          BLOB    PRIMARY KEY,
        account_id         INTEGER NOT NULL REFERENCES accounts (id),
        token_hash         BLOB    NOT NULL UNIQUE,
        name               TEXT    NOT NULL,
        created_at_ms      INTEGER NOT NULL,
        expires_at_ms      INTEGER NOT NULL,
        revoked_at_ms      INTEGER,
        last_sync_ms       INTEGER,
        unsynced_ops       INTEGER,
        unsynced_photos    INTEGER,
        reported_at_ms     INTEGER,
        read_scope         TEXT              -- JSON scope the feed was served with from its start
    ) WITHOUT ROWID;
    CREATE INDEX device_tokens_account ON device_tokens (account_id);

    -- Who did what, from which device. detail: counts, ids and codes; never personal data.
    CREATE TABLE audit_log (
        id        INTEGER PRIMARY KEY,
        at_ms     INTEGER NOT NULL,
        actor     TEXT    NOT NULL,
        device_id BLOB,
        action    TEXT    NOT NULL,
        detail    TEXT    NOT NULL
    );

    CREATE INDEX entities_pairing_cadre ON entities (json_extract(record, '$.record.cadre_id'))
        WHERE entity = 'pairing';
    CREATE INDEX entities_person_unit ON entities (json_extract(record, '$.record.unit_id'))
        WHERE entity = 'person';
    ",
    // 3: the county's reference data (settings, monitoring lines), one JSON value.
    "
    CREATE TABLE reference (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        json          TEXT    NOT NULL,
        updated_at_ms INTEGER NOT NULL
    );
    ",
    // 4: places follow households (issue 11): each operation's household, so that the feed
    // filters by the household's current place; moves of households; ids unique across kinds;
    // where each device's feed last started.
    "
    ALTER TABLE ops ADD COLUMN household BLOB; -- the household the record belongs to (NULL: none)
    UPDATE ops SET household = CASE
        WHEN entity = 'household' THEN entity_id
        ELSE COALESCE(
            unhex(replace(json_extract(body, '$.fields.household_id'), '-', '')),
            (SELECT unhex(replace(json_extract(e.record, '$.record.household_id'), '-', ''))
               FROM entities e WHERE e.entity = ops.entity AND e.entity_id = ops.entity_id))
        END;
    CREATE INDEX entities_id ON entities (entity_id);

    -- A household re-filed under another path (the county moved it to another village): a device
    -- that gains it this way is sent its whole history (409 scope_grew on its next pull).
    CREATE TABLE household_moves (
        id         INTEGER PRIMARY KEY,
        server_seq INTEGER NOT NULL,  -- the operation that moved it
        household  BLOB    NOT NULL,
        old_path   TEXT    NOT NULL,
        new_path   TEXT    NOT NULL
    );
    CREATE INDEX household_moves_seq ON household_moves (server_seq);

    -- The newest server_seq when the device's feed last started from 0.
    ALTER TABLE device_tokens ADD COLUMN feed_start_seq INTEGER;

    -- Records re-derive their place from their household from now on.
    UPDATE entities SET scope_path = (
        SELECT h.scope_path FROM entities h
         WHERE h.entity = 'household'
           AND h.entity_id = unhex(replace(json_extract(entities.record, '$.record.household_id'), '-', '')))
     WHERE entity NOT IN ('household', 'area') AND record IS NOT NULL
       AND json_extract(record, '$.record.household_id') IS NOT NULL
       AND EXISTS (SELECT 1 FROM entities h WHERE h.entity = 'household'
           AND h.entity_id = unhex(replace(json_extract(entities.record, '$.record.household_id'), '-', '')));
    ",
    // 5 (after the 4th, merged from another branch): the database's epoch, a random UUID (v4)
    // made here, for a new database and an existing one alike, and replaced by `bangfu-server
    // restore`. Devices compare it to the one they last saw: a new epoch means the database was
    // restored from a backup, so `server_seq`s and `device_seq`s of the old one mean nothing.
    "
    CREATE TABLE server_epoch (
        id    INTEGER PRIMARY KEY CHECK (id = 1),
        epoch BLOB    NOT NULL CHECK (length(epoch) = 16)
    );
    INSERT INTO server_epoch (id, epoch)
    SELECT 1, unhex(substr(h, 1, 12) || '4' || substr(h, 14, 3)
                    || substr('89ab', 1 + (unicode(substr(h, 17, 1)) % 4), 1) || substr(h, 18))
    FROM (SELECT hex(randomblob(16)) AS h);
    ",
    // 6 (issue 11, item 6): which records name which photo,
    // and which device uploaded which, for the photo routes' access check
    // (`sqlite::photo_refs`). Back-filled from the stored operations: a visit names photos in
    // `photos` (an array of hashes) and `signature`.
    "
    -- Every (photo, record) pair such that an accepted operation of the record names the photo.
    CREATE TABLE photo_refs (
        sha       TEXT NOT NULL,   -- lowercase hex SHA-256
        entity    TEXT NOT NULL,
        entity_id BLOB NOT NULL,
        PRIMARY KEY (sha, entity, entity_id)
    ) WITHOUT ROWID;

    -- The devices whose upload of a photo completed (every byte received and verified).
    CREATE TABLE photo_uploads (
        sha    TEXT    NOT NULL,
        device BLOB    NOT NULL,
        at_ms  INTEGER NOT NULL,
        PRIMARY KEY (sha, device)
    ) WITHOUT ROWID;

    INSERT OR IGNORE INTO photo_refs (sha, entity, entity_id)
        SELECT p.value, o.entity, o.entity_id
        FROM ops o, json_each(o.body, '$.fields.photos') p
        WHERE o.entity = 'visit'
          AND json_type(o.body, '$.fields.photos') = 'array'
          AND p.type = 'text';
    INSERT OR IGNORE INTO photo_refs (sha, entity, entity_id)
        SELECT json_extract(o.body, '$.fields.signature'), o.entity, o.entity_id
        FROM ops o
        WHERE o.entity = 'visit'
          AND json_type(o.body, '$.fields.signature') = 'text';
    ",
    // 7: photo references are indexed off the push path: `photo_refs` is brought up to date from
    // the operations accepted since `through_seq` when a photo's access is checked, in one
    // transaction (inserting each pushed photo hash at a random place of the index cost a bulk
    // push of 100,000 visits 3 s of its 2). Bears being run again after the photo migration.
    "
    CREATE TABLE IF NOT EXISTS photo_refs_state (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        through_seq INTEGER NOT NULL
    );
    INSERT OR REPLACE INTO photo_refs_state (id, through_seq)
        SELECT 1, COALESCE(MAX(server_seq), 0) FROM ops;
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
