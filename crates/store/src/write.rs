//! Writing: whole datasets (everything deleted, then inserted with one prepared statement per
//! table) and single records (inserted, or upserted in place), inside the caller's transaction.

use bangfu_core::{Dataset, Record};
use rusqlite::{CachedStatement, Connection, Statement, params};
use uuid::Uuid;

use crate::codec::date_text;
use crate::error::{StoreError, write_error};
use crate::put::*;
use crate::schema::{self, ALL_TABLES, Table};

type Result<T> = std::result::Result<T, StoreError>;

/// Inserts every item of `items` with one prepared statement.
fn insert_all<T>(
    conn: &Connection,
    table: &Table,
    items: &[T],
    put: impl Fn(&mut Statement<'_>, &T) -> Result<()>,
) -> Result<()> {
    let mut st = conn.prepare(&table.insert_sql())?;
    for item in items {
        put(&mut st, item)?;
    }
    Ok(())
}

/// Inserts items whose child rows go to a second table.
fn insert_all_with_children<T>(
    conn: &Connection,
    table: &Table,
    children: &Table,
    items: &[T],
    put: impl Fn(&mut Statement<'_>, &mut Statement<'_>, &T) -> Result<()>,
) -> Result<()> {
    let mut st = conn.prepare(&table.insert_sql())?;
    let mut child = conn.prepare(&children.insert_sql())?;
    for item in items {
        put(&mut st, &mut child, item)?;
    }
    Ok(())
}

/// Replaces the settings and the monitoring lines, keeping every record (inside the caller's
/// transaction): the county's reference data as a sync server hands it to a device.
pub(crate) fn replace_reference(
    conn: &Connection,
    settings: &bangfu_core::Settings,
    lines: &[bangfu_core::MonitoringLine],
) -> Result<()> {
    conn.execute("DELETE FROM settings", [])?;
    conn.execute("DELETE FROM monitoring_lines", [])?;
    write_settings(
        conn,
        bangfu_core::DATASET_FORMAT,
        bangfu_core::DATASET_VERSION,
        settings,
    )?;
    insert_all(conn, &schema::MONITORING_LINES, lines, put_monitoring_line)
}

fn write_settings(
    conn: &Connection,
    format: &str,
    version: u32,
    s: &bangfu_core::Settings,
) -> Result<()> {
    conn.execute(
        &schema::SETTINGS.insert_sql(),
        params![
            1,
            format,
            version,
            date_text(s.tracking_start),
            s.income_drop_percent,
            s.rigid_expense_jump_percent,
            s.rigid_expense_jump_min_fen,
            s.r6_pairing_due_working_days,
            s.province_code
        ],
    )
    .map_err(|e| write_error(e, "settings", None))?;
    Ok(())
}

/// Deletes everything and writes `ds` (inside the caller's transaction).
pub(crate) fn replace_dataset(conn: &Connection, ds: &Dataset) -> Result<()> {
    for table in ALL_TABLES.iter().rev() {
        conn.execute(&format!("DELETE FROM {}", table.name), [])?;
    }
    write_settings(conn, &ds.format, ds.version, &ds.settings)?;
    insert_all(conn, &schema::AREAS, &ds.areas, put_area)?;
    insert_all(conn, &schema::UNITS, &ds.units, put_unit)?;
    insert_all(conn, &schema::POSTS, &ds.posts, put_post)?;
    insert_all_with_children(
        conn,
        &schema::PEOPLE,
        &schema::ROLE_GRANTS,
        &ds.people,
        put_person,
    )?;
    insert_all_with_children(
        conn,
        &schema::HOUSEHOLDS,
        &schema::HOUSEHOLD_CLASSES,
        &ds.households,
        put_household,
    )?;
    insert_all(conn, &schema::MEMBERS, &ds.members, put_member)?;
    insert_all(conn, &schema::PAIRINGS, &ds.pairings, put_pairing)?;
    insert_all(conn, &schema::VISITS, &ds.visits, put_visit)?;
    insert_all(conn, &schema::CONTACTS, &ds.contacts, put_contact)?;
    insert_all_with_children(
        conn,
        &schema::INCOME_RECORDS,
        &schema::INCOME_ITEMS,
        &ds.income_records,
        put_income_record,
    )?;
    insert_all(conn, &schema::EVALUATIONS, &ds.evaluations, put_evaluation)?;
    insert_all(conn, &schema::PLANS, &ds.plans, put_plan)?;
    insert_all(conn, &schema::MEASURES, &ds.measures, put_measure)?;
    insert_all(
        conn,
        &schema::CONSUMPTION_PURCHASES,
        &ds.consumption_purchases,
        put_consumption_purchase,
    )?;
    insert_all(
        conn,
        &schema::PURCHASE_EVENTS,
        &ds.purchase_events,
        put_purchase_event,
    )?;
    insert_all(
        conn,
        &schema::SIGN_REPLACEMENTS,
        &ds.sign_replacements,
        put_sign_replacement,
    )?;
    insert_all(
        conn,
        &schema::LEDGER_SUBMISSIONS,
        &ds.ledger_submissions,
        put_ledger_submission,
    )?;
    insert_all(
        conn,
        &schema::MONITORING_LINES,
        &ds.monitoring_lines,
        put_monitoring_line,
    )?;
    Ok(())
}

/// The statement that writes one record: INSERT for append-only entities (an existing id then
/// fails), an upsert that keeps the row's place for the others.
fn stmt<'c>(conn: &'c Connection, table: &Table, append_only: bool) -> Result<CachedStatement<'c>> {
    Ok(conn.prepare_cached(table.write_sql(append_only))?)
}

/// Replaces the child rows of a record: deletes the old ones, returns the insert statement.
fn children<'c>(conn: &'c Connection, table: &Table, parent: &Uuid) -> Result<CachedStatement<'c>> {
    conn.prepare_cached(&format!(
        "DELETE FROM {} WHERE {} = ?1",
        table.name, table.cols[0]
    ))?
    .execute([b(parent)])?;
    Ok(conn.prepare_cached(table.write_sql(true))?)
}

/// Writes one record (inside the caller's transaction, after validation).
pub(crate) fn put_record(conn: &Connection, record: &Record) -> Result<()> {
    write_record(conn, record, record.is_append_only())
}

/// Inserts or replaces one record whatever its entity: the sync's materialization of merge
/// winners (an append-only record may already be there, e.g. from an imported dataset).
pub(crate) fn upsert_record(conn: &Connection, record: &Record) -> Result<()> {
    write_record(conn, record, false)
}

/// Writes one record with a plain INSERT (`insert_only`) or an upsert.
pub(crate) fn write_record(conn: &Connection, record: &Record, insert_only: bool) -> Result<()> {
    let ao = insert_only;
    match record {
        Record::Area(r) => put_area(&mut *stmt(conn, &schema::AREAS, ao)?, r),
        Record::Unit(r) => put_unit(&mut *stmt(conn, &schema::UNITS, ao)?, r),
        Record::Post(r) => put_post(&mut *stmt(conn, &schema::POSTS, ao)?, r),
        Record::Person(r) => put_person(
            &mut *stmt(conn, &schema::PEOPLE, ao)?,
            &mut *children(conn, &schema::ROLE_GRANTS, &r.id)?,
            r,
        ),
        Record::Household(r) => put_household(
            &mut *stmt(conn, &schema::HOUSEHOLDS, ao)?,
            &mut *children(conn, &schema::HOUSEHOLD_CLASSES, &r.id)?,
            r,
        ),
        Record::Member(r) => put_member(&mut *stmt(conn, &schema::MEMBERS, ao)?, r),
        Record::Pairing(r) => put_pairing(&mut *stmt(conn, &schema::PAIRINGS, ao)?, r),
        Record::Visit(r) => put_visit(&mut *stmt(conn, &schema::VISITS, ao)?, r),
        Record::Contact(r) => put_contact(&mut *stmt(conn, &schema::CONTACTS, ao)?, r),
        Record::IncomeRecord(r) => put_income_record(
            &mut *stmt(conn, &schema::INCOME_RECORDS, ao)?,
            &mut *children(conn, &schema::INCOME_ITEMS, &r.id)?,
            r,
        ),
        Record::Evaluation(r) => put_evaluation(&mut *stmt(conn, &schema::EVALUATIONS, ao)?, r),
        Record::Measure(r) => put_measure(&mut *stmt(conn, &schema::MEASURES, ao)?, r),
        Record::Plan(r) => put_plan(&mut *stmt(conn, &schema::PLANS, ao)?, r),
        Record::ConsumptionPurchase(r) => {
            put_consumption_purchase(&mut *stmt(conn, &schema::CONSUMPTION_PURCHASES, ao)?, r)
        }
        Record::PurchaseEvent(r) => {
            put_purchase_event(&mut *stmt(conn, &schema::PURCHASE_EVENTS, ao)?, r)
        }
        Record::SignReplacement(r) => {
            put_sign_replacement(&mut *stmt(conn, &schema::SIGN_REPLACEMENTS, ao)?, r)
        }
        Record::LedgerSubmission(r) => {
            put_ledger_submission(&mut *stmt(conn, &schema::LEDGER_SUBMISSIONS, ao)?, r)
        }
    }
}
