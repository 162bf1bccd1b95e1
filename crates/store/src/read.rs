//! Reading: the whole dataset, single records and the app's lists, with the decoders of
//! [`crate::decode`].

use std::collections::HashMap;

use bangfu_core::{
    Area, ConsumptionPurchase, Contact, Dataset, Evaluation, Household, IncomeRecord,
    LedgerSubmission, Measure, Member, MonitoringLine, Pairing, Person, Plan, Post, PurchaseEvent,
    Record, Settings, SignReplacement, Unit, Visit,
};
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Params, Row};
use uuid::Uuid;

use crate::codec::{Cols, date_text};
use crate::decode::*;
use crate::error::StoreError;
use crate::schema::{self, Table, table_of};

type Result<T> = std::result::Result<T, StoreError>;

/// The dataset header and settings, if a dataset was saved.
pub(crate) fn settings(conn: &Connection) -> Result<Option<(String, u32, Settings)>> {
    let decode = |row: &Row<'_>| -> Result<(String, u32, Settings)> {
        let c = Cols::new(row, "settings");
        Ok((
            c.text(1, "format")?,
            c.u32(2, "version")?,
            Settings {
                tracking_start: c.date(3, "tracking_start")?,
                income_drop_percent: c.u32(4, "income_drop_percent")?,
                rigid_expense_jump_percent: c.u32(5, "rigid_expense_jump_percent")?,
                rigid_expense_jump_min_fen: c.i64(6, "rigid_expense_jump_min_fen")?,
                r6_pairing_due_working_days: c.u32(7, "r6_pairing_due_working_days")?,
                province_code: c.text(8, "province_code")?,
            },
        ))
    };
    let sql = schema::SETTINGS.select_sql("WHERE id = 1");
    Ok(query(conn, &sql, [], decode)?.into_iter().next())
}

/// Runs `sql` and decodes every row.
fn query<T, P: Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    decode: impl Fn(&Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut st = conn.prepare_cached(sql)?;
    let mut rows = st.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(decode(row)?);
    }
    Ok(out)
}

/// Every row of `table` in insertion order.
fn all<T>(
    conn: &Connection,
    table: &Table,
    decode: impl Fn(&Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    // Sized up front: growing a vector of 200,000 visits by doubling copies it again and again.
    let count: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM {}", table.name))?
        .query_row([], |r| r.get(0))?;
    let mut out = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    let mut st = conn.prepare_cached(&table.select_sql("ORDER BY rowid"))?;
    let mut rows = st.query([])?;
    while let Some(row) = rows.next()? {
        out.push(decode(row)?);
    }
    Ok(out)
}

/// Puts child rows (grouped by parent, in `pos` order) into their parents' lists.
fn attach<P, C>(
    parents: &mut [P],
    children: Vec<(Uuid, C)>,
    key: impl Fn(&P) -> Uuid,
    list: impl Fn(&mut P) -> &mut Vec<C>,
    entity: &'static str,
) -> Result<()> {
    let index: HashMap<Uuid, usize> = parents
        .iter()
        .enumerate()
        .map(|(i, p)| (key(p), i))
        .collect();
    let mut last: Option<(Uuid, usize)> = None;
    for (parent_id, child) in children {
        let i = match last {
            Some((id, i)) if id == parent_id => i,
            _ => *index.get(&parent_id).ok_or(StoreError::Corrupt {
                entity,
                id: Some(parent_id),
                field: "id",
                problem: "a list entry of a record that does not exist".to_owned(),
            })?,
        };
        last = Some((parent_id, i));
        if let Some(p) = parents.get_mut(i) {
            list(p).push(child);
        }
    }
    Ok(())
}

/// Child rows of a table, grouped by parent and in list order.
fn all_children<C>(
    conn: &Connection,
    table: &Table,
    decode: impl Fn(&Row<'_>) -> Result<(Uuid, C)>,
) -> Result<Vec<(Uuid, C)>> {
    let order = format!("ORDER BY {}, pos", table.cols[0]);
    query(conn, &table.select_sql(&order), [], decode)
}

/// The child rows of one parent, in list order.
fn children_of<C>(
    conn: &Connection,
    table: &Table,
    parent: Uuid,
    decode: impl Fn(&Row<'_>) -> Result<(Uuid, C)>,
) -> Result<Vec<C>> {
    let tail = format!("WHERE {} = ?1 ORDER BY pos", table.cols[0]);
    let rows = query(conn, &table.select_sql(&tail), [parent.as_bytes()], decode)?;
    Ok(rows.into_iter().map(|(_, c)| c).collect())
}

pub(crate) fn load_dataset(conn: &Connection) -> Result<Dataset> {
    // One read transaction: a consistent snapshot even while another connection writes.
    if !conn.is_autocommit() {
        // The caller already holds a transaction, hence a snapshot.
        return load_dataset_in_snapshot(conn);
    }
    conn.execute_batch("BEGIN")?;
    let result = load_dataset_in_snapshot(conn);
    conn.execute_batch("COMMIT")?;
    result
}

fn load_dataset_in_snapshot(conn: &Connection) -> Result<Dataset> {
    let (format, version, settings) = settings(conn)?.ok_or(StoreError::NotFound {
        entity: "settings",
        id: None,
    })?;
    let mut people = all(conn, &schema::PEOPLE, person)?;
    let grants = all_children(conn, &schema::ROLE_GRANTS, role_grant)?;
    attach(&mut people, grants, |p| p.id, |p| &mut p.roles, "person")?;
    let mut households = all(conn, &schema::HOUSEHOLDS, household)?;
    let classes = all_children(conn, &schema::HOUSEHOLD_CLASSES, class_period)?;
    attach(
        &mut households,
        classes,
        |h| h.id,
        |h| &mut h.class_history,
        "household",
    )?;
    let mut income_records = all(conn, &schema::INCOME_RECORDS, income_record)?;
    let items = all_children(conn, &schema::INCOME_ITEMS, income_item)?;
    attach(
        &mut income_records,
        items,
        |r| r.id,
        |r| &mut r.items,
        "income_record",
    )?;
    Ok(Dataset {
        format,
        version,
        settings,
        areas: all(conn, &schema::AREAS, area)?,
        units: all(conn, &schema::UNITS, unit)?,
        posts: all(conn, &schema::POSTS, post)?,
        people,
        households,
        members: all(conn, &schema::MEMBERS, member)?,
        pairings: all(conn, &schema::PAIRINGS, pairing)?,
        visits: all(conn, &schema::VISITS, visit)?,
        contacts: all(conn, &schema::CONTACTS, contact)?,
        income_records,
        evaluations: all(conn, &schema::EVALUATIONS, evaluation)?,
        measures: all(conn, &schema::MEASURES, measure)?,
        plans: all(conn, &schema::PLANS, plan)?,
        consumption_purchases: all(conn, &schema::CONSUMPTION_PURCHASES, consumption_purchase)?,
        purchase_events: all(conn, &schema::PURCHASE_EVENTS, purchase_event)?,
        sign_replacements: all(conn, &schema::SIGN_REPLACEMENTS, sign_replacement)?,
        ledger_submissions: all(conn, &schema::LEDGER_SUBMISSIONS, ledger_submission)?,
        monitoring_lines: all(conn, &schema::MONITORING_LINES, monitoring_line)?,
    })
}

/// The rows of `table` matching `tail` (a WHERE … ORDER BY … clause).
fn select<T, P: Params>(
    conn: &Connection,
    table: &Table,
    tail: &str,
    params: P,
    decode: impl Fn(&Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    query(conn, &table.select_sql(tail), params, decode)
}

fn get_one<T>(
    conn: &Connection,
    table: &Table,
    id: Uuid,
    decode: impl Fn(&Row<'_>) -> Result<T>,
) -> Result<Option<T>> {
    Ok(
        select(conn, table, "WHERE id = ?1", [id.as_bytes()], decode)?
            .into_iter()
            .next(),
    )
}

pub(crate) fn exists(conn: &Connection, entity: &str, id: Uuid) -> Result<bool> {
    let table = table_of(entity).ok_or_else(|| StoreError::UnknownEntity(entity.to_owned()))?;
    let sql = format!("SELECT 1 FROM {} WHERE id = ?1", table.name);
    let mut st = conn.prepare_cached(&sql)?;
    Ok(st
        .query_row([id.as_bytes()], |_| Ok(()))
        .optional()?
        .is_some())
}

pub(crate) fn get_area(conn: &Connection, id: Uuid) -> Result<Option<Area>> {
    get_one(conn, &schema::AREAS, id, area)
}

pub(crate) fn get_unit(conn: &Connection, id: Uuid) -> Result<Option<Unit>> {
    get_one(conn, &schema::UNITS, id, unit)
}

pub(crate) fn get_post(conn: &Connection, id: Uuid) -> Result<Option<Post>> {
    get_one(conn, &schema::POSTS, id, post)
}

fn with_roles(conn: &Connection, mut p: Person) -> Result<Person> {
    p.roles = children_of(conn, &schema::ROLE_GRANTS, p.id, role_grant)?;
    Ok(p)
}

fn with_classes(conn: &Connection, mut h: Household) -> Result<Household> {
    h.class_history = children_of(conn, &schema::HOUSEHOLD_CLASSES, h.id, class_period)?;
    Ok(h)
}

fn with_items(conn: &Connection, mut r: IncomeRecord) -> Result<IncomeRecord> {
    r.items = children_of(conn, &schema::INCOME_ITEMS, r.id, income_item)?;
    Ok(r)
}

pub(crate) fn get_person(conn: &Connection, id: Uuid) -> Result<Option<Person>> {
    get_one(conn, &schema::PEOPLE, id, person)?
        .map(|p| with_roles(conn, p))
        .transpose()
}

pub(crate) fn get_household(conn: &Connection, id: Uuid) -> Result<Option<Household>> {
    get_one(conn, &schema::HOUSEHOLDS, id, household)?
        .map(|h| with_classes(conn, h))
        .transpose()
}

pub(crate) fn get_member(conn: &Connection, id: Uuid) -> Result<Option<Member>> {
    get_one(conn, &schema::MEMBERS, id, member)
}

pub(crate) fn get_pairing(conn: &Connection, id: Uuid) -> Result<Option<Pairing>> {
    get_one(conn, &schema::PAIRINGS, id, pairing)
}

pub(crate) fn get_visit(conn: &Connection, id: Uuid) -> Result<Option<Visit>> {
    get_one(conn, &schema::VISITS, id, visit)
}

pub(crate) fn get_contact(conn: &Connection, id: Uuid) -> Result<Option<Contact>> {
    get_one(conn, &schema::CONTACTS, id, contact)
}

pub(crate) fn get_income_record(conn: &Connection, id: Uuid) -> Result<Option<IncomeRecord>> {
    get_one(conn, &schema::INCOME_RECORDS, id, income_record)?
        .map(|r| with_items(conn, r))
        .transpose()
}

pub(crate) fn get_evaluation(conn: &Connection, id: Uuid) -> Result<Option<Evaluation>> {
    get_one(conn, &schema::EVALUATIONS, id, evaluation)
}

pub(crate) fn get_measure(conn: &Connection, id: Uuid) -> Result<Option<Measure>> {
    get_one(conn, &schema::MEASURES, id, measure)
}

pub(crate) fn get_plan(conn: &Connection, id: Uuid) -> Result<Option<Plan>> {
    get_one(conn, &schema::PLANS, id, plan)
}

pub(crate) fn get_consumption_purchase(
    conn: &Connection,
    id: Uuid,
) -> Result<Option<ConsumptionPurchase>> {
    get_one(
        conn,
        &schema::CONSUMPTION_PURCHASES,
        id,
        consumption_purchase,
    )
}

pub(crate) fn get_purchase_event(conn: &Connection, id: Uuid) -> Result<Option<PurchaseEvent>> {
    get_one(conn, &schema::PURCHASE_EVENTS, id, purchase_event)
}

pub(crate) fn get_sign_replacement(conn: &Connection, id: Uuid) -> Result<Option<SignReplacement>> {
    get_one(conn, &schema::SIGN_REPLACEMENTS, id, sign_replacement)
}

pub(crate) fn get_ledger_submission(
    conn: &Connection,
    id: Uuid,
) -> Result<Option<LedgerSubmission>> {
    get_one(conn, &schema::LEDGER_SUBMISSIONS, id, ledger_submission)
}

pub(crate) fn get_record(conn: &Connection, entity: &str, id: Uuid) -> Result<Option<Record>> {
    Ok(match entity {
        "area" => get_area(conn, id)?.map(Record::Area),
        "unit" => get_unit(conn, id)?.map(Record::Unit),
        "post" => get_post(conn, id)?.map(Record::Post),
        "person" => get_person(conn, id)?.map(Record::Person),
        "household" => get_household(conn, id)?.map(Record::Household),
        "member" => get_member(conn, id)?.map(Record::Member),
        "pairing" => get_pairing(conn, id)?.map(Record::Pairing),
        "visit" => get_visit(conn, id)?.map(Record::Visit),
        "contact" => get_contact(conn, id)?.map(Record::Contact),
        "income_record" => get_income_record(conn, id)?.map(Record::IncomeRecord),
        "evaluation" => get_evaluation(conn, id)?.map(Record::Evaluation),
        "measure" => get_measure(conn, id)?.map(Record::Measure),
        "plan" => get_plan(conn, id)?.map(Record::Plan),
        "consumption_purchase" => {
            get_consumption_purchase(conn, id)?.map(Record::ConsumptionPurchase)
        }
        "purchase_event" => get_purchase_event(conn, id)?.map(Record::PurchaseEvent),
        "sign_replacement" => get_sign_replacement(conn, id)?.map(Record::SignReplacement),
        "ledger_submission" => get_ledger_submission(conn, id)?.map(Record::LedgerSubmission),
        other => return Err(StoreError::UnknownEntity(other.to_owned())),
    })
}

pub(crate) fn households_in_village(
    conn: &Connection,
    village_id: Uuid,
    limit: u32,
    offset: u32,
) -> Result<Vec<Household>> {
    let page = select(
        conn,
        &schema::HOUSEHOLDS,
        "WHERE village_id = ?1 ORDER BY rowid LIMIT ?2 OFFSET ?3",
        rusqlite::params![village_id.as_bytes(), limit, offset],
        household,
    )?;
    page.into_iter().map(|h| with_classes(conn, h)).collect()
}

pub(crate) fn count_households_in_village(conn: &Connection, village_id: Uuid) -> Result<u64> {
    let mut st = conn.prepare_cached("SELECT count(*) FROM households WHERE village_id = ?1")?;
    let n: i64 = st.query_row([village_id.as_bytes()], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(crate) fn members_of_household(conn: &Connection, household_id: Uuid) -> Result<Vec<Member>> {
    let tail = "WHERE household_id = ?1 ORDER BY rowid";
    select(
        conn,
        &schema::MEMBERS,
        tail,
        [household_id.as_bytes()],
        member,
    )
}

pub(crate) fn visits_of_household(conn: &Connection, household_id: Uuid) -> Result<Vec<Visit>> {
    let tail = "WHERE household_id = ?1 ORDER BY visited_day, rowid";
    select(
        conn,
        &schema::VISITS,
        tail,
        [household_id.as_bytes()],
        visit,
    )
}

pub(crate) fn visits_by_visitor(
    conn: &Connection,
    visitor_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Visit>> {
    let tail =
        "WHERE visitor_id = ?1 AND visited_day BETWEEN ?2 AND ?3 ORDER BY visited_day, rowid";
    let params = rusqlite::params![visitor_id.as_bytes(), date_text(from), date_text(to)];
    select(conn, &schema::VISITS, tail, params, visit)
}

pub(crate) fn contacts_of_household(conn: &Connection, household_id: Uuid) -> Result<Vec<Contact>> {
    let tail = "WHERE household_id = ?1 ORDER BY at_day, rowid";
    select(
        conn,
        &schema::CONTACTS,
        tail,
        [household_id.as_bytes()],
        contact,
    )
}

pub(crate) fn income_records_of_household(
    conn: &Connection,
    household_id: Uuid,
) -> Result<Vec<IncomeRecord>> {
    let tail = "WHERE household_id = ?1 ORDER BY period, rowid";
    let records = select(
        conn,
        &schema::INCOME_RECORDS,
        tail,
        [household_id.as_bytes()],
        income_record,
    )?;
    records.into_iter().map(|r| with_items(conn, r)).collect()
}

pub(crate) fn evaluations_of_household(
    conn: &Connection,
    household_id: Uuid,
) -> Result<Vec<Evaluation>> {
    let tail = "WHERE household_id = ?1 ORDER BY period, rowid";
    select(
        conn,
        &schema::EVALUATIONS,
        tail,
        [household_id.as_bytes()],
        evaluation,
    )
}

pub(crate) fn pairings_of_cadre(conn: &Connection, cadre_id: Uuid) -> Result<Vec<Pairing>> {
    let tail = "WHERE cadre_id = ?1 ORDER BY rowid";
    select(
        conn,
        &schema::PAIRINGS,
        tail,
        [cadre_id.as_bytes()],
        pairing,
    )
}

pub(crate) fn active_pairings_of_cadre(
    conn: &Connection,
    cadre_id: Uuid,
    day: NaiveDate,
) -> Result<Vec<Pairing>> {
    let tail = "WHERE cadre_id = ?1 AND start_day <= ?2 AND (end_day IS NULL OR end_day >= ?2) \
                ORDER BY rowid";
    let params = rusqlite::params![cadre_id.as_bytes(), date_text(day)];
    select(conn, &schema::PAIRINGS, tail, params, pairing)
}

pub(crate) fn pairings_of_household(conn: &Connection, household_id: Uuid) -> Result<Vec<Pairing>> {
    let tail = "WHERE household_id = ?1 ORDER BY rowid";
    select(
        conn,
        &schema::PAIRINGS,
        tail,
        [household_id.as_bytes()],
        pairing,
    )
}

pub(crate) fn sign_replacements_of_pairing(
    conn: &Connection,
    pairing_id: Uuid,
) -> Result<Vec<SignReplacement>> {
    let tail = "WHERE pairing_id = ?1 ORDER BY rowid";
    select(
        conn,
        &schema::SIGN_REPLACEMENTS,
        tail,
        [pairing_id.as_bytes()],
        sign_replacement,
    )
}

pub(crate) fn people_of_unit(conn: &Connection, unit_id: Uuid) -> Result<Vec<Person>> {
    let tail = "WHERE unit_id = ?1 ORDER BY rowid";
    let people = select(conn, &schema::PEOPLE, tail, [unit_id.as_bytes()], person)?;
    people.into_iter().map(|p| with_roles(conn, p)).collect()
}

pub(crate) fn measures_of_household(conn: &Connection, household_id: Uuid) -> Result<Vec<Measure>> {
    let tail = "WHERE household_id = ?1 ORDER BY started_on, rowid";
    select(
        conn,
        &schema::MEASURES,
        tail,
        [household_id.as_bytes()],
        measure,
    )
}

pub(crate) fn monitoring_lines(conn: &Connection) -> Result<Vec<MonitoringLine>> {
    all(conn, &schema::MONITORING_LINES, monitoring_line)
}
