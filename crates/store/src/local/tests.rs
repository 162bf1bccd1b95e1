use rusqlite::Connection;
use uuid::Uuid;

use super::*;

/// The app's database as the app made it before [`MIGRATIONS`]: its steps, verbatim, each applied
/// in a transaction that set `user_version` to its number.
const LEGACY_STEPS: &[&str] = &[
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
    "ALTER TABLE pin ADD COLUMN wait_left_ms INTEGER NOT NULL DEFAULT 0 CHECK (wait_left_ms >= 0);
     UPDATE pin SET wait_left_ms = min(3600000, max(0, locked_until_ms
         - CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)));",
];

/// Applies the first `steps` legacy steps as the app did.
fn legacy(conn: &mut Connection, steps: usize) {
    for (i, step) in LEGACY_STEPS.iter().enumerate().take(steps) {
        let tx = conn.transaction().expect("tx");
        tx.execute_batch(step).expect("step");
        tx.pragma_update(None, "user_version", i as i64 + 1)
            .expect("version");
        tx.commit().expect("commit");
    }
}

const SHA: &str = "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12";
const SIGNATURE: &str = "cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34";

#[test]
fn an_app_database_counted_in_user_version_is_adopted_with_everything_in_it() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("app.sqlite");
    let (draft, household, visit) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
    {
        let mut conn = Connection::open(&path).expect("open");
        legacy(&mut conn, LEGACY_STEPS.len());
        conn.execute_batch(&format!(
            "INSERT INTO account (id, server_url, username, display_name, role, person_id,
                                  device_id, enrolled_at)
             VALUES (1, 'https://bangfu.example.cn', 'lisi', '李四', 'cadre', NULL,
                     '{visit}', '2026-01-02T03:04:05+08:00');
             INSERT INTO pin (id, hash, failures, locked_until_ms, wait_left_ms)
             VALUES (1, '$argon2id$x', 6, 0, 60000);
             INSERT INTO drafts (id, household_id, updated_at_ms, body)
             VALUES ('{draft}', '{household}', 7, '{{\"step\":2,\"photo\":\"{SHA}\"}}');
             INSERT INTO photos (sha256, kind, bytes, added_at_ms, visit_id)
             VALUES ('{SHA}', 'photo', 1000, 5, NULL),
                    ('{SIGNATURE}', 'signature', 20, 6, '{visit}');
             INSERT INTO sync_runs (finished_at, ok, body)
             VALUES ('2026-01-02T04:00:00+08:00', 1, '{{\"ok\":true}}');"
        ))
        .expect("rows");
    }
    let mut db = LocalDb::open(&path).expect("adopted");
    let account = db.account().expect("read").expect("account");
    assert_eq!(
        (account.username.as_str(), account.role.as_str()),
        ("lisi", "cadre")
    );
    let pin = db.pin().expect("read").expect("pin");
    assert_eq!((pin.failures, pin.wait_left_ms), (6, 60_000));
    let body = db.draft(draft).expect("read").expect("draft");
    assert!(body.contains("\"step\":2"));
    assert_eq!(db.draft_of_household(household).expect("read"), Some(body));
    assert!(db.draft_mentions(SHA).expect("mentions"));
    let waiting = db.photos_waiting().expect("waiting");
    assert_eq!(
        waiting,
        [WaitingPhoto {
            sha256: SIGNATURE.to_owned(),
            bytes: 20,
            kind: "signature".to_owned()
        }]
    );
    assert_eq!(
        db.last_success_at().expect("read").as_deref(),
        Some("2026-01-02T04:00:00+08:00")
    );
    // It goes on working: the draft is finished and its photo queued.
    db.finish_draft(draft, visit, &[SHA]).expect("finish");
    assert_eq!(db.photos_waiting().expect("waiting").len(), 2);
    assert_eq!(db.draft(draft).expect("read"), None);
    drop(db);
    // Recorded as applied, not applied again.
    let conn = Connection::open(&path).expect("open");
    let recorded: i64 = conn
        .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
        .expect("count");
    assert_eq!(recorded, 2);
    LocalDb::open(&path).expect("again");
}

#[test]
fn a_database_of_the_first_step_gets_the_second() {
    let mut conn = Connection::open_in_memory().expect("open");
    legacy(&mut conn, 1);
    // A deadline ten years ahead (a clock set back, then wrong PINs): not ten years.
    conn.execute(
        "INSERT INTO pin (id, hash, failures, locked_until_ms) VALUES (1, 'h', 9, ?1)",
        [i64::MAX / 2],
    )
    .expect("row");
    assert_eq!(
        crate::migrate::apply(&mut conn, MIGRATIONS).expect("migrate"),
        [2]
    );
    let db = LocalDb { conn };
    let row = db.pin().expect("read").expect("pin");
    assert_eq!((row.failures, row.wait_left_ms), (9, 3_600_000));
}

#[test]
fn a_pin_deadline_in_the_past_leaves_no_wait() {
    let mut conn = Connection::open_in_memory().expect("open");
    legacy(&mut conn, 1);
    conn.execute(
        "INSERT INTO pin (id, hash, failures, locked_until_ms) VALUES (1, 'h', 9, 1)",
        [],
    )
    .expect("row");
    crate::migrate::apply(&mut conn, MIGRATIONS).expect("migrate");
    let db = LocalDb { conn };
    assert_eq!(db.pin().expect("read").expect("pin").wait_left_ms, 0);
}

/// The checksum of every landed migration. A failure here means a landed migration was edited:
/// revert the edit and add a new migration instead.
#[test]
fn landed_migrations_are_never_edited() {
    const LANDED: &[(u32, &str, &str)] = &[
        (1, "0001_initial", "fnv1a64:81fd27d7356b122e"),
        (2, "0002_pin_wait_left", "fnv1a64:ccef0439a7c9c7d1"),
    ];
    assert_eq!(crate::migrate::check_list(MIGRATIONS, LANDED), Ok(()));
}
