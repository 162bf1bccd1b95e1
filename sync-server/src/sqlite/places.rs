//! [`Places`] over the push's write transaction: where stored records lie, for the authorization
//! of each pushed operation (`crate::authz`). Household and area paths are cached for the batch
//! (a batch of visits names the same households again and again) and updated as the batch writes.

use std::cell::RefCell;
use std::collections::HashMap;

use rusqlite::{OptionalExtension, Transaction};
use uuid::Uuid;

use super::codec;
use crate::authz::{Places, author_field};
use crate::error::StorageError;

#[derive(Debug, Default)]
struct Cache {
    households: HashMap<Uuid, Option<String>>,
    areas: HashMap<Uuid, Option<String>>,
    county: Option<Option<String>>,
}

/// Lookups in one write transaction.
pub(super) struct TxPlaces<'t> {
    tx: &'t Transaction<'t>,
    cache: RefCell<Cache>,
}

impl<'t> TxPlaces<'t> {
    pub(super) fn new(tx: &'t Transaction<'t>) -> TxPlaces<'t> {
        TxPlaces {
            tx,
            cache: RefCell::default(),
        }
    }

    /// Notes a path the batch just wrote for `entity` `id`.
    pub(super) fn wrote(&self, entity: &str, id: Uuid, path: &str) {
        let mut c = self.cache.borrow_mut();
        match entity {
            "household" => {
                c.households.insert(id, Some(path.to_owned()));
            }
            "area" => {
                c.areas.insert(id, Some(path.to_owned()));
                c.county = None;
            }
            _ => {}
        }
    }

    fn path_of(&self, entity: &str, id: Uuid) -> Result<Option<String>, StorageError> {
        Ok(self
            .tx
            .prepare_cached("SELECT scope_path FROM entities WHERE entity = ?1 AND entity_id = ?2")?
            .query_row((entity, codec::id(&id)), |r| r.get(0))
            .optional()?)
    }

    /// Re-files every record of a moved household under its new path; notes the move.
    pub(super) fn moved(
        &self,
        household: Uuid,
        old: &str,
        new: &str,
        server_seq: i64,
    ) -> Result<(), StorageError> {
        self.tx
            .prepare_cached(
                "UPDATE entities SET scope_path = ?2
                 WHERE scope_path = ?1 AND entity NOT IN ('household', 'area')",
            )?
            .execute((old, new))?;
        self.tx
            .prepare_cached(
                "INSERT INTO household_moves (server_seq, household, old_path, new_path)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute((server_seq, codec::id(&household), old, new))?;
        Ok(())
    }
}

impl Places for TxPlaces<'_> {
    fn household_path(&self, id: Uuid) -> Result<Option<String>, StorageError> {
        if let Some(p) = self.cache.borrow().households.get(&id) {
            return Ok(p.clone());
        }
        let p = self.path_of("household", id)?;
        self.cache.borrow_mut().households.insert(id, p.clone());
        Ok(p)
    }

    fn area_path(&self, id: Uuid) -> Result<Option<String>, StorageError> {
        if let Some(p) = self.cache.borrow().areas.get(&id) {
            return Ok(p.clone());
        }
        let p = self.path_of("area", id)?;
        self.cache.borrow_mut().areas.insert(id, p.clone());
        Ok(p)
    }

    fn county_path(&self) -> Result<Option<String>, StorageError> {
        if let Some(p) = &self.cache.borrow().county {
            return Ok(p.clone());
        }
        let p: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT scope_path FROM entities WHERE entity = 'area'
                   AND json_extract(record, '$.record.parent_id') IS NULL
                 ORDER BY id LIMIT 1",
            )?
            .query_row([], |r| r.get(0))
            .optional()?;
        self.cache.borrow_mut().county = Some(p.clone());
        Ok(p)
    }

    fn kinds_of(&self, id: Uuid) -> Result<Vec<String>, StorageError> {
        let mut st = self
            .tx
            .prepare_cached("SELECT entity FROM entities WHERE entity_id = ?1")?;
        let rows = st.query_map([codec::id(&id)], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn household_of(&self, entity: &str, id: Uuid) -> Result<Option<Uuid>, StorageError> {
        let found: Option<Option<Vec<u8>>> = self
            .tx
            .prepare_cached(
                "SELECT o.household FROM entities e JOIN ops o ON o.server_seq = e.last_server_seq
                 WHERE e.entity = ?1 AND e.entity_id = ?2",
            )?
            .query_row((entity, codec::id(&id)), |r| r.get(0))
            .optional()?;
        match found.flatten() {
            Some(bytes) => Uuid::from_slice(&bytes)
                .map(Some)
                .map_err(|e| StorageError::corrupt("ops.household", e)),
            None => Ok(None),
        }
    }

    fn author_of(&self, entity: &str, id: Uuid) -> Result<Option<Uuid>, StorageError> {
        let Some(field) = author_field(entity) else {
            return Ok(None);
        };
        // An append-only record is its creating operation (`last_server_seq`), which carries
        // every field.
        let found: Option<Option<String>> = self
            .tx
            .prepare_cached(
                "SELECT json_extract(o.body, '$.fields.' || ?3)
                 FROM entities e JOIN ops o ON o.server_seq = e.last_server_seq
                 WHERE e.entity = ?1 AND e.entity_id = ?2",
            )?
            .query_row((entity, codec::id(&id), field), |r| r.get(0))
            .optional()?;
        match found.flatten() {
            Some(text) => text
                .parse()
                .map(Some)
                .map_err(|e| StorageError::corrupt("ops.body author", e)),
            None => Ok(None),
        }
    }
}
