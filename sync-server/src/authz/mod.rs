//! Authorization of pushed operations: who may write what, where (issue 11, items 1–5, 13, 14).
//!
//! Storage-independent: the storage calls [`authorize`] for every in-sequence operation of a
//! push, inside its write transaction, after the core's `check_op` built the record the operation
//! leads to, with [`Places`] looking things up in that same transaction (so an operation sees what
//! the operations before it in the batch wrote). A refusal is per operation: it is kept as a
//! rejected operation with its reason, the rest of the batch goes in, and the device's seq moves
//! on (a device is never wedged by one record).
//!
//! The server never trusts the device's claims:
//! - **Place** ([`place_of`]): a record's `scope_path` is derived on the server from the record
//!   itself — an area from its parent's path and code, a household from its village's path, every
//!   record of a household from that household's *current* path, the county's lists from the
//!   county's path. An operation claiming another path is refused (`scope_path_mismatch`).
//! - **Scope**: the derived place must be in the pusher's write scope as the server computes it
//!   from the account today. The only grace: a cadre whose pairing ended (within
//!   [`ENDED_GRACE_DAYS`](bangfu_core::sync::scope::ENDED_GRACE_DAYS) by the server's date) may
//!   still hand in new field records of that household as long as the server has not yet served
//!   her device a feed without it — a fact the server recorded, not the device's clock.
//! - **Kind** ([`table`]): which roles may create or edit which entity kinds and fields.
//! - **Author**: an account with a person authors every operation as that person; an account
//!   without one authors no field record.
//! - **Corrections**: `corrects` names a stored record of the same kind and the same household,
//!   and a correction of an append-only record (visit, contact, income record, evaluation) is
//!   authored by the person who authored the record it corrects ([`author_field`]): only a
//!   visit's own visitor corrects it.

pub mod table;

use bangfu_core::Record;
use bangfu_core::sync::op::Operation;
use bangfu_core::sync::scope::Scope;
use bangfu_core::sync::wire::Reason;
use uuid::Uuid;

use crate::auth::Role;
use crate::error::StorageError;

/// The pushing account as the server knows it, fixed for one push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pusher {
    pub role: Role,
    /// The account's person (cadres; first secretaries and team members who have one).
    pub person: Option<Uuid>,
    /// What the account writes today (the server's date).
    pub scope: Scope,
    /// The scope the pushing device was last served its feed with (`None`: never pulled): what it
    /// may still hold from before a pairing ended.
    pub served: Option<Scope>,
}

impl Pusher {
    /// A pusher that may write everything (the county office).
    pub fn county() -> Pusher {
        Pusher {
            role: Role::CountyOffice,
            person: None,
            scope: Scope::all(),
            served: None,
        }
    }
}

/// Lookups of stored records, in the push's own transaction.
pub trait Places {
    /// The stored path of household `id`.
    fn household_path(&self, id: Uuid) -> Result<Option<String>, StorageError>;
    /// The stored path of area `id`.
    fn area_path(&self, id: Uuid) -> Result<Option<String>, StorageError>;
    /// The county's path (the area without a parent).
    fn county_path(&self) -> Result<Option<String>, StorageError>;
    /// The kinds of stored records with this id (normally at most one).
    fn kinds_of(&self, id: Uuid) -> Result<Vec<String>, StorageError>;
    /// The household a stored record belongs to.
    fn household_of(&self, entity: &str, id: Uuid) -> Result<Option<Uuid>, StorageError>;
    /// The person a stored append-only record names as its author (the value of its
    /// [`author_field`]); `None` when no such record is stored or `entity` has no author field.
    fn author_of(&self, entity: &str, id: Uuid) -> Result<Option<Uuid>, StorageError>;
}

/// The field naming the person who authored a record of an append-only kind: `visitor_id`,
/// `person_id` (contact), `collector_id` (income record), `evaluator_id`; `None` for other kinds.
pub fn author_field(entity: &str) -> Option<&'static str> {
    match entity {
        "visit" => Some("visitor_id"),
        "contact" => Some("person_id"),
        "income_record" => Some("collector_id"),
        "evaluation" => Some("evaluator_id"),
        _ => None,
    }
}

/// The person a record of an append-only kind names as its author ([`author_field`]).
pub fn author_of_record(record: &Record) -> Option<Uuid> {
    match record {
        Record::Visit(r) => Some(r.visitor_id),
        Record::Contact(r) => Some(r.person_id),
        Record::IncomeRecord(r) => Some(r.collector_id),
        Record::Evaluation(r) => Some(r.evaluator_id),
        _ => None,
    }
}

/// Where a record lies: its derived path and its household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub path: String,
    pub household: Option<Uuid>,
}

/// The household a record belongs to, from its own fields.
pub fn household_of_record(record: &Record) -> Option<Uuid> {
    match record {
        Record::Household(h) => Some(h.id),
        Record::Member(r) => Some(r.household_id),
        Record::Pairing(r) => Some(r.household_id),
        Record::Visit(r) => Some(r.household_id),
        Record::Contact(r) => Some(r.household_id),
        Record::IncomeRecord(r) => Some(r.household_id),
        Record::Evaluation(r) => Some(r.household_id),
        Record::Measure(r) => Some(r.household_id),
        Record::Plan(r) => Some(r.household_id),
        Record::SignReplacement(r) => Some(r.household_id),
        Record::ConsumptionPurchase(r) => r.household_id,
        Record::Area(_)
        | Record::Unit(_)
        | Record::Post(_)
        | Record::Person(_)
        | Record::PurchaseEvent(_)
        | Record::LedgerSubmission(_) => None,
    }
}

/// The record `corrects` names, for the append-only kinds.
fn corrects_of(record: &Record) -> Option<Uuid> {
    match record {
        Record::Visit(r) => r.corrects,
        Record::Contact(r) => r.corrects,
        Record::IncomeRecord(r) => r.corrects,
        Record::Evaluation(r) => r.corrects,
        _ => None,
    }
}

/// The place of `record` as the server derives it (the same rule as
/// [`ScopePaths`](bangfu_core::sync::import::ScopePaths), over stored records); `None` when what
/// it hangs on is not stored (the validators refuse such a record anyway).
pub fn place_of(record: &Record, places: &dyn Places) -> Result<Option<Place>, StorageError> {
    let household = household_of_record(record);
    let path = match record {
        Record::Area(a) => match a.parent_id {
            None => Some(a.code.clone()),
            Some(parent) => places.area_path(parent)?.map(|p| format!("{p}/{}", a.code)),
        },
        Record::Household(h) => places
            .area_path(h.village_id)?
            .map(|v| format!("{v}/h:{}", h.id)),
        _ => match household {
            Some(h) => places.household_path(h)?,
            None => places.county_path()?,
        },
    };
    Ok(path.map(|path| Place { path, household }))
}

fn refuse(code: &str, message: impl Into<String>) -> Result<(), Reason> {
    Err(Reason {
        code: code.to_owned(),
        message: message.into(),
    })
}

/// Whether `pusher` may make `op`, which leads to `record` at `place`; `before`: the record's
/// stored path before the operation, if it exists (a household being moved must be writable
/// where it was as well as where it goes).
pub fn authorize(
    pusher: &Pusher,
    op: &Operation,
    record: &Record,
    place: &Place,
    before: Option<&str>,
    places: &dyn Places,
) -> Result<Result<(), Reason>, StorageError> {
    let Some(rule) = table::rule_of(&op.entity) else {
        return Ok(refuse(
            "unknown_entity",
            format!("unknown entity `{}`", op.entity),
        ));
    };
    if let Some(person) = pusher.person
        && op.author != person
    {
        return Ok(refuse(
            "wrong_author",
            "操作的记录人不是本账号的人员：本机只能以登录账号本人的身份记录",
        ));
    }
    if rule.field_record && pusher.person.is_none() {
        return Ok(refuse(
            "no_person",
            format!(
                "{}账号没有对应的人员，不能记录{}：请用帮扶干部或驻村干部本人的账号记录",
                table::role_zh(pusher.role),
                table::entity_zh(&op.entity)
            ),
        ));
    }
    if let Err(r) = table::allows(
        pusher.role,
        &op.entity,
        op.create,
        op.fields.keys().map(String::as_str),
    ) {
        return Ok(refuse(r.code, r.message));
    }
    if op.scope_path != place.path {
        return Ok(refuse(
            "scope_path_mismatch",
            format!(
                "{} 的归属与服务器上的不一致（该户可能已迁移到其他村）：请同步后重新记录",
                op.entity
            ),
        ));
    }
    if !pusher.scope.all {
        let grace = rule.field_record
            && op.create
            && pusher.scope.ended_includes(&place.path)
            && pusher
                .served
                .as_ref()
                .is_some_and(|s| s.holds_household(&place.path));
        let here = pusher.scope.writes(&place.path) || grace;
        let there = before.is_none_or(|b| b == place.path || pusher.scope.writes(b));
        if !here || !there {
            return Ok(refuse(
                "forbidden_scope",
                "这条记录不在您的帮扶范围内（结对可能已结束或调整）：记录已保留在服务器上，请联系驻村第一书记或乡镇工作站处理",
            ));
        }
    }
    if let Some(corrected) = corrects_of(record) {
        let kinds = places.kinds_of(corrected)?;
        let same_household = places.household_of(&op.entity, corrected)? == place.household;
        if kinds.iter().all(|k| *k != op.entity) || !same_household {
            return Ok(refuse(
                "bad_correction",
                format!(
                    "`corrects` 必须指向同一户的一条{}记录：请在该记录上点“更正”重新填写",
                    table::entity_zh(&op.entity)
                ),
            ));
        }
        if author_field(&op.entity).is_some() {
            let original = places.author_of(&op.entity, corrected)?;
            let by_author = original.is_some_and(|a| {
                op.author == a && author_of_record(record).is_none_or(|mine| mine == a)
            });
            if !by_author {
                return Ok(refuse(
                    "not_author_of_corrected",
                    format!(
                        "只有原{0}记录的记录人本人才能更正它：请由原记录人在其手机上点“更正”，或另行登记一条新的{0}记录",
                        table::entity_zh(&op.entity)
                    ),
                ));
            }
        }
    }
    Ok(Ok(()))
}
