//! bangfu-store: SQLite persistence of bangfu's records.
//!
//! One table per entity with real columns (see `migrations/0001_initial.sql` for the encodings),
//! migrations recorded with checksums ([`migrate`]), whole datasets and single records saved in
//! one transaction each, after validation by `bangfu_core::validate`.
//!
//! Order: [`Store::load_dataset`] returns every list in insertion order (SQLite rowid order). A
//! dataset saved with [`Store::save_dataset`] therefore loads back equal to what was saved, lists
//! and all; a record first saved with [`Store::save_record`] comes after everything already there,
//! and re-saving (upserting) a record keeps its place.
//!
//! Architecture invariant: a write either commits whole or leaves the store as it was — every
//! write runs in one transaction, and any error (validation, a constraint, I/O) rolls it back.
//!
//! Sync (migration 0002, module `sync`): on a device that syncs, every change goes through
//! [`Store::record_change`], which writes the change and its operation in one transaction;
//! pulled operations go through [`bangfu_core::sync::DeviceStore::apply_pulled`].
//! [`Store::save_record`] and [`Store::save_dataset`] write the typed tables only (imports,
//! tests, the server's own tables): what they write is not synced.

pub mod checkpoint;
mod codec;
mod decode;
mod error;
pub mod local;
pub mod migrate;
mod put;
pub mod query;
mod read;
mod refs;
mod schema;
mod sync;
mod write;

use std::path::Path;
use std::time::Duration;

use bangfu_core::validate::{validate_dataset, validate_record};
use bangfu_core::{
    Area, ConsumptionPurchase, Contact, Dataset, Evaluation, Household, IncomeRecord,
    LedgerSubmission, Measure, Member, Pairing, Person, Plan, Post, PurchaseEvent, Record,
    Settings, SignReplacement, Unit, Visit,
};
use chrono::NaiveDate;
use rusqlite::Connection;
use uuid::Uuid;

pub use error::{MigrationProblem, StoreError};
pub use local::LocalDb;
pub use query::{HouseholdIdPage, HouseholdListQuery, HouseholdScope};
pub use refs::StoreRefs;
pub use sync::{Conflict, RejectedOp};

/// How long a write waits for another connection's lock before failing with `database_busy`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The store: one SQLite connection with the schema migrated to this build's version.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    /// This installation's id for sync (the `device` row, cached: it changes only through
    /// [`Store::init_device`]).
    device_id: Uuid,
    /// A seq up to which this device is known to hold all its own operations (they are never
    /// deleted, so it only grows): `own_ops_held_through` counts only above it.
    own_held: std::cell::Cell<u64>,
    /// Background WAL checkpoints (file stores). Last: dropped after the connection closes.
    checkpointer: Option<checkpoint::Checkpointer>,
}

impl Store {
    /// Opens (creating if needed) the database file at `path`, in WAL mode, and migrates it.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref();
        let conn = Connection::open(path)?;
        let mut store = Store::init(conn, true)?;
        store.checkpointer = checkpoint::Checkpointer::start(path, checkpoint::DEVICE_QUIET).ok();
        if store.checkpointer.is_some() {
            store
                .conn
                .pragma_update(None, "wal_autocheckpoint", checkpoint::FALLBACK_PAGES)?;
            store
                .conn
                .pragma_update(None, "journal_size_limit", checkpoint::WAL_SIZE_LIMIT)?;
        }
        Ok(store)
    }

    /// A private in-memory database (tests, imports, the CLI).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()?;
        Store::init(conn, false)
    }

    fn init(mut conn: Connection, file: bool) -> Result<Store, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        if file {
            // WAL: readers never block the writer and a crash mid-write leaves the last commit.
            let _mode: String =
                conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        }
        // FULL: every commit is in the WAL on disk when it returns, so a change the user saw
        // saved survives a power cut (NORMAL may lose the last commits, never half of one).
        // Only pulled pages commit at NORMAL (see `relaxed_sync`): they are pulled again.
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             PRAGMA synchronous = FULL;
             PRAGMA cache_size = -16000;",
        )?;
        conn.set_prepared_statement_cache_capacity(64);
        let applied = migrate::migrate(&mut conn)?;
        if applied.contains(&3) {
            // Merge states were keyed by id alone until 0003: split what was folded together.
            sync::apply::split_shared_ids(&conn)?;
        }
        let device_id = sync::device::ensure(&conn)?;
        Ok(Store {
            conn,
            device_id,
            own_held: std::cell::Cell::new(0),
            checkpointer: None,
        })
    }

    /// Copies the whole WAL into the database file now and empties it (`wal_checkpoint(TRUNCATE)`;
    /// nothing to do for an in-memory store). For a quiet moment: it waits for readers.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Asks the background checkpointer (file stores) to copy the WAL into the database file.
    pub(crate) fn nudge_checkpoint(&self) {
        if let Some(c) = &self.checkpointer {
            c.nudge();
        }
    }

    /// The connection itself, for tests that look into or break the database and for
    /// diagnostics; not part of the store's API (hidden from its documentation): code that reads
    /// records uses the typed queries. Never write through it: the store's methods validate and
    /// keep each write in one transaction.
    #[doc(hidden)]
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The record look-ups the validator needs, backed by this store.
    pub fn refs(&self) -> StoreRefs<'_> {
        StoreRefs::new(&self.conn)
    }

    /// Replaces the whole content of the store with `dataset`, after
    /// [`validate_dataset`]; one transaction: on any error the store keeps what it had.
    pub fn save_dataset(&mut self, dataset: &Dataset) -> Result<(), StoreError> {
        validate_dataset(dataset).map_err(StoreError::Invalid)?;
        self.write_dataset_unvalidated(dataset)
    }

    /// Writes without validating (the schema's constraints still apply). For tests of the
    /// store's own safety net only.
    pub(crate) fn write_dataset_unvalidated(
        &mut self,
        dataset: &Dataset,
    ) -> Result<(), StoreError> {
        write_transaction(&self.conn, |conn| write::replace_dataset(conn, dataset))
    }

    /// Everything in the store, every list in insertion order. [`StoreError::NotFound`] (entity
    /// `settings`) when no dataset was ever saved.
    pub fn load_dataset(&self) -> Result<Dataset, StoreError> {
        read::load_dataset(&self.conn)
    }

    /// Replaces the settings and the monitoring lines and keeps every record, in one
    /// transaction: the county's reference data as the sync server hands it to a device
    /// (`GET /v1/reference`). Nothing is changed if any line is refused.
    pub fn set_reference(
        &mut self,
        settings: &Settings,
        lines: &[bangfu_core::MonitoringLine],
    ) -> Result<(), StoreError> {
        write_transaction(&self.conn, |conn| {
            write::replace_reference(conn, settings, lines)
        })
    }

    /// The dataset settings, if a dataset was saved.
    pub fn settings(&self) -> Result<Option<Settings>, StoreError> {
        Ok(read::settings(&self.conn)?.map(|(_, _, s)| s))
    }

    /// Saves one record after [`validate_record`] against the store's content, in one transaction.
    /// Append-only entities (visits, contacts, income records, evaluations) are only inserted: an
    /// existing id is refused with [`StoreError::AppendOnly`]. Others are inserted or replaced.
    pub fn save_record(&mut self, record: &Record) -> Result<(), StoreError> {
        write_transaction(&self.conn, |conn| {
            let (entity, id) = (record.entity(), record.id());
            if record.is_append_only() && read::exists(conn, entity, id)? {
                return Err(StoreError::AppendOnly { entity, id });
            }
            let refs = StoreRefs::new(conn);
            let verdict = validate_record(record, &refs);
            refs.into_result()?;
            verdict.map_err(StoreError::Invalid)?;
            write::put_record(conn, record)
        })
    }

    /// Saves one record without validating (the schema's constraints still apply). Tests only.
    #[cfg(test)]
    pub(crate) fn write_record_unvalidated(&mut self, record: &Record) -> Result<(), StoreError> {
        write_transaction(&self.conn, |conn| write::put_record(conn, record))
    }

    /// The record of `entity` (as [`Record::entity`] names it) with `id`.
    pub fn get_record(&self, entity: &str, id: Uuid) -> Result<Option<Record>, StoreError> {
        read::get_record(&self.conn, entity, id)
    }

    /// Whether a record of `entity` with `id` is stored.
    pub fn exists(&self, entity: &str, id: Uuid) -> Result<bool, StoreError> {
        read::exists(&self.conn, entity, id)
    }
}

/// Typed getters: `Ok(None)` when the record is not stored.
impl Store {
    pub fn get_area(&self, id: Uuid) -> Result<Option<Area>, StoreError> {
        read::get_area(&self.conn, id)
    }
    pub fn get_unit(&self, id: Uuid) -> Result<Option<Unit>, StoreError> {
        read::get_unit(&self.conn, id)
    }
    pub fn get_post(&self, id: Uuid) -> Result<Option<Post>, StoreError> {
        read::get_post(&self.conn, id)
    }
    pub fn get_person(&self, id: Uuid) -> Result<Option<Person>, StoreError> {
        read::get_person(&self.conn, id)
    }
    pub fn get_household(&self, id: Uuid) -> Result<Option<Household>, StoreError> {
        read::get_household(&self.conn, id)
    }
    pub fn get_member(&self, id: Uuid) -> Result<Option<Member>, StoreError> {
        read::get_member(&self.conn, id)
    }
    pub fn get_pairing(&self, id: Uuid) -> Result<Option<Pairing>, StoreError> {
        read::get_pairing(&self.conn, id)
    }
    pub fn get_visit(&self, id: Uuid) -> Result<Option<Visit>, StoreError> {
        read::get_visit(&self.conn, id)
    }
    pub fn get_contact(&self, id: Uuid) -> Result<Option<Contact>, StoreError> {
        read::get_contact(&self.conn, id)
    }
    pub fn get_income_record(&self, id: Uuid) -> Result<Option<IncomeRecord>, StoreError> {
        read::get_income_record(&self.conn, id)
    }
    pub fn get_evaluation(&self, id: Uuid) -> Result<Option<Evaluation>, StoreError> {
        read::get_evaluation(&self.conn, id)
    }
    pub fn get_measure(&self, id: Uuid) -> Result<Option<Measure>, StoreError> {
        read::get_measure(&self.conn, id)
    }
    pub fn get_plan(&self, id: Uuid) -> Result<Option<Plan>, StoreError> {
        read::get_plan(&self.conn, id)
    }
    pub fn get_consumption_purchase(
        &self,
        id: Uuid,
    ) -> Result<Option<ConsumptionPurchase>, StoreError> {
        read::get_consumption_purchase(&self.conn, id)
    }
    pub fn get_purchase_event(&self, id: Uuid) -> Result<Option<PurchaseEvent>, StoreError> {
        read::get_purchase_event(&self.conn, id)
    }
    pub fn get_sign_replacement(&self, id: Uuid) -> Result<Option<SignReplacement>, StoreError> {
        read::get_sign_replacement(&self.conn, id)
    }
    pub fn get_ledger_submission(&self, id: Uuid) -> Result<Option<LedgerSubmission>, StoreError> {
        read::get_ledger_submission(&self.conn, id)
    }
}

/// The lists the app's screens need.
impl Store {
    /// Households of a village, a page at a time, in insertion order.
    pub fn households_in_village(
        &self,
        village_id: Uuid,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Household>, StoreError> {
        read::households_in_village(&self.conn, village_id, limit, offset)
    }

    /// How many households a village has (for paging).
    pub fn count_households_in_village(&self, village_id: Uuid) -> Result<u64, StoreError> {
        read::count_households_in_village(&self.conn, village_id)
    }

    /// Members of a household, in insertion order.
    pub fn members_of_household(&self, household_id: Uuid) -> Result<Vec<Member>, StoreError> {
        read::members_of_household(&self.conn, household_id)
    }

    /// Every visit of a household, corrections included, by local day, then insertion order.
    pub fn visits_of_household(&self, household_id: Uuid) -> Result<Vec<Visit>, StoreError> {
        read::visits_of_household(&self.conn, household_id)
    }

    /// Visits made by one person on local days `from..=to`, by day, then insertion order.
    pub fn visits_by_visitor(
        &self,
        visitor_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Visit>, StoreError> {
        read::visits_by_visitor(&self.conn, visitor_id, from, to)
    }

    /// Contacts with a household, by local day, then insertion order.
    pub fn contacts_of_household(&self, household_id: Uuid) -> Result<Vec<Contact>, StoreError> {
        read::contacts_of_household(&self.conn, household_id)
    }

    /// Income records of a household, by period, then insertion order.
    pub fn income_records_of_household(
        &self,
        household_id: Uuid,
    ) -> Result<Vec<IncomeRecord>, StoreError> {
        read::income_records_of_household(&self.conn, household_id)
    }

    /// Evaluations of a household, by period, then insertion order.
    pub fn evaluations_of_household(
        &self,
        household_id: Uuid,
    ) -> Result<Vec<Evaluation>, StoreError> {
        read::evaluations_of_household(&self.conn, household_id)
    }

    /// Every pairing of a cadre, past and present, in insertion order.
    pub fn pairings_of_cadre(&self, cadre_id: Uuid) -> Result<Vec<Pairing>, StoreError> {
        read::pairings_of_cadre(&self.conn, cadre_id)
    }

    /// The cadre's pairings active on `day` (started, not ended before it), in insertion order.
    pub fn active_pairings_of_cadre(
        &self,
        cadre_id: Uuid,
        day: NaiveDate,
    ) -> Result<Vec<Pairing>, StoreError> {
        read::active_pairings_of_cadre(&self.conn, cadre_id, day)
    }

    /// Every pairing of a household, in insertion order.
    pub fn pairings_of_household(&self, household_id: Uuid) -> Result<Vec<Pairing>, StoreError> {
        read::pairings_of_household(&self.conn, household_id)
    }

    /// Contact-sign replacements recorded for a pairing, in insertion order.
    pub fn sign_replacements_of_pairing(
        &self,
        pairing_id: Uuid,
    ) -> Result<Vec<SignReplacement>, StoreError> {
        read::sign_replacements_of_pairing(&self.conn, pairing_id)
    }

    /// People of a unit, in insertion order.
    pub fn people_of_unit(&self, unit_id: Uuid) -> Result<Vec<Person>, StoreError> {
        read::people_of_unit(&self.conn, unit_id)
    }
}

/// Runs `work` (one or more transactions) at `PRAGMA synchronous = NORMAL`, then back at FULL:
/// for commits that a power cut may take back without losing anything a user saved — a pulled
/// page, whose cursor moves in the same transaction, is pulled again. A later FULL commit syncs
/// the whole WAL, these commits included. Never for a local change.
fn relaxed_sync<T>(
    conn: &Connection,
    work: impl FnOnce() -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.execute_batch("PRAGMA synchronous = NORMAL")?;
    let out = work();
    let restored = conn.execute_batch("PRAGMA synchronous = FULL");
    let out = out?;
    restored?;
    Ok(out)
}

/// Runs `work` in one IMMEDIATE transaction and commits it; on any error (of `work` or of the
/// commit, e.g. a deferred foreign key) rolls everything back.
fn write_transaction<T>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let _guard = RollbackUnlessCommitted(conn);
    let out = work(conn)?;
    if let Err(e) = conn.execute_batch("COMMIT") {
        // Still inside the transaction: find out which row broke a foreign key, then roll back.
        return Err(schema::explain_commit_failure(conn, e));
    }
    Ok(out)
}

/// Rolls back the open transaction when dropped before a successful COMMIT (an error or a panic).
struct RollbackUnlessCommitted<'c>(&'c Connection);

impl Drop for RollbackUnlessCommitted<'_> {
    fn drop(&mut self) {
        if !self.0.is_autocommit() {
            // Nothing more can be done if the rollback itself fails: SQLite rolls back a
            // transaction left open when the connection closes.
            let _ = self.0.execute_batch("ROLLBACK");
        }
    }
}

#[cfg(test)]
mod tests;
