//! The tables as the Rust code sees them: column lists shared by writing and reading (a column's
//! position in `cols` is its parameter index when writing and its column index when reading).

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension, ffi};
use uuid::Uuid;

use crate::error::StoreError;

/// A table and its columns, in the order every statement of this crate uses them.
#[derive(Debug)]
pub(crate) struct Table {
    pub name: &'static str,
    /// The entity's name as [`bangfu_core::Record::entity`] spells it (for child tables, the
    /// parent's entity).
    pub entity: &'static str,
    pub cols: &'static [&'static str],
}

impl Table {
    /// `INSERT INTO t (…) VALUES (?1, …)`.
    pub fn insert_sql(&self) -> String {
        let params: Vec<String> = (1..=self.cols.len()).map(|i| format!("?{i}")).collect();
        format!(
            "INSERT INTO {} ({}) VALUES ({})",
            self.name,
            self.cols.join(", "),
            params.join(", ")
        )
    }

    /// An insert that updates the row in place (keeping its rowid, so its place in the load order)
    /// when the id exists.
    pub fn upsert_sql(&self) -> String {
        let sets: Vec<String> = self.cols[1..]
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        format!(
            "{} ON CONFLICT (id) DO UPDATE SET {}",
            self.insert_sql(),
            sets.join(", ")
        )
    }

    /// [`Table::insert_sql`] (`append_only`) or [`Table::upsert_sql`], made once per process:
    /// materializing a pulled page writes thousands of records, and formatting the statement
    /// for each (only to find it in the connection's statement cache) was a twentieth of it.
    pub fn write_sql(&self, append_only: bool) -> &'static str {
        static MADE: Mutex<BTreeMap<(&'static str, bool), &'static str>> =
            Mutex::new(BTreeMap::new());
        // A poisoned lock still holds complete entries (each is inserted whole).
        let mut made = MADE.lock().unwrap_or_else(PoisonError::into_inner);
        made.entry((self.name, append_only)).or_insert_with(|| {
            let sql = if append_only {
                self.insert_sql()
            } else {
                self.upsert_sql()
            };
            // Bounded: two statements per table of this module.
            Box::leak(sql.into_boxed_str())
        })
    }

    /// `SELECT … FROM t` followed by `tail` (a WHERE and/or ORDER BY clause).
    pub fn select_sql(&self, tail: &str) -> String {
        format!("SELECT {} FROM {} {tail}", self.cols.join(", "), self.name)
    }
}

pub(crate) const SETTINGS: Table = Table {
    name: "settings",
    entity: "settings",
    cols: &[
        "id",
        "dataset_format",
        "dataset_version",
        "tracking_start",
        "income_drop_percent",
        "rigid_expense_jump_percent",
        "rigid_expense_jump_min_fen",
        "r6_pairing_due_working_days",
        "province_code",
    ],
};

pub(crate) const AREAS: Table = Table {
    name: "areas",
    entity: "area",
    cols: &["id", "code", "name", "level", "parent_id"],
};

pub(crate) const UNITS: Table = Table {
    name: "units",
    entity: "unit",
    cols: &["id", "name"],
};

pub(crate) const POSTS: Table = Table {
    name: "posts",
    entity: "post",
    cols: &["id", "unit_id", "title"],
};

pub(crate) const PEOPLE: Table = Table {
    name: "people",
    entity: "person",
    cols: &["id", "name", "phone", "unit_id", "post_id", "left_on"],
};

pub(crate) const ROLE_GRANTS: Table = Table {
    name: "role_grants",
    entity: "person",
    cols: &["person_id", "pos", "role", "area_id", "from_day", "to_day"],
};

pub(crate) const HOUSEHOLDS: Table = Table {
    name: "households",
    entity: "household",
    cols: &[
        "id",
        "village_id",
        "village_group",
        "head_name",
        "address",
        "phone",
        "risks",
    ],
};

pub(crate) const HOUSEHOLD_CLASSES: Table = Table {
    name: "household_classes",
    entity: "household",
    cols: &["household_id", "pos", "from_day", "class", "kind"],
};

pub(crate) const MEMBERS: Table = Table {
    name: "members",
    entity: "member",
    cols: &[
        "id",
        "household_id",
        "name",
        "relation",
        "id_number",
        "labour",
        "school_stage",
        "medical_insurance",
    ],
};

pub(crate) const PAIRINGS: Table = Table {
    name: "pairings",
    entity: "pairing",
    cols: &[
        "id",
        "household_id",
        "cadre_id",
        "start_day",
        "end_day",
        "end_reason",
        "successor_id",
        "arranged_by",
    ],
};

pub(crate) const VISITS: Table = Table {
    name: "visits",
    entity: "visit",
    cols: &[
        "id",
        "household_id",
        "visitor_id",
        "visited_at",
        "visited_day",
        "place_lat",
        "place_lon",
        "present",
        "education_status",
        "education_note",
        "medical_status",
        "medical_note",
        "housing_status",
        "housing_note",
        "water_status",
        "water_note",
        "policy_talk",
        "tidy_yard",
        "tidy_rooms",
        "tidy_kitchen",
        "tidy_toilet",
        "tidy_person",
        "tidy_arrangement",
        "problems",
        "measures",
        "photos",
        "signature",
        "corrects",
        "correction_reason",
    ],
};

pub(crate) const CONTACTS: Table = Table {
    name: "contacts",
    entity: "contact",
    cols: &[
        "id",
        "household_id",
        "person_id",
        "at",
        "at_day",
        "channel",
        "note",
        "corrects",
    ],
};

pub(crate) const INCOME_RECORDS: Table = Table {
    name: "income_records",
    entity: "income_record",
    cols: &[
        "id",
        "household_id",
        "period",
        "collected_on",
        "collector_id",
        "household_size",
        "business_cost_fen",
        "insurance_payout_fen",
        "out_of_pocket_fen",
        "rigid_expense_fen",
        "corrects",
    ],
};

pub(crate) const INCOME_ITEMS: Table = Table {
    name: "income_items",
    entity: "income_record",
    cols: &["income_record_id", "pos", "category", "label", "amount_fen"],
};

pub(crate) const EVALUATIONS: Table = Table {
    name: "evaluations",
    entity: "evaluation",
    cols: &[
        "id",
        "household_id",
        "period",
        "evaluated_on",
        "evaluator_id",
        "income_above_line",
        "guarantees_consolidated",
        "risk_eliminated",
        "outcome",
        "note",
        "corrects",
    ],
};

pub(crate) const PLANS: Table = Table {
    name: "plans",
    entity: "plan",
    cols: &[
        "id",
        "household_id",
        "created_on",
        "risks",
        "note",
        "recorded_by",
    ],
};

pub(crate) const MEASURES: Table = Table {
    name: "measures",
    entity: "measure",
    cols: &[
        "id",
        "household_id",
        "plan_id",
        "kind",
        "started_on",
        "status",
        "description",
        "recorded_by",
    ],
};

pub(crate) const CONSUMPTION_PURCHASES: Table = Table {
    name: "consumption_purchases",
    entity: "consumption_purchase",
    cols: &[
        "id",
        "unit_id",
        "purchased_on",
        "description",
        "amount_fen",
        "household_id",
    ],
};

pub(crate) const PURCHASE_EVENTS: Table = Table {
    name: "purchase_events",
    entity: "purchase_event",
    cols: &["id", "unit_id", "held_on", "kind", "title"],
};

pub(crate) const SIGN_REPLACEMENTS: Table = Table {
    name: "sign_replacements",
    entity: "sign_replacement",
    cols: &[
        "id",
        "household_id",
        "pairing_id",
        "replaced_on",
        "recorded_by",
    ],
};

pub(crate) const LEDGER_SUBMISSIONS: Table = Table {
    name: "ledger_submissions",
    entity: "ledger_submission",
    cols: &["id", "unit_id", "period", "submitted_on"],
};

pub(crate) const MONITORING_LINES: Table = Table {
    name: "monitoring_lines",
    entity: "monitoring_line",
    cols: &["year", "region_code", "yuan_per_person", "source"],
};

/// Every table, parents before children (the order of writing; deleting goes in reverse).
pub(crate) const ALL_TABLES: &[&Table] = &[
    &SETTINGS,
    &AREAS,
    &UNITS,
    &POSTS,
    &PEOPLE,
    &ROLE_GRANTS,
    &HOUSEHOLDS,
    &HOUSEHOLD_CLASSES,
    &MEMBERS,
    &PAIRINGS,
    &VISITS,
    &CONTACTS,
    &INCOME_RECORDS,
    &INCOME_ITEMS,
    &EVALUATIONS,
    &PLANS,
    &MEASURES,
    &CONSUMPTION_PURCHASES,
    &PURCHASE_EVENTS,
    &SIGN_REPLACEMENTS,
    &LEDGER_SUBMISSIONS,
    &MONITORING_LINES,
];

/// The table of records of `entity` (a [`bangfu_core::Record::entity`] name), if it has ids.
pub(crate) fn table_of(entity: &str) -> Option<&'static Table> {
    const WITH_IDS: &[&Table] = &[
        &AREAS,
        &UNITS,
        &POSTS,
        &PEOPLE,
        &HOUSEHOLDS,
        &MEMBERS,
        &PAIRINGS,
        &VISITS,
        &CONTACTS,
        &INCOME_RECORDS,
        &EVALUATIONS,
        &PLANS,
        &MEASURES,
        &CONSUMPTION_PURCHASES,
        &PURCHASE_EVENTS,
        &SIGN_REPLACEMENTS,
        &LEDGER_SUBMISSIONS,
    ];
    WITH_IDS.iter().copied().find(|t| t.entity == entity)
}

/// Turns a failed COMMIT into a precise error. A deferred foreign key is the one constraint that
/// fails only at COMMIT: `PRAGMA foreign_key_check` (run while the transaction is still open)
/// names the first offending row.
pub(crate) fn explain_commit_failure(conn: &Connection, e: rusqlite::Error) -> StoreError {
    let is_fk = matches!(&e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == ffi::SQLITE_CONSTRAINT_FOREIGNKEY);
    if !is_fk {
        return StoreError::Sqlite(e);
    }
    match first_fk_violation(conn) {
        Ok(Some(v)) => v,
        _ => StoreError::MissingReference {
            entity: "record",
            id: None,
            field: String::new(),
        },
    }
}

fn first_fk_violation(conn: &Connection) -> Result<Option<StoreError>, rusqlite::Error> {
    let row: Option<(String, Option<i64>, i64)> = conn
        .query_row("PRAGMA foreign_key_check", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(3)?))
        })
        .optional()?;
    let Some((table_name, rowid, fk)) = row else {
        return Ok(None);
    };
    let Some(table) = ALL_TABLES.iter().find(|t| t.name == table_name) else {
        return Ok(None);
    };
    let field: String = conn
        .query_row(
            "SELECT \"from\" FROM pragma_foreign_key_list(?1) WHERE id = ?2",
            rusqlite::params![table.name, fk],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_default();
    let id = match rowid {
        Some(rowid) if table.cols.first() == Some(&"id") => conn
            .query_row(
                &format!("SELECT id FROM {} WHERE rowid = ?1", table.name),
                [rowid],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .optional()?
            .and_then(|b| Uuid::from_slice(&b).ok()),
        _ => None,
    };
    Ok(Some(StoreError::MissingReference {
        entity: table.entity,
        id,
        field,
    }))
}
