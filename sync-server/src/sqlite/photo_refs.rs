//! Which records name which photo, and which device uploaded which (tables `photo_refs` and
//! `photo_uploads`, migration 6 of issue 11): what the photo routes' access check reads
//! (`crate::photos`). The pairs are written from the accepted operations before an access check
//! ([`catch_up`], migration 7), not in the push; migration 6 back-filled the operations stored
//! before it.

use rusqlite::{Connection, params};
use uuid::Uuid;

use super::codec::{self, u64_to_sql};
use super::{SqliteStorage, lock};
use crate::error::StorageError;
use crate::photos::{PhotoRefStorage, PhotoRefs};

/// The fields that name photos by SHA-256, by entity: a hash (`signature`) or an array of hashes
/// (`photos`). The migration's back-fill reads the same fields. A test checks that no other
/// field of any record kind holds a hash.
pub(crate) const PHOTO_FIELDS: &[(&str, &str)] = &[("visit", "photos"), ("visit", "signature")];

/// Brings `photo_refs` up to date with the operations accepted since the last time, in one
/// transaction of `conn` (the writer). Run before a photo's access is checked, not in the push:
/// inserting each pushed hash at its random place of the index, batch by batch, made a bulk push
/// rewrite most of the index at every commit.
pub(super) fn catch_up(conn: &mut Connection) -> Result<(), StorageError> {
    let (through, newest): (i64, i64) = conn.query_row(
        "SELECT (SELECT through_seq FROM photo_refs_state WHERE id = 1),
                (SELECT COALESCE(MAX(server_seq), 0) FROM ops)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if newest <= through {
        return Ok(());
    }
    let tx = conn.transaction()?;
    {
        // A field holds a hash or an array of hashes: `json_each` yields the one or the many.
        let mut st = tx.prepare_cached(
            "INSERT OR IGNORE INTO photo_refs (sha, entity, entity_id)
             SELECT p.value, o.entity, o.entity_id
             FROM ops o, json_each(o.body, '$.fields.' || ?4) p
             WHERE o.server_seq > ?1 AND o.server_seq <= ?2 AND o.entity = ?3
               AND p.type = 'text'
             ORDER BY p.value",
        )?;
        for (entity, field) in PHOTO_FIELDS {
            st.execute(params![through, newest, entity, field])?;
        }
    }
    tx.execute(
        "UPDATE photo_refs_state SET through_seq = ?1 WHERE id = 1",
        [newest],
    )?;
    tx.commit()?;
    Ok(())
}

impl PhotoRefStorage for SqliteStorage {
    fn photo_refs(&self, device: Uuid, shas: &[&str]) -> Result<Vec<PhotoRefs>, StorageError> {
        catch_up(&mut *lock(&self.writer)?)?;
        self.read(|c| {
            let mut paths = c.prepare_cached(
                "SELECT e.scope_path FROM photo_refs r
                 JOIN entities e ON e.entity = r.entity AND e.entity_id = r.entity_id
                 WHERE r.sha = ?1",
            )?;
            let mut uploaded =
                c.prepare_cached("SELECT 1 FROM photo_uploads WHERE sha = ?1 AND device = ?2")?;
            let mut out = Vec::with_capacity(shas.len());
            for sha in shas {
                let record_paths = paths
                    .query_map([sha], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                let uploaded_by_device = uploaded.exists(params![sha, codec::id(&device)])?;
                out.push(PhotoRefs {
                    record_paths,
                    uploaded_by_device,
                });
            }
            Ok(out)
        })
    }

    fn note_photo_upload(&self, sha: &str, device: Uuid, now_ms: u64) -> Result<(), StorageError> {
        let conn = lock(&self.writer)?;
        conn.prepare_cached(
            "INSERT INTO photo_uploads (sha, device, at_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (sha, device) DO NOTHING",
        )?
        .execute(params![sha, codec::id(&device), u64_to_sql(now_ms)])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use bangfu_core::sync::op::Operation;
    use bangfu_core::sync::wire::{OpStatus, PushRequest};
    use bangfu_demo::demo_images;
    use serde_json::Value;

    use super::*;
    use crate::SyncStorage;
    use crate::sqlite::demo_ops::{self, DEMO_DEVICE};
    use crate::sqlite::schema;

    fn is_hash(s: &str) -> bool {
        s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }

    /// Every `(entity, top-level field)` of `ops` holding a hash anywhere in its value.
    fn fields_holding_hashes(ops: &[Operation]) -> BTreeSet<(String, String)> {
        fn holds(v: &Value) -> bool {
            match v {
                Value::String(s) => is_hash(s),
                Value::Array(a) => a.iter().any(holds),
                Value::Object(o) => o.values().any(holds),
                _ => false,
            }
        }
        ops.iter()
            .flat_map(|op| {
                op.fields
                    .iter()
                    .filter(|(_, v)| holds(v))
                    .map(|(f, _)| (op.entity.clone(), f.clone()))
            })
            .collect()
    }

    /// The demo county as one device's operations (every record kind, visits with photos and
    /// signatures).
    fn demo_ops() -> (Uuid, Vec<Operation>) {
        (DEMO_DEVICE, demo_ops::demo_ops(40))
    }

    fn push_all(storage: &SqliteStorage, device: Uuid, ops: Vec<Operation>) {
        let resp = storage
            .push(
                PushRequest::new(device, ops),
                &crate::Actor::local(1_714_521_600_000),
            )
            .expect("push");
        assert!(
            resp.results.iter().all(|r| r.status == OpStatus::Accepted),
            "{:?}",
            resp.results.iter().find(|r| r.status != OpStatus::Accepted)
        );
    }

    /// What the table says of every demo image: the paths of the records naming it.
    fn demo_image_refs(storage: &SqliteStorage) -> Vec<Vec<String>> {
        let shas: Vec<&str> = demo_images().iter().map(|i| i.sha256.as_str()).collect();
        storage
            .photo_refs(Uuid::nil(), &shas)
            .expect("refs")
            .into_iter()
            .map(|r| {
                let mut p = r.record_paths;
                p.sort();
                p
            })
            .collect()
    }

    #[test]
    fn every_field_that_names_a_photo_is_known() {
        let (_, ops) = demo_ops();
        let known: BTreeSet<(String, String)> = PHOTO_FIELDS
            .iter()
            .map(|(e, f)| ((*e).to_owned(), (*f).to_owned()))
            .collect();
        assert_eq!(fields_holding_hashes(&ops), known);
    }

    #[test]
    fn accepted_operations_note_the_photos_they_name_and_the_migration_back_fills_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("server.db");
        let (device, ops) = demo_ops();
        let visits = ops.iter().filter(|o| o.entity == "visit").count();
        assert!(visits > 0);
        let storage = SqliteStorage::open(&db).expect("open");
        push_all(&storage, device, ops);
        let noted = demo_image_refs(&storage);
        assert!(
            noted.iter().all(|paths| !paths.is_empty()),
            "every demo image is named by a visit: {noted:?}"
        );
        assert!(
            storage
                .photo_refs(Uuid::nil(), &[&"0".repeat(64)])
                .expect("refs")[0]
                .record_paths
                .is_empty()
        );
        storage
            .note_photo_upload(&"0".repeat(64), device, 1)
            .expect("note");
        storage
            .note_photo_upload(&"0".repeat(64), device, 2)
            .expect("again");
        let refs = storage
            .photo_refs(device, &[&"0".repeat(64)])
            .expect("refs");
        assert!(refs[0].uploaded_by_device);
        drop(storage);

        // A database from before the migration: the tables are filled from the stored operations.
        {
            let conn = Connection::open(&db).expect("open");
            // (Run again from the photo migration: the migrations after it, if any, must bear it.)
            let photo_migration = schema::MIGRATIONS
                .iter()
                .find(|m| m.sql.contains("CREATE TABLE photo_refs"))
                .expect("the photo migration")
                .version;
            conn.execute_batch(&format!(
                "DROP TABLE photo_refs; DROP TABLE photo_uploads;
                 DELETE FROM schema_migrations WHERE version >= {photo_migration};"
            ))
            .expect("downgrade");
        }
        let storage = SqliteStorage::open(&db).expect("migrate");
        assert_eq!(demo_image_refs(&storage), noted);
    }
}
