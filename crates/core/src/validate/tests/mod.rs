//! Tests of validation: a small valid county to spoil one way at a time, and helpers.
//! `issue` has the cases the validation issue lists; `more` the rest.

use chrono::NaiveDate;
use uuid::Uuid;

use super::codes as c;
use super::*;
use crate::calendar::Quarter;
use crate::idnumber;
use crate::model::area::{AreaLevel, Role, RoleGrant};
use crate::model::dataset::DATASET_VERSION;
use crate::model::household::{LabourAbility, MedicalInsurance, Member, Risk, SchoolStage};
use crate::model::income::{IncomeRecord, MonitoringLine};
use crate::model::visit::{CheckStatus, Contact, ContactChannel, SignReplacement};
use crate::model::work::{
    ConsumptionPurchase, Evaluation, EvaluationOutcome, LedgerSubmission, Measure, MeasureKind,
    MeasureStatus, Plan, PurchaseEvent, PurchaseEventKind,
};
use crate::rules::testkit::{Fixture, d, noon};

/// A valid ID number from 17 digits (the checksum computed).
fn id_number(first17: &str) -> String {
    let mut digits = [0u8; 17];
    digits.copy_from_slice(first17.as_bytes());
    let check = idnumber::check_char(&digits);
    format!("{first17}{}", check as char)
}

const MEMBER_NAME: &str = "张三丰";
const HEAD_NAME: &str = "李四光";

/// Ids of the records of [`county`].
struct Ids {
    cadre: Uuid,
    household: Uuid,
    member: Uuid,
    pairing: Uuid,
    visit: Uuid,
    income: Uuid,
    evaluation: Uuid,
    plan: Uuid,
    sign: Uuid,
}

/// A small county where every kind of record occurs once and everything is right.
fn county() -> (Fixture, Ids) {
    let mut f = Fixture::new();
    let cadre = f.cadre("王干部");
    let household = f.monitored();
    if let Some(h) = f.ds.households.iter_mut().find(|h| h.id == household) {
        h.head_name = HEAD_NAME.into();
        h.risks = vec![Risk::Illness, Risk::Schooling];
        h.phone = Some("13800138000".into());
    }
    let member = f.id();
    f.ds.members.push(Member {
        id: member,
        household_id: household,
        name: MEMBER_NAME.into(),
        relation: "户主".into(),
        id_number: id_number("36072219700101123"),
        labour: LabourAbility::Able,
        school_stage: SchoolStage::NotInSchool,
        medical_insurance: MedicalInsurance::Resident,
    });
    let pairing = f.pair(household, cadre, d("2024-01-01"), None);
    let visit = f.visit(household, cadre, d("2024-02-10"));
    {
        let v = f.last_visit();
        v.checks.housing.status = CheckStatus::Risk;
        v.checks.housing.note = Some("屋顶漏雨".into());
        v.photos = vec!["0123456789abcdef".repeat(4)];
        v.signature = Some("f".repeat(64));
    }
    let fs = f.first_secretary;
    f.visit(household, fs, d("2024-03-05"));
    let correction = f.visit(household, cadre, d("2024-02-10"));
    let _ = correction;
    f.last_visit().corrects = Some(visit);
    f.last_visit().correction_reason = Some("走访日期填错了".into());
    let income = f.income(
        household,
        cadre,
        Quarter { year: 2024, q: 1 },
        d("2024-03-28"),
        1_500_000,
        4,
    );
    let contact = f.id();
    f.ds.contacts.push(Contact {
        id: contact,
        household_id: household,
        person_id: cadre,
        at: noon(d("2024-01-15")),
        channel: ContactChannel::Phone,
        note: String::new(),
        corrects: None,
    });
    let sign = f.id();
    f.ds.sign_replacements.push(SignReplacement {
        id: sign,
        household_id: household,
        pairing_id: pairing,
        replaced_on: d("2024-01-08"),
        recorded_by: cadre,
    });
    let evaluation = f.id();
    f.ds.evaluations.push(Evaluation {
        id: evaluation,
        household_id: household,
        period: Quarter { year: 2024, q: 1 },
        evaluated_on: d("2024-04-10"),
        evaluator_id: cadre,
        income_above_line: true,
        guarantees_consolidated: false,
        risk_eliminated: false,
        outcome: EvaluationOutcome::Strengthen,
        note: String::new(),
        corrects: None,
    });
    let plan = f.id();
    f.ds.plans.push(Plan {
        id: plan,
        household_id: household,
        created_on: d("2024-01-10"),
        risks: vec![Risk::Illness],
        note: String::new(),
        recorded_by: fs,
    });
    let measure = f.id();
    f.ds.measures.push(Measure {
        id: measure,
        household_id: household,
        plan_id: Some(plan),
        kind: MeasureKind::Health,
        started_on: d("2024-01-12"),
        status: MeasureStatus::InProgress,
        description: String::new(),
        recorded_by: cadre,
    });
    let (unit, purchase, event, ledger) = (f.unit, f.id(), f.id(), f.id());
    f.ds.consumption_purchases.push(ConsumptionPurchase {
        id: purchase,
        unit_id: unit,
        purchased_on: d("2024-05-01"),
        description: "脐橙".into(),
        amount_fen: 300_000,
        household_id: Some(household),
    });
    f.ds.purchase_events.push(PurchaseEvent {
        id: event,
        unit_id: unit,
        held_on: d("2024-06-01"),
        kind: PurchaseEventKind::Matching,
        title: "产销对接会".into(),
    });
    f.ds.ledger_submissions.push(LedgerSubmission {
        id: ledger,
        unit_id: unit,
        period: Quarter { year: 2024, q: 1 },
        submitted_on: d("2024-03-29"),
    });
    let ids = Ids {
        cadre,
        household,
        member,
        pairing,
        visit,
        income,
        evaluation,
        plan,
        sign,
    };
    (f, ids)
}

fn errors(f: &Fixture) -> Vec<ValidationError> {
    match validate_dataset(&f.ds) {
        Ok(()) => Vec::new(),
        Err(es) => es,
    }
}

/// Asserts that the only error is (entity, id, field, code), and returns it.
fn only(errors: &[ValidationError], entity: &str, id: Uuid, field: &str, code: &str) {
    assert_eq!(errors.len(), 1, "{errors:#?}");
    has(errors, entity, id, field, code);
}

fn has(errors: &[ValidationError], entity: &str, id: Uuid, field: &str, code: &str) {
    assert!(
        errors
            .iter()
            .any(|e| e.entity == entity && e.record_id == id && e.field == field && e.code == code),
        "no {entity} {id} {field} {code} in {errors:#?}"
    );
}

mod issue;
mod more;
