//! The server database's schema, as append-only migrations run by the store's migration runner
//! ([`bangfu_store::migrate::apply`]): each one once, in its own transaction, recorded in
//! `schema_migrations` with a checksum of its text.
//!
//! LANDED MIGRATIONS ARE NEVER EDITED: a database that already ran one would silently differ from
//! a new one, and the runner refuses a database whose recorded checksum differs from this build's.
//! To change the schema, append a new entry to [`MIGRATIONS`] (and its checksum to the `LANDED`
//! list of the tests). A database from a newer build is refused. A database made before the
//! runner kept `schema_migrations`, which counted its migrations in SQLite's `user_version` only,
//! is adopted as it is.
//!
//! Ids (`op_id`, devices, `entity_id`) are 16-byte BLOBs; HLC timestamps are their packed `u64`
//! stored as a (two's-complement) `INTEGER`.

use bangfu_store::migrate::{self, Migration};
use bangfu_store::{MigrationProblem, StoreError};
use rusqlite::Connection;

use crate::error::StorageError;

/// The server's migrations, in the order they apply (version `n` brings the schema from `n - 1`
/// to `n`).
pub const MIGRATIONS: &[Migration] = &[
    // 1: operations, refused operations, devices' progress, merged records, the server clock.
    Migration {
        version: 1,
        name: "0001_ops",
        sql: "
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
    },
    // 2: accounts, device tokens, the audit log; lookups for scopes.
    Migration {
        version: 2,
        name: "0002_accounts",
        sql: "
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
    },
    // 3: the county's reference data (settings, monitoring lines), one JSON value.
    Migration {
        version: 3,
        name: "0003_reference",
        sql: "
    CREATE TABLE reference (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        json          TEXT    NOT NULL,
        updated_at_ms INTEGER NOT NULL
    );
    ",
    },
    // 4: places follow households (issue 11): each operation's household, so that the feed
    // filters by the household's current place; moves of households; ids unique across kinds;
    // where each device's feed last started.
    Migration {
        version: 4,
        name: "0004_places_follow_households",
        sql: "
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
    },
    // 5 (after the 4th, merged from another branch): the database's epoch, a random UUID (v4)
    // made here, for a new database and an existing one alike, and replaced by `bangfu-server
    // restore`. Devices compare it to the one they last saw: a new epoch means the database was
    // restored from a backup, so `server_seq`s and `device_seq`s of the old one mean nothing.
    Migration {
        version: 5,
        name: "0005_server_epoch",
        sql: "
    CREATE TABLE server_epoch (
        id    INTEGER PRIMARY KEY CHECK (id = 1),
        epoch BLOB    NOT NULL CHECK (length(epoch) = 16)
    );
    INSERT INTO server_epoch (id, epoch)
    SELECT 1, unhex(substr(h, 1, 12) || '4' || substr(h, 14, 3)
                    || substr('89ab', 1 + (unicode(substr(h, 17, 1)) % 4), 1) || substr(h, 18))
    FROM (SELECT hex(randomblob(16)) AS h);
    ",
    },
    // 6 (issue 11, item 6): which records name which photo,
    // and which device uploaded which, for the photo routes' access check
    // (`sqlite::photo_refs`). Back-filled from the stored operations: a visit names photos in
    // `photos` (an array of hashes) and `signature`.
    Migration {
        version: 6,
        name: "0006_photo_refs",
        sql: "
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
    },
    // 7: photo references are indexed off the push path: `photo_refs` is brought up to date from
    // the operations accepted since `through_seq` when a photo's access is checked, in one
    // transaction (inserting each pushed photo hash at a random place of the index cost a bulk
    // push of 100,000 visits 3 s of its 2). Bears being run again after the photo migration.
    Migration {
        version: 7,
        name: "0007_photo_refs_off_push",
        sql: "
    CREATE TABLE IF NOT EXISTS photo_refs_state (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        through_seq INTEGER NOT NULL
    );
    INSERT OR REPLACE INTO photo_refs_state (id, through_seq)
        SELECT 1, COALESCE(MAX(server_seq), 0) FROM ops;
    ",
    },
];

/// The schema version this build writes.
pub fn current_version() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Runs the migrations the database has not run yet, each in its own transaction; returns the
/// schema version. A database from a newer build (a migration this build does not know, or a
/// `user_version` beyond this build's) is refused, and so is one whose recorded migrations differ
/// from this build's.
pub fn migrate(conn: &mut Connection) -> Result<u32, StorageError> {
    let want = current_version();
    let have: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if have > want {
        return Err(newer(have, want));
    }
    migrate::apply(conn, MIGRATIONS).map_err(|e| match e {
        StoreError::Migration {
            version,
            problem: MigrationProblem::UnknownToThisBuild,
            ..
        } => newer(version, want),
        StoreError::Sqlite(e) => StorageError::from(e),
        e => StorageError::Schema(e.to_string()),
    })?;
    Ok(want)
}

fn newer(have: u32, want: u32) -> StorageError {
    StorageError::Schema(format!(
        "the database has schema version {have}, newer than this build's {want}: \
         run a newer bangfu-server"
    ))
}

/// The schema version of a server database: the highest migration recorded in
/// `schema_migrations`, or, for a database the runner has not adopted yet, its `user_version`
/// (0: no server schema at all).
pub fn version(conn: &Connection) -> Result<u32, rusqlite::Error> {
    let adopted: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master
                            WHERE type = 'table' AND name = 'schema_migrations')",
        )?
        .query_row([], |r| r.get(0))?;
    if adopted
        && let Some(v) = conn
            .prepare_cached("SELECT MAX(version) FROM schema_migrations")?
            .query_row([], |r| r.get::<_, Option<u32>>(0))?
    {
        return Ok(v);
    }
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

#[cfg(test)]
mod tests {
    use bangfu_core::sync::wire::{OpStatus, PushRequest};

    use super::*;
    use crate::sqlite::SqliteStorage;
    use crate::sqlite::demo_ops::{DEMO_DEVICE, demo_ops};
    use crate::storage::SyncStorage;

    /// The checksum of every landed migration. A failure here means a landed migration was
    /// edited: revert the edit and add a new migration instead.
    const LANDED: &[(u32, &str, &str)] = &[
        (1, "0001_ops", "fnv1a64:095e875db4e423b0"),
        (2, "0002_accounts", "fnv1a64:7a47cc358f5bee06"),
        (3, "0003_reference", "fnv1a64:268d01c9bd34f9e3"),
        (
            4,
            "0004_places_follow_households",
            "fnv1a64:c6ad9367fefbb833",
        ),
        (5, "0005_server_epoch", "fnv1a64:ee98875fa22a5713"),
        (6, "0006_photo_refs", "fnv1a64:b6619fab7f010bde"),
        (7, "0007_photo_refs_off_push", "fnv1a64:6a2501d6b88fe35b"),
    ];

    #[test]
    fn landed_migrations_are_never_edited() {
        assert_eq!(migrate::check_list(MIGRATIONS, LANDED), Ok(()));
    }

    /// What the runner before `schema_migrations` did: each migration in its own transaction,
    /// counted in `user_version`.
    fn migrate_by_user_version(conn: &mut Connection) {
        for m in MIGRATIONS {
            let tx = conn.transaction().expect("tx");
            tx.execute_batch(m.sql).expect("migration");
            tx.pragma_update(None, "user_version", m.version)
                .expect("user_version");
            tx.commit().expect("commit");
        }
    }

    /// Every table, index and trigger, by name, with its SQL.
    fn schema_of(conn: &Connection) -> Vec<(String, Option<String>)> {
        let mut st = conn
            .prepare(
                "SELECT name, sql FROM sqlite_master
                 WHERE name NOT LIKE 'sqlite_%' AND name != 'schema_migrations' ORDER BY name",
            )
            .expect("prepare");
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    }

    fn user_version(conn: &Connection) -> u32 {
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("user_version")
    }

    /// A small county as one device's operations.
    fn some_ops() -> PushRequest {
        PushRequest::new(DEMO_DEVICE, demo_ops(5))
    }

    #[test]
    fn the_runner_makes_the_schema_the_user_version_runner_made() {
        let mut old = Connection::open_in_memory().expect("open");
        migrate_by_user_version(&mut old);
        let mut new = Connection::open_in_memory().expect("open");
        assert_eq!(migrate(&mut new).expect("migrate"), current_version());
        assert_eq!(schema_of(&old), schema_of(&new));
        assert_eq!(user_version(&new), current_version());
        assert_eq!(version(&old).expect("version"), current_version());
        assert_eq!(version(&new).expect("version"), current_version());
    }

    #[test]
    fn a_database_counted_in_user_version_is_adopted_without_loss() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("server.db");
        migrate_by_user_version(&mut Connection::open(&db).expect("open"));
        let storage = SqliteStorage::open(&db).expect("adopt");
        let resp = storage
            .push(some_ops(), &crate::Actor::local(1_714_521_600_000))
            .expect("push");
        assert!(resp.results.iter().all(|r| r.status == OpStatus::Accepted));
        let states = storage.entity_states().expect("states");
        let feed = storage
            .pull(&crate::PullQuery::new(0, 10_000, 1))
            .expect("pull")
            .entries;
        let epoch = storage.epoch().expect("epoch");
        drop(storage);
        // Back to what a database of the user_version runner holding these operations is.
        {
            let conn = Connection::open(&db).expect("open");
            conn.execute_batch("DROP TABLE schema_migrations")
                .expect("drop");
            assert_eq!(user_version(&conn), current_version());
        }

        let storage = SqliteStorage::open(&db).expect("adopt");
        assert_eq!(storage.entity_states().expect("states"), states);
        assert_eq!(
            storage
                .pull(&crate::PullQuery::new(0, 10_000, 1))
                .expect("pull")
                .entries,
            feed
        );
        assert_eq!(storage.epoch().expect("epoch"), epoch, "not a new database");
        assert_eq!(
            storage.health().expect("health").schema_version,
            current_version()
        );
        drop(storage);
        let conn = Connection::open(&db).expect("open");
        let recorded: Vec<(u32, String, String)> = conn
            .prepare("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        let expected: Vec<(u32, String, String)> = MIGRATIONS
            .iter()
            .map(|m| (m.version, m.name.to_owned(), migrate::checksum(m.sql)))
            .collect();
        assert_eq!(recorded, expected);
    }

    #[test]
    fn a_database_that_ran_an_edited_migration_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("server.db");
        drop(SqliteStorage::open(&db).expect("open"));
        // The migration's SQL as another build had it.
        let mut edited = MIGRATIONS.to_vec();
        edited[2].sql = "CREATE TABLE reference (id INTEGER PRIMARY KEY);";
        let mut conn = Connection::open(&db).expect("open");
        let err = migrate::apply(&mut conn, &edited).expect_err("refused");
        assert!(
            matches!(
                err,
                StoreError::Migration {
                    version: 3,
                    problem: MigrationProblem::ChecksumMismatch { .. },
                    ..
                }
            ),
            "{err}"
        );
        // And the other way round: a database that ran another text than this build's.
        conn.execute(
            "UPDATE schema_migrations SET checksum = 'fnv1a64:0123456789abcdef' WHERE version = 3",
            [],
        )
        .expect("tamper");
        drop(conn);
        let err = SqliteStorage::open(&db).expect_err("refused");
        assert!(err.to_string().contains("never be edited"), "{err}");
    }

    #[test]
    fn a_database_from_a_newer_build_is_refused() {
        let mut conn = Connection::open_in_memory().expect("open");
        migrate(&mut conn).expect("migrate");
        conn.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (?1, 'next', 'x')",
            [current_version() + 1],
        )
        .expect("insert");
        let err = migrate(&mut conn).expect_err("refused");
        assert!(err.to_string().contains("newer"), "{err}");
    }
}
