//! Row decoders: one per entity, reading the columns in the order of its [`Table`](crate::schema::Table).
//! Child lists (role grants, class history, income items) come from their own tables.

use bangfu_core::{
    Area, Check, Checks, ClassPeriod, ConsumptionPurchase, Contact, Evaluation, GeoPoint,
    Household, IncomeItem, IncomeRecord, LedgerSubmission, Measure, Member, MonitoringLine,
    Pairing, Person, Plan, Post, PurchaseEvent, RoleGrant, SignReplacement, Tidiness, Unit, Visit,
};
use rusqlite::Row;
use uuid::Uuid;

use crate::codec::Cols;
use crate::error::StoreError;

type Result<T> = std::result::Result<T, StoreError>;

pub(crate) fn area(row: &Row<'_>) -> Result<Area> {
    let mut c = Cols::new(row, "area");
    Ok(Area {
        id: c.record_id(0)?,
        code: c.text(1, "code")?,
        name: c.text(2, "name")?,
        level: c.enum_(3, "level")?,
        parent_id: c.opt_id(4, "parent_id")?,
    })
}

pub(crate) fn unit(row: &Row<'_>) -> Result<Unit> {
    let mut c = Cols::new(row, "unit");
    Ok(Unit {
        id: c.record_id(0)?,
        name: c.text(1, "name")?,
    })
}

pub(crate) fn post(row: &Row<'_>) -> Result<Post> {
    let mut c = Cols::new(row, "post");
    Ok(Post {
        id: c.record_id(0)?,
        unit_id: c.id(1, "unit_id")?,
        title: c.text(2, "title")?,
    })
}

/// A person without roles (they come from `role_grants`).
pub(crate) fn person(row: &Row<'_>) -> Result<Person> {
    let mut c = Cols::new(row, "person");
    Ok(Person {
        id: c.record_id(0)?,
        name: c.text(1, "name")?,
        phone: c.opt_text(2, "phone")?,
        unit_id: c.opt_id(3, "unit_id")?,
        post_id: c.opt_id(4, "post_id")?,
        left_on: c.opt_date(5, "left_on")?,
        roles: Vec::new(),
    })
}

pub(crate) fn role_grant(row: &Row<'_>) -> Result<(Uuid, RoleGrant)> {
    let mut c = Cols::new(row, "person");
    let person_id = c.id(0, "id")?;
    c.set_id(person_id);
    Ok((
        person_id,
        RoleGrant {
            role: c.enum_(2, "roles.role")?,
            area_id: c.opt_id(3, "roles.area_id")?,
            from: c.date(4, "roles.from")?,
            to: c.opt_date(5, "roles.to")?,
        },
    ))
}

/// A household without its class history (it comes from `household_classes`).
pub(crate) fn household(row: &Row<'_>) -> Result<Household> {
    let mut c = Cols::new(row, "household");
    Ok(Household {
        id: c.record_id(0)?,
        village_id: c.id(1, "village_id")?,
        group: c.opt_text(2, "group")?,
        head_name: c.text(3, "head_name")?,
        address: c.opt_text(4, "address")?,
        phone: c.opt_text(5, "phone")?,
        class_history: Vec::new(),
        risks: c.enum_list(6, "risks")?,
    })
}

pub(crate) fn class_period(row: &Row<'_>) -> Result<(Uuid, ClassPeriod)> {
    let mut c = Cols::new(row, "household");
    let household_id = c.id(0, "id")?;
    c.set_id(household_id);
    Ok((
        household_id,
        ClassPeriod {
            from: c.date(2, "class_history.from")?,
            class: c.enum_(3, "class_history.class")?,
            kind: c.opt_enum(4, "class_history.kind")?,
        },
    ))
}

pub(crate) fn member(row: &Row<'_>) -> Result<Member> {
    let mut c = Cols::new(row, "member");
    Ok(Member {
        id: c.record_id(0)?,
        household_id: c.id(1, "household_id")?,
        name: c.text(2, "name")?,
        relation: c.text(3, "relation")?,
        id_number: c.text(4, "id_number")?,
        labour: c.enum_(5, "labour")?,
        school_stage: c.enum_(6, "school_stage")?,
        medical_insurance: c.enum_(7, "medical_insurance")?,
    })
}

pub(crate) fn pairing(row: &Row<'_>) -> Result<Pairing> {
    let mut c = Cols::new(row, "pairing");
    Ok(Pairing {
        id: c.record_id(0)?,
        household_id: c.id(1, "household_id")?,
        cadre_id: c.id(2, "cadre_id")?,
        start: c.date(3, "start")?,
        end: c.opt_date(4, "end")?,
        end_reason: c.opt_enum(5, "end_reason")?,
        successor_id: c.opt_id(6, "successor_id")?,
        arranged_by: c.opt_id(7, "arranged_by")?,
    })
}

fn check(c: &Cols<'_, '_>, i: usize, status: &'static str, note: &'static str) -> Result<Check> {
    Ok(Check {
        status: c.enum_(i, status)?,
        note: c.opt_text(i + 1, note)?,
    })
}

pub(crate) fn visit(row: &Row<'_>) -> Result<Visit> {
    let mut c = Cols::new(row, "visit");
    let id = c.record_id(0)?;
    let place = match (c.opt_f64(5, "place.lat")?, c.opt_f64(6, "place.lon")?) {
        (Some(lat), Some(lon)) => Some(GeoPoint { lat, lon }),
        (None, None) => None,
        _ => return Err(c.corrupt("place", "latitude without longitude or the reverse")),
    };
    let tidy: Vec<Option<bool>> = (17..23)
        .map(|i| c.opt_bool(i, "tidiness"))
        .collect::<Result<_>>()?;
    let tidiness = match tidy[..] {
        [
            Some(yard),
            Some(rooms),
            Some(kitchen),
            Some(toilet),
            Some(person),
            Some(arrangement),
        ] => Some(Tidiness {
            yard,
            rooms,
            kitchen,
            toilet,
            person,
            arrangement,
        }),
        [None, None, None, None, None, None] => None,
        _ => return Err(c.corrupt("tidiness", "some items recorded and others not")),
    };
    Ok(Visit {
        id,
        household_id: c.id(1, "household_id")?,
        visitor_id: c.id(2, "visitor_id")?,
        visited_at: c.instant(3, "visited_at")?,
        place,
        present: c.string_list(7, "present")?,
        checks: Checks {
            education: check(&c, 8, "checks.education.status", "checks.education.note")?,
            medical: check(&c, 10, "checks.medical.status", "checks.medical.note")?,
            housing: check(&c, 12, "checks.housing.status", "checks.housing.note")?,
            water: check(&c, 14, "checks.water.status", "checks.water.note")?,
        },
        policy_talk: c.string_list(16, "policy_talk")?,
        tidiness,
        problems: c.text(23, "problems")?,
        measures: c.text(24, "measures")?,
        photos: c.string_list(25, "photos")?,
        signature: c.opt_text(26, "signature")?,
        corrects: c.opt_id(27, "corrects")?,
        correction_reason: c.opt_text(28, "correction_reason")?,
    })
}

pub(crate) fn contact(row: &Row<'_>) -> Result<Contact> {
    let mut c = Cols::new(row, "contact");
    Ok(Contact {
        id: c.record_id(0)?,
        household_id: c.id(1, "household_id")?,
        person_id: c.id(2, "person_id")?,
        at: c.instant(3, "at")?,
        channel: c.enum_(5, "channel")?,
        note: c.text(6, "note")?,
        corrects: c.opt_id(7, "corrects")?,
    })
}

/// An income record without its items (they come from `income_items`).
pub(crate) fn income_record(row: &Row<'_>) -> Result<IncomeRecord> {
    let mut c = Cols::new(row, "income_record");
    Ok(IncomeRecord {
        id: c.record_id(0)?,
        household_id: c.id(1, "household_id")?,
        period: c.quarter(2, "period")?,
        collected_on: c.date(3, "collected_on")?,
        collector_id: c.id(4, "collector_id")?,
        household_size: c.u32(5, "household_size")?,
        items: Vec::new(),
        business_cost_fen: c.i64(6, "business_cost_fen")?,
        insurance_payout_fen: c.i64(7, "insurance_payout_fen")?,
        out_of_pocket_fen: c.i64(8, "out_of_pocket_fen")?,
        rigid_expense_fen: c.i64(9, "rigid_expense_fen")?,
        corrects: c.opt_id(10, "corrects")?,
    })
}

pub(crate) fn income_item(row: &Row<'_>) -> Result<(Uuid, IncomeItem)> {
    let mut c = Cols::new(row, "income_record");
    let record_id = c.id(0, "id")?;
    c.set_id(record_id);
    Ok((
        record_id,
        IncomeItem {
            category: c.enum_(2, "items.category")?,
            label: c.text(3, "items.label")?,
            amount_fen: c.i64(4, "items.amount_fen")?,
        },
    ))
}

pub(crate) fn evaluation(row: &Row<'_>) -> Result<Evaluation> {
    let mut c = Cols::new(row, "evaluation");
    Ok(Evaluation {
        id: c.record_id(0)?,
        household_id: c.id(1, "household_id")?,
        period: c.quarter(2, "period")?,
        evaluated_on: c.date(3, "evaluated_on")?,
        evaluator_id: c.id(4, "evaluator_id")?,
        income_above_line: c.bool(5, "income_above_line")?,
        guarantees_consolidated: c.bool(6, "guarantees_consolidated")?,
        risk_eliminated: c.bool(7, "risk_eliminated")?,
        outcome: c.enum_(8, "outcome")?,
        note: c.text(9, "note")?,
        corrects: c.opt_id(10, "corrects")?,
    })
}

pub(crate) fn plan(row: &Row<'_>) -> Result<Plan> {
    let mut c = Cols::new(row, "plan");
    Ok(Plan {
        id: c.record_id(0)?,
        household_id: c.id(1, "household_id")?,
        created_on: c.date(2, "created_on")?,
        risks: c.enum_list(3, "risks")?,
        note: c.text(4, "note")?,
        recorded_by: c.id(5, "recorded_by")?,
    })
}

pub(crate) fn measure(row: &Row<'_>) -> Result<Measure> {
    let mut c = Cols::new(row, "measure");
    Ok(Measure {
        id: c.record_id(0)?,
        household_id: c.id(1, "household_id")?,
        plan_id: c.opt_id(2, "plan_id")?,
        kind: c.enum_(3, "kind")?,
        started_on: c.date(4, "started_on")?,
        status: c.enum_(5, "status")?,
        description: c.text(6, "description")?,
        recorded_by: c.id(7, "recorded_by")?,
    })
}

pub(crate) fn consumption_purchase(row: &Row<'_>) -> Result<ConsumptionPurchase> {
    let mut c = Cols::new(row, "consumption_purchase");
    Ok(ConsumptionPurchase {
        id: c.record_id(0)?,
        unit_id: c.id(1, "unit_id")?,
        purchased_on: c.date(2, "purchased_on")?,
        description: c.text(3, "description")?,
        amount_fen: c.i64(4, "amount_fen")?,
        household_id: c.opt_id(5, "household_id")?,
    })
}

pub(crate) fn purchase_event(row: &Row<'_>) -> Result<PurchaseEvent> {
    let mut c = Cols::new(row, "purchase_event");
    Ok(PurchaseEvent {
        id: c.record_id(0)?,
        unit_id: c.id(1, "unit_id")?,
        held_on: c.date(2, "held_on")?,
        kind: c.enum_(3, "kind")?,
        title: c.text(4, "title")?,
    })
}

pub(crate) fn sign_replacement(row: &Row<'_>) -> Result<SignReplacement> {
    let mut c = Cols::new(row, "sign_replacement");
    Ok(SignReplacement {
        id: c.record_id(0)?,
        household_id: c.id(1, "household_id")?,
        pairing_id: c.id(2, "pairing_id")?,
        replaced_on: c.date(3, "replaced_on")?,
        recorded_by: c.id(4, "recorded_by")?,
    })
}

pub(crate) fn ledger_submission(row: &Row<'_>) -> Result<LedgerSubmission> {
    let mut c = Cols::new(row, "ledger_submission");
    Ok(LedgerSubmission {
        id: c.record_id(0)?,
        unit_id: c.id(1, "unit_id")?,
        period: c.quarter(2, "period")?,
        submitted_on: c.date(3, "submitted_on")?,
    })
}

pub(crate) fn monitoring_line(row: &Row<'_>) -> Result<MonitoringLine> {
    let c = Cols::new(row, "monitoring_line");
    Ok(MonitoringLine {
        year: c.i32(0, "year")?,
        region_code: c.text(1, "region_code")?,
        yuan_per_person: c.i64(2, "yuan_per_person")?,
        source: c.text(3, "source")?,
    })
}
