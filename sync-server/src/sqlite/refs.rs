//! The records a pushed operation refers to and the one it changes, looked up in the `entities`
//! table and cached for the duration of one batch (a batch of visits names the same households and
//! cadres again and again).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::RwLock;

use bangfu_core::sync::merge::EntityState;
use bangfu_core::sync::op::{Operation, is_append_only, record_from_fields};
use bangfu_core::validate::Refs;
use bangfu_core::{Area, Household, Pairing, Person, Post, Record, Unit};
use rusqlite::{Connection, OptionalExtension};
use uuid::Uuid;

use super::codec;
use crate::error::StorageError;

/// `(entity, id)` of a record.
pub(crate) type Key = (&'static str, Uuid);

/// The merge state of a stored record, as `check_op` and the merge need it.
#[derive(Debug, Clone)]
pub(crate) enum Current {
    /// A record that can be edited: its per-field heads.
    Mutable(EntityState),
    /// An append-only record: it exists, and it can never change.
    AppendOnly,
}

/// Committed records of the editable entities (areas, people, households, pairings …), kept across
/// batches so that each batch does not read and parse the same households again. Filled by the
/// check workers (which read committed state) and, after each commit, with what the batch wrote;
/// never with anything uncommitted.
#[derive(Debug, Default)]
pub(crate) struct SharedRecords {
    map: RwLock<HashMap<Key, Record>>,
}

impl SharedRecords {
    /// Beyond this many records the cache starts over.
    const MAX: usize = 100_000;

    fn get(&self, key: &Key) -> Option<Record> {
        self.map.read().ok().and_then(|m| m.get(key).cloned())
    }

    pub(crate) fn insert(&self, key: Key, record: Record) {
        if is_append_only(key.0) {
            return;
        }
        if let Ok(mut m) = self.map.write() {
            if m.len() >= SharedRecords::MAX {
                m.clear();
            }
            m.insert(key, record);
        }
    }
}

#[derive(Debug, Default)]
struct Cache {
    /// `None`: known not to exist.
    records: HashMap<Key, Option<Record>>,
    states: HashMap<Key, Option<Current>>,
    /// Set when a lookup failed: the batch must not go on as if the record were missing.
    error: Option<StorageError>,
}

/// Lookups over the `entities` table within one batch, on the writer's connection (seeing what the
/// batch wrote) or on a read connection (the state before the batch, for prechecks).
#[derive(Debug)]
pub(crate) struct BatchRefs<'c> {
    conn: &'c Connection,
    cache: RefCell<Cache>,
    shared: Option<&'c SharedRecords>,
    /// Whether records read from the database go into `shared` (only from a read connection, which
    /// sees committed state alone).
    fill_shared: bool,
    /// When set, every key looked up is noted (see [`BatchRefs::take_touched`]).
    touched: Option<RefCell<Vec<Key>>>,
}

impl<'c> BatchRefs<'c> {
    /// The writer's lookups (they see what the batch wrote).
    pub(crate) fn new(conn: &'c Connection, shared: Option<&'c SharedRecords>) -> BatchRefs<'c> {
        BatchRefs {
            conn,
            cache: RefCell::new(Cache::default()),
            shared,
            fill_shared: false,
            touched: None,
        }
    }

    /// A check worker's lookups on a read connection, noting every key they look at.
    pub(crate) fn tracking(
        conn: &'c Connection,
        shared: Option<&'c SharedRecords>,
    ) -> BatchRefs<'c> {
        let refs = BatchRefs {
            fill_shared: true,
            touched: Some(RefCell::new(Vec::new())),
            ..BatchRefs::new(conn, shared)
        };
        // A worker looks up most of a large batch's records once each.
        refs.cache
            .borrow_mut()
            .states
            .reserve(8 * super::precheck::CHUNK);
        refs
    }

    /// The keys looked up since the last call.
    pub(crate) fn take_touched(&self) -> Vec<Key> {
        self.touched
            .as_ref()
            .map(|t| std::mem::take(&mut *t.borrow_mut()))
            .unwrap_or_default()
    }

    fn touch(&self, key: Key) {
        if let Some(t) = &self.touched {
            t.borrow_mut().push(key);
        }
    }

    /// The first lookup error of the batch, if any (then the batch is rolled back).
    pub(crate) fn take_error(&self) -> Option<StorageError> {
        self.cache.borrow_mut().error.take()
    }

    /// The current state of a record (`None` if the server does not have it).
    pub(crate) fn current(
        &self,
        entity: &'static str,
        id: Uuid,
    ) -> Result<Option<Current>, StorageError> {
        self.touch((entity, id));
        if let Some(hit) = self.cache.borrow().states.get(&(entity, id)) {
            return Ok(hit.clone());
        }
        let found = self.load_state(entity, id)?;
        self.cache
            .borrow_mut()
            .states
            .insert((entity, id), found.clone());
        Ok(found)
    }

    fn load_state(&self, entity: &'static str, id: Uuid) -> Result<Option<Current>, StorageError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT state FROM entities WHERE entity = ?1 AND entity_id = ?2")?;
        let state: Option<Option<String>> = stmt
            .query_row((entity, codec::id(&id)), |r| r.get(0))
            .optional()?;
        match state {
            None => Ok(None),
            Some(None) if is_append_only(entity) => Ok(Some(Current::AppendOnly)),
            Some(None) => Err(StorageError::Corrupt(format!(
                "{entity} {id} has no merge state"
            ))),
            Some(Some(json)) => serde_json::from_str(&json)
                .map(|s| Some(Current::Mutable(s)))
                .map_err(|e| StorageError::corrupt("entity state", e)),
        }
    }

    /// Records what the batch just wrote, so later operations of the batch see it. The record of
    /// an append-only entity is not kept (lookups only ask whether it exists).
    pub(crate) fn stored(&self, key: Key, state: Current, record: Option<Record>) {
        let mut cache = self.cache.borrow_mut();
        cache.states.insert(key, Some(state));
        match record {
            Some(r) => {
                cache.records.insert(key, Some(r));
            }
            None => {
                cache.records.remove(&key);
            }
        }
    }

    fn record(&self, entity: &'static str, id: Uuid) -> Option<Record> {
        self.touch((entity, id));
        if let Some(hit) = self.cache.borrow().records.get(&(entity, id)) {
            return hit.clone();
        }
        if let Some(hit) = self.shared.and_then(|s| s.get(&(entity, id))) {
            self.cache
                .borrow_mut()
                .records
                .insert((entity, id), Some(hit.clone()));
            return Some(hit);
        }
        match self.load_record(entity, id) {
            Ok(found) => {
                if self.fill_shared
                    && let (Some(shared), Some(record)) = (self.shared, &found)
                {
                    shared.insert((entity, id), record.clone());
                }
                self.cache
                    .borrow_mut()
                    .records
                    .insert((entity, id), found.clone());
                found
            }
            Err(e) => {
                let mut cache = self.cache.borrow_mut();
                if cache.error.is_none() {
                    cache.error = Some(e);
                }
                None
            }
        }
    }

    fn load_record(&self, entity: &'static str, id: Uuid) -> Result<Option<Record>, StorageError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT record, last_server_seq FROM entities WHERE entity = ?1 AND entity_id = ?2",
        )?;
        let found: Option<(Option<String>, i64)> = stmt
            .query_row((entity, codec::id(&id)), |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match found {
            None => Ok(None),
            Some((Some(json), _)) => serde_json::from_str(&json)
                .map(Some)
                .map_err(|e| StorageError::corrupt("entities.record", e)),
            // An append-only record: rebuilt from its creating operation.
            Some((None, server_seq)) => {
                let body: String = self
                    .conn
                    .prepare_cached("SELECT body FROM ops WHERE server_seq = ?1")?
                    .query_row([server_seq], |r| r.get(0))?;
                let op: Operation = serde_json::from_str(&body)
                    .map_err(|e| StorageError::corrupt("ops.body", e))?;
                record_from_fields(&op.entity, op.entity_id, &op.fields)
                    .map(Some)
                    .map_err(|e| StorageError::corrupt("ops.body", e))
            }
        }
    }

    fn exists_uncached(&self, entity: &'static str, id: Uuid) -> Result<bool, StorageError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM entities WHERE entity = ?1 AND entity_id = ?2")?;
        Ok(stmt.exists((entity, codec::id(&id)))?)
    }
}

impl Refs for BatchRefs<'_> {
    fn area(&self, id: Uuid) -> Option<Area> {
        match self.record("area", id) {
            Some(Record::Area(r)) => Some(r),
            _ => None,
        }
    }
    fn unit(&self, id: Uuid) -> Option<Unit> {
        match self.record("unit", id) {
            Some(Record::Unit(r)) => Some(r),
            _ => None,
        }
    }
    fn post(&self, id: Uuid) -> Option<Post> {
        match self.record("post", id) {
            Some(Record::Post(r)) => Some(r),
            _ => None,
        }
    }
    fn person(&self, id: Uuid) -> Option<Person> {
        match self.record("person", id) {
            Some(Record::Person(r)) => Some(r),
            _ => None,
        }
    }
    fn household(&self, id: Uuid) -> Option<Household> {
        match self.record("household", id) {
            Some(Record::Household(r)) => Some(r),
            _ => None,
        }
    }
    fn pairing(&self, id: Uuid) -> Option<Pairing> {
        match self.record("pairing", id) {
            Some(Record::Pairing(r)) => Some(r),
            _ => None,
        }
    }
    fn exists(&self, entity: &'static str, id: Uuid) -> bool {
        self.touch((entity, id));
        {
            let cache = self.cache.borrow();
            if let Some(hit) = cache.records.get(&(entity, id)) {
                return hit.is_some();
            }
            if let Some(hit) = cache.states.get(&(entity, id)) {
                return hit.is_some();
            }
        }
        match self.exists_uncached(entity, id) {
            Ok(found) => {
                if !found {
                    self.cache.borrow_mut().records.insert((entity, id), None);
                }
                found
            }
            Err(e) => {
                let mut cache = self.cache.borrow_mut();
                if cache.error.is_none() {
                    cache.error = Some(e);
                }
                false
            }
        }
    }
}
