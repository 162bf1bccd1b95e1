//! Schema migrations: an ordered list of SQL texts, each applied once in its own transaction and
//! recorded in `schema_migrations` with a checksum of its text.
//!
//! [`apply`] is the one migration runner of bangfu's SQLite files: the store's database (this
//! crate's [`MIGRATIONS`]), the app's local tables and the server's database each pass their own
//! list. A database made before its list was run here, which counted its migrations only in
//! `PRAGMA user_version`, is adopted: its first `user_version` migrations are recorded as applied.
//! After every run `user_version` is the highest applied version, so an older build that still
//! reads `user_version` refuses a database from a newer one.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::error::{MigrationProblem, StoreError};

/// One schema migration.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// 1, 2, 3 … in order, without gaps.
    pub version: u32,
    /// The file's name without `.sql`.
    pub name: &'static str,
    pub sql: &'static str,
}

/// The migrations of the store, in the order they apply.
///
/// APPEND-ONLY: once a migration has landed on main, never edit, reorder or remove it — devices
/// in the field have applied it, and a database whose recorded checksum differs from the build's
/// refuses to open. To change the schema, add `migrations/000N_what.sql` at the end of this list
/// (and its checksum to the `LANDED` list of the tests).
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_initial",
        sql: include_str!("../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "0002_sync",
        sql: include_str!("../migrations/0002_sync.sql"),
    },
    Migration {
        version: 3,
        name: "0003_states_by_kind",
        sql: include_str!("../migrations/0003_states_by_kind.sql"),
    },
    Migration {
        version: 4,
        name: "0004_server_epoch",
        sql: include_str!("../migrations/0004_server_epoch.sql"),
    },
    Migration {
        version: 5,
        name: "0005_visit_correction_reason",
        sql: include_str!("../migrations/0005_visit_correction_reason.sql"),
    },
];

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
)";

/// The checksum recorded for a migration: 64-bit FNV-1a of its text with line endings normalised
/// to `\n` (so a checkout that turns them into `\r\n` does not count as an edit).
pub fn checksum(sql: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let bytes = sql.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            continue;
        }
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv1a64:{hash:016x}")
}

/// Checks a list of migrations against the ones that landed, given as `(version, name,
/// checksum)`: none removed, renamed or edited, and the list numbered 1, 2, 3 … with names that
/// start with the zero-padded version (`0003_…`). Each list's tests call it with their own
/// `LANDED` table (the store's, `app.sqlite`'s, the server's); the error says what to do.
pub fn check_list(migrations: &[Migration], landed: &[(u32, &str, &str)]) -> Result<(), String> {
    for (i, m) in migrations.iter().enumerate() {
        if m.version as usize != i + 1 || !m.name.starts_with(&format!("{:04}_", m.version)) {
            return Err(format!(
                "migration {} is number {} of the list: number migrations 1, 2, 3 … in order, \
                 named NNNN_what",
                m.name,
                i + 1
            ));
        }
    }
    for (version, name, sum) in landed {
        let Some(m) = migrations.iter().find(|m| m.version == *version) else {
            return Err(format!(
                "landed migration {version} ({name}) was removed: put it back"
            ));
        };
        if m.name != *name {
            return Err(format!(
                "landed migration {version} was renamed from {name} to {}: rename it back",
                m.name
            ));
        }
        let now = checksum(m.sql);
        if now != *sum {
            return Err(format!(
                "landed migration {name} was edited (checksum {now}, landed {sum}): revert the \
                 edit and add a new migration"
            ));
        }
    }
    Ok(())
}

/// The SQL of every migration, concatenated (for tests that inspect the schema).
#[cfg(test)]
pub(crate) fn all_sql() -> String {
    MIGRATIONS.iter().map(|m| m.sql).collect()
}

/// Checks the migrations recorded in the database against this build's, then applies the missing
/// ones, each in its own transaction. Returns the versions this call applied.
pub(crate) fn migrate(conn: &mut Connection) -> Result<Vec<u32>, StoreError> {
    apply(conn, MIGRATIONS)
}

///
/// `migrations` must be numbered 1, 2, 3 … in order. Each one runs in its own `IMMEDIATE`
/// transaction with its `schema_migrations` row: a failing migration leaves nothing of itself
/// behind ([`MigrationProblem::Failed`]). A recorded migration this build does not know
/// ([`MigrationProblem::UnknownToThisBuild`]) or whose text differs
/// ([`MigrationProblem::ChecksumMismatch`]) refuses the whole database before anything is applied.
pub fn apply(conn: &mut Connection, migrations: &[Migration]) -> Result<Vec<u32>, StoreError> {
    adopt_user_version(conn, migrations)?;
    let applied = check_applied(conn, migrations)?;
    let now_applied = apply_missing(conn, migrations, &applied)?;
    if let Some(top) = migrations.iter().map(|m| m.version).max() {
        let have: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if have < top {
            conn.pragma_update(None, "user_version", top)?;
        }
    }
    Ok(now_applied)
}

/// A database without `schema_migrations` whose `user_version` is N > 0 ran its first N
/// migrations under the earlier runner: records them (with this build's checksums, the only ones
/// there are) in one transaction. A `user_version` beyond this build's list is refused.
fn adopt_user_version(conn: &mut Connection, migrations: &[Migration]) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let has_table: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')",
        [],
        |r| r.get(0),
    )?;
    let legacy: u32 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    tx.execute_batch(CREATE_TABLE)?;
    if !has_table && legacy > 0 {
        for v in 1..=legacy {
            let Some(m) = migrations.iter().find(|m| m.version == v) else {
                return Err(StoreError::Migration {
                    version: v,
                    name: format!("user_version {legacy}"),
                    problem: MigrationProblem::UnknownToThisBuild,
                });
            };
            tx.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (?1, ?2, ?3)",
                rusqlite::params![m.version, m.name, checksum(m.sql)],
            )?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// The recorded migrations, each checked against this build's list.
fn check_applied(
    conn: &Connection,
    migrations: &[Migration],
) -> Result<Vec<(u32, String, String)>, StoreError> {
    let applied: Vec<(u32, String, String)> = {
        let mut stmt =
            conn.prepare("SELECT version, name, checksum FROM schema_migrations ORDER BY version")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?
    };
    for (version, name, recorded) in &applied {
        let Some(m) = migrations.iter().find(|m| m.version == *version) else {
            return Err(StoreError::Migration {
                version: *version,
                name: name.clone(),
                problem: MigrationProblem::UnknownToThisBuild,
            });
        };
        let expected = checksum(m.sql);
        if *recorded != expected {
            return Err(StoreError::Migration {
                version: *version,
                name: name.clone(),
                problem: MigrationProblem::ChecksumMismatch {
                    recorded: recorded.clone(),
                    expected,
                },
            });
        }
    }
    Ok(applied)
}

/// Applies the migrations not yet recorded, in order, each in its own transaction.
fn apply_missing(
    conn: &mut Connection,
    migrations: &[Migration],
    applied: &[(u32, String, String)],
) -> Result<Vec<u32>, StoreError> {
    let mut now_applied = Vec::new();
    for m in migrations {
        if applied.iter().any(|(v, _, _)| *v == m.version) {
            continue;
        }
        let failed = |e: rusqlite::Error| StoreError::Migration {
            version: m.version,
            name: m.name.to_owned(),
            problem: MigrationProblem::Failed(e.to_string()),
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::Sqlite)?;
        // Another connection may have applied it while we waited for the write lock.
        let done: Option<u32> = tx
            .query_row(
                "SELECT version FROM schema_migrations WHERE version = ?1",
                [m.version],
                |r| r.get(0),
            )
            .optional()?;
        if done.is_some() {
            continue;
        }
        tx.execute_batch(m.sql).map_err(failed)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (?1, ?2, ?3)",
            rusqlite::params![m.version, m.name, checksum(m.sql)],
        )
        .map_err(failed)?;
        tx.commit().map_err(failed)?;
        now_applied.push(m.version);
    }
    Ok(now_applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checksum of every landed migration. A failure here means a landed migration was
    /// edited: revert the edit and add a new migration instead.
    const LANDED: &[(u32, &str, &str)] = &[
        (1, "0001_initial", "fnv1a64:0f0b0585f15b2ae4"),
        (2, "0002_sync", "fnv1a64:488afcc49e363402"),
        (3, "0003_states_by_kind", "fnv1a64:f2ffc3907a271855"),
        (4, "0004_server_epoch", "fnv1a64:da6e97ee5332af21"),
        (
            5,
            "0005_visit_correction_reason",
            "fnv1a64:10860bd1dd0fa90f",
        ),
    ];

    #[test]
    fn landed_migrations_are_never_edited() {
        assert_eq!(check_list(MIGRATIONS, LANDED), Ok(()));
    }

    #[test]
    fn check_list_names_a_removed_renamed_or_edited_migration() {
        let mut edited = MIGRATIONS.to_vec();
        edited[1].sql = "CREATE TABLE x (a);";
        let err = check_list(&edited, LANDED).expect_err("edited");
        assert!(err.contains("0002_sync was edited"), "{err}");
        let mut renamed = MIGRATIONS.to_vec();
        renamed[0].name = "0001_other";
        let err = check_list(&renamed, LANDED).expect_err("renamed");
        assert!(err.contains("renamed from 0001_initial"), "{err}");
        let err = check_list(&MIGRATIONS[..2], LANDED).expect_err("removed");
        assert!(
            err.contains("landed migration 3 (0003_states_by_kind) was removed"),
            "{err}"
        );
        let mut gap = MIGRATIONS.to_vec();
        gap.remove(1);
        let err = check_list(&gap, &[]).expect_err("gap");
        assert!(err.contains("number 2 of the list"), "{err}");
    }

    #[test]
    fn checksum_ignores_crlf_but_not_edits() {
        let a = "CREATE TABLE t (x);\nCREATE INDEX i ON t (x);\n";
        assert_eq!(checksum(a), checksum(&a.replace('\n', "\r\n")));
        assert_ne!(checksum(a), checksum(&a.replace("(x)", "(y)")));
    }

    #[test]
    fn a_failing_migration_leaves_nothing_behind() {
        let mut conn = Connection::open_in_memory().expect("open");
        let bad = [
            Migration {
                version: 1,
                name: "0001_ok",
                sql: "CREATE TABLE a (x);",
            },
            Migration {
                version: 2,
                name: "0002_bad",
                sql: "CREATE TABLE b (x); INSERT INTO nowhere VALUES (1);",
            },
        ];
        let err = apply(&mut conn, &bad).expect_err("must fail");
        assert_eq!(err.code(), "migration_failed");
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name IN ('a', 'b')",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(tables, 1, "0001 stays applied, nothing of 0002 remains");
        let versions: i64 = conn
            .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
            .expect("count");
        assert_eq!(versions, 1);
    }

    const TWO: [Migration; 2] = [
        Migration {
            version: 1,
            name: "0001_a",
            sql: "CREATE TABLE a (x);",
        },
        Migration {
            version: 2,
            name: "0002_b",
            sql: "CREATE TABLE b (x);",
        },
    ];

    fn user_version(conn: &Connection) -> u32 {
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("user_version")
    }

    #[test]
    fn a_user_version_database_is_adopted_and_only_the_rest_applied() {
        let mut conn = Connection::open_in_memory().expect("open");
        // What the earlier runner left: migration 1 applied, counted in user_version only.
        conn.execute_batch(
            "CREATE TABLE a (x); INSERT INTO a VALUES (7); PRAGMA user_version = 1;",
        )
        .expect("legacy");
        let applied = apply(&mut conn, &TWO).expect("migrate");
        assert_eq!(applied, vec![2], "migration 1 is not run again");
        let kept: i64 = conn
            .query_row("SELECT x FROM a", [], |r| r.get(0))
            .expect("row");
        assert_eq!(kept, 7, "data of the adopted database is kept");
        assert_eq!(user_version(&conn), 2);
        assert_eq!(apply(&mut conn, &TWO).expect("again"), Vec::<u32>::new());
    }

    #[test]
    fn a_user_version_beyond_this_build_is_refused_and_nothing_recorded() {
        let mut conn = Connection::open_in_memory().expect("open");
        conn.execute_batch("PRAGMA user_version = 3;")
            .expect("legacy");
        let err = apply(&mut conn, &TWO).expect_err("newer database");
        assert!(
            matches!(
                err,
                StoreError::Migration {
                    version: 3,
                    problem: MigrationProblem::UnknownToThisBuild,
                    ..
                }
            ),
            "{err}"
        );
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name IN ('a', 'b')",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(
            tables, 0,
            "nothing applied to a database from a newer build"
        );
    }

    #[test]
    fn user_version_follows_the_applied_migrations() {
        let mut conn = Connection::open_in_memory().expect("open");
        apply(&mut conn, &TWO[..1]).expect("first");
        assert_eq!(user_version(&conn), 1);
        apply(&mut conn, &TWO).expect("second");
        assert_eq!(user_version(&conn), 2);
    }
}
