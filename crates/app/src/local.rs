//! The app's own small database `app.sqlite` beside the store: the enrolled account, the PIN's
//! hash and failure count, visit drafts, photos and sync runs. The records themselves live in the
//! store (`store.sqlite`); nothing here is synced.
//!
//! Schema versions are `PRAGMA user_version`; each step below is applied once, in one
//! transaction, and never edited after it shipped (append a new step instead).

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

/// Schema steps; step `i` brings the database to version `i + 1`.
const STEPS: &[&str] = &[
    // 1: the first schema.
    "CREATE TABLE account (
         id           INTEGER PRIMARY KEY CHECK (id = 1),
         server_url   TEXT NOT NULL,
         username     TEXT NOT NULL,
         display_name TEXT NOT NULL,
         role         TEXT NOT NULL,
         person_id    TEXT,
         device_id    TEXT NOT NULL,
         enrolled_at  TEXT NOT NULL
     );
     CREATE TABLE pin (
         id              INTEGER PRIMARY KEY CHECK (id = 1),
         hash            TEXT NOT NULL,
         failures        INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
         locked_until_ms INTEGER NOT NULL DEFAULT 0
     );
     -- One open visit draft per household; the body is the VisitDraft JSON.
     CREATE TABLE drafts (
         id            TEXT NOT NULL PRIMARY KEY,
         household_id  TEXT NOT NULL UNIQUE,
         updated_at_ms INTEGER NOT NULL,
         body          TEXT NOT NULL
     );
     -- Photo and signature files under photos/, by SHA-256. `visit_id` is set when the visit that
     -- refers to it is recorded: from then on it waits for upload until `uploaded_at_ms`.
     CREATE TABLE photos (
         sha256         TEXT NOT NULL PRIMARY KEY CHECK (length(sha256) = 64),
         kind           TEXT NOT NULL CHECK (kind IN ('photo', 'signature')),
         bytes          INTEGER NOT NULL CHECK (bytes >= 0),
         added_at_ms    INTEGER NOT NULL,
         visit_id       TEXT,
         uploaded_at_ms INTEGER
     );
     CREATE INDEX photos_waiting ON photos (visit_id) WHERE visit_id IS NOT NULL
                                                     AND uploaded_at_ms IS NULL;
     -- Every sync run's report (SyncReport JSON), newest last.
     CREATE TABLE sync_runs (
         id          INTEGER PRIMARY KEY AUTOINCREMENT,
         finished_at TEXT NOT NULL,
         ok          INTEGER NOT NULL CHECK (ok IN (0, 1)),
         body        TEXT NOT NULL
     );",
    // 2: the PIN's wait as what is left of it (served in monotonic time while the app runs),
    // not as a wall-clock deadline the user could skip by setting the phone's clock forward
    // (or make endless by setting it back). A deadline of step 1 becomes what was left of it,
    // at most an hour (the longest wait). `locked_until_ms` is no longer read.
    "ALTER TABLE pin ADD COLUMN wait_left_ms INTEGER NOT NULL DEFAULT 0 CHECK (wait_left_ms >= 0);
     UPDATE pin SET wait_left_ms = min(3600000, max(0, locked_until_ms
         - CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)));",
];

/// Opens (creating) `app.sqlite` and brings its schema up to date.
pub(crate) fn open(path: &std::path::Path) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let _mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    // FULL: a draft step the user saw saved survives a power cut, not only a killed app.
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
    migrate(&mut conn)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let version = usize::try_from(version).unwrap_or(0);
    for (i, step) in STEPS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// The enrolled account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AccountRow {
    pub server_url: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub person_id: Option<String>,
    pub device_id: String,
    pub enrolled_at: String,
}

pub(crate) fn account(conn: &Connection) -> Result<Option<AccountRow>> {
    Ok(conn
        .query_row(
            "SELECT server_url, username, display_name, role, person_id, device_id, enrolled_at
             FROM account WHERE id = 1",
            [],
            |r| {
                Ok(AccountRow {
                    server_url: r.get(0)?,
                    username: r.get(1)?,
                    display_name: r.get(2)?,
                    role: r.get(3)?,
                    person_id: r.get(4)?,
                    device_id: r.get(5)?,
                    enrolled_at: r.get(6)?,
                })
            },
        )
        .optional()?)
}

/// Stores the account and the PIN's hash together (one transaction).
pub(crate) fn put_account(conn: &mut Connection, a: &AccountRow, pin_hash: &str) -> Result<()> {
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO account (id, server_url, username, display_name, role, person_id, device_id,
                              enrolled_at)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET server_url = excluded.server_url,
             username = excluded.username, display_name = excluded.display_name,
             role = excluded.role, person_id = excluded.person_id,
             device_id = excluded.device_id, enrolled_at = excluded.enrolled_at",
        params![
            a.server_url,
            a.username,
            a.display_name,
            a.role,
            a.person_id,
            a.device_id,
            a.enrolled_at
        ],
    )?;
    put_pin_in(&tx, pin_hash)?;
    tx.commit()?;
    Ok(())
}

fn put_pin_in(conn: &Connection, hash: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO pin (id, hash, failures, locked_until_ms, wait_left_ms) VALUES (1, ?1, 0, 0, 0)
         ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, failures = 0, wait_left_ms = 0",
        [hash],
    )?;
    Ok(())
}

pub(crate) fn put_pin(conn: &Connection, hash: &str) -> Result<()> {
    put_pin_in(conn, hash)
}

/// The PIN's hash, failures so far and what is left of the wait they caused.
#[derive(Debug, Clone)]
pub(crate) struct PinRow {
    pub hash: String,
    pub failures: u32,
    pub wait_left_ms: u64,
}

pub(crate) fn pin(conn: &Connection) -> Result<Option<PinRow>> {
    Ok(conn
        .query_row(
            "SELECT hash, failures, wait_left_ms FROM pin WHERE id = 1",
            [],
            |r| {
                Ok(PinRow {
                    hash: r.get(0)?,
                    failures: r.get::<_, i64>(1)?.try_into().unwrap_or(u32::MAX),
                    wait_left_ms: r.get::<_, i64>(2)?.try_into().unwrap_or(0),
                })
            },
        )
        .optional()?)
}

pub(crate) fn set_pin_failures(conn: &Connection, failures: u32, wait_left_ms: u64) -> Result<()> {
    conn.execute(
        "UPDATE pin SET failures = ?1, wait_left_ms = ?2 WHERE id = 1",
        params![
            i64::from(failures),
            i64::try_from(wait_left_ms).unwrap_or(i64::MAX)
        ],
    )?;
    Ok(())
}

/// Records what is left of the PIN's wait.
pub(crate) fn set_pin_wait_left(conn: &Connection, wait_left_ms: u64) -> Result<()> {
    conn.execute(
        "UPDATE pin SET wait_left_ms = ?1 WHERE id = 1",
        [i64::try_from(wait_left_ms).unwrap_or(i64::MAX)],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_deadline_of_step_1_becomes_what_was_left_of_it_at_most_an_hour() {
        let mut conn = Connection::open_in_memory().expect("open");
        let tx = conn.transaction().expect("tx");
        tx.execute_batch(STEPS[0]).expect("step 1");
        tx.pragma_update(None, "user_version", 1).expect("version");
        tx.commit().expect("commit");
        // A deadline ten years ahead (a clock set back, then wrong PINs): not ten years.
        conn.execute(
            "INSERT INTO pin (id, hash, failures, locked_until_ms) VALUES (1, 'h', 9, ?1)",
            [i64::MAX / 2],
        )
        .expect("row");
        migrate(&mut conn).expect("migrate");
        let row = pin(&conn).expect("read").expect("pin");
        assert_eq!((row.failures, row.wait_left_ms), (9, 3_600_000));
        // A deadline in the past: nothing left.
        conn.execute("UPDATE pin SET locked_until_ms = 1, wait_left_ms = 0", [])
            .expect("past");
        conn.pragma_update(None, "user_version", 1).expect("back");
        conn.execute_batch("ALTER TABLE pin DROP COLUMN wait_left_ms")
            .expect("drop");
        migrate(&mut conn).expect("migrate");
        assert_eq!(pin(&conn).expect("read").expect("pin").wait_left_ms, 0);
    }
}
