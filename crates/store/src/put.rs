//! Binding one record's values to a statement, in the column order of its
//! [`Table`](crate::schema::Table). The caller chooses the statement: a plain INSERT (whole
//! datasets, append-only records) or an upsert (the rest).

use bangfu_core::{
    Area, ConsumptionPurchase, Contact, Evaluation, Household, IncomeRecord, LedgerSubmission,
    Measure, Member, MonitoringLine, Pairing, Person, Plan, Post, PurchaseEvent, SignReplacement,
    Unit, Visit,
};
use rusqlite::{Statement, params};
use uuid::Uuid;

use crate::codec::{TextEnum, date_text, enum_list_text, instant_text, string_list_text};
use crate::error::{StoreError, write_error};

type Result<T> = std::result::Result<T, StoreError>;

/// An id as the 16 bytes stored.
pub(crate) fn b(id: &Uuid) -> &[u8] {
    id.as_bytes()
}

fn ob(id: &Option<Uuid>) -> Option<&[u8]> {
    id.as_ref().map(b)
}

fn od(d: Option<chrono::NaiveDate>) -> Option<String> {
    d.map(date_text)
}

/// Runs a statement for the record `id` of `entity`, mapping constraint failures.
fn run(
    st: &mut Statement<'_>,
    entity: &'static str,
    id: Option<Uuid>,
    p: &[&dyn rusqlite::ToSql],
) -> Result<()> {
    st.execute(p)
        .map(drop)
        .map_err(|e| write_error(e, entity, id))
}

pub(crate) fn put_area(st: &mut Statement<'_>, a: &Area) -> Result<()> {
    run(
        st,
        "area",
        Some(a.id),
        params![
            b(&a.id),
            a.code,
            a.name,
            a.level.as_text(),
            ob(&a.parent_id)
        ],
    )
}

pub(crate) fn put_unit(st: &mut Statement<'_>, u: &Unit) -> Result<()> {
    run(st, "unit", Some(u.id), params![b(&u.id), u.name])
}

pub(crate) fn put_post(st: &mut Statement<'_>, p: &Post) -> Result<()> {
    run(
        st,
        "post",
        Some(p.id),
        params![b(&p.id), b(&p.unit_id), p.title],
    )
}

pub(crate) fn put_person(
    st: &mut Statement<'_>,
    grants: &mut Statement<'_>,
    p: &Person,
) -> Result<()> {
    let id = Some(p.id);
    run(
        st,
        "person",
        id,
        params![
            b(&p.id),
            p.name,
            p.phone,
            ob(&p.unit_id),
            ob(&p.post_id),
            od(p.left_on)
        ],
    )?;
    for (pos, g) in p.roles.iter().enumerate() {
        run(
            grants,
            "person",
            id,
            params![
                b(&p.id),
                pos as i64,
                g.role.as_text(),
                ob(&g.area_id),
                date_text(g.from),
                od(g.to)
            ],
        )?;
    }
    Ok(())
}

pub(crate) fn put_household(
    st: &mut Statement<'_>,
    classes: &mut Statement<'_>,
    h: &Household,
) -> Result<()> {
    let id = Some(h.id);
    run(
        st,
        "household",
        id,
        params![
            b(&h.id),
            b(&h.village_id),
            h.group,
            h.head_name,
            h.address,
            h.phone,
            enum_list_text(&h.risks)
        ],
    )?;
    for (pos, c) in h.class_history.iter().enumerate() {
        run(
            classes,
            "household",
            id,
            params![
                b(&h.id),
                pos as i64,
                date_text(c.from),
                c.class.as_text(),
                c.kind.map(TextEnum::as_text)
            ],
        )?;
    }
    Ok(())
}

pub(crate) fn put_member(st: &mut Statement<'_>, m: &Member) -> Result<()> {
    run(
        st,
        "member",
        Some(m.id),
        params![
            b(&m.id),
            b(&m.household_id),
            m.name,
            m.relation,
            m.id_number,
            m.labour.as_text(),
            m.school_stage.as_text(),
            m.medical_insurance.as_text()
        ],
    )
}

pub(crate) fn put_pairing(st: &mut Statement<'_>, p: &Pairing) -> Result<()> {
    run(
        st,
        "pairing",
        Some(p.id),
        params![
            b(&p.id),
            b(&p.household_id),
            b(&p.cadre_id),
            date_text(p.start),
            od(p.end),
            p.end_reason.map(TextEnum::as_text),
            ob(&p.successor_id),
            ob(&p.arranged_by)
        ],
    )
}

pub(crate) fn put_visit(st: &mut Statement<'_>, v: &Visit) -> Result<()> {
    let c = &v.checks;
    let t = v.tidiness;
    run(
        st,
        "visit",
        Some(v.id),
        params![
            b(&v.id),
            b(&v.household_id),
            b(&v.visitor_id),
            instant_text(&v.visited_at),
            date_text(v.day()),
            v.place.map(|p| p.lat),
            v.place.map(|p| p.lon),
            string_list_text(&v.present),
            c.education.status.as_text(),
            c.education.note,
            c.medical.status.as_text(),
            c.medical.note,
            c.housing.status.as_text(),
            c.housing.note,
            c.water.status.as_text(),
            c.water.note,
            string_list_text(&v.policy_talk),
            t.map(|t| t.yard),
            t.map(|t| t.rooms),
            t.map(|t| t.kitchen),
            t.map(|t| t.toilet),
            t.map(|t| t.person),
            t.map(|t| t.arrangement),
            v.problems,
            v.measures,
            string_list_text(&v.photos),
            v.signature,
            ob(&v.corrects),
            v.correction_reason
        ],
    )
}

pub(crate) fn put_contact(st: &mut Statement<'_>, c: &Contact) -> Result<()> {
    run(
        st,
        "contact",
        Some(c.id),
        params![
            b(&c.id),
            b(&c.household_id),
            b(&c.person_id),
            instant_text(&c.at),
            date_text(c.at.date_naive()),
            c.channel.as_text(),
            c.note,
            ob(&c.corrects)
        ],
    )
}

pub(crate) fn put_income_record(
    st: &mut Statement<'_>,
    items: &mut Statement<'_>,
    r: &IncomeRecord,
) -> Result<()> {
    let id = Some(r.id);
    run(
        st,
        "income_record",
        id,
        params![
            b(&r.id),
            b(&r.household_id),
            r.period.to_string(),
            date_text(r.collected_on),
            b(&r.collector_id),
            r.household_size,
            r.business_cost_fen,
            r.insurance_payout_fen,
            r.out_of_pocket_fen,
            r.rigid_expense_fen,
            ob(&r.corrects)
        ],
    )?;
    for (pos, item) in r.items.iter().enumerate() {
        run(
            items,
            "income_record",
            id,
            params![
                b(&r.id),
                pos as i64,
                item.category.as_text(),
                item.label,
                item.amount_fen
            ],
        )?;
    }
    Ok(())
}

pub(crate) fn put_evaluation(st: &mut Statement<'_>, e: &Evaluation) -> Result<()> {
    run(
        st,
        "evaluation",
        Some(e.id),
        params![
            b(&e.id),
            b(&e.household_id),
            e.period.to_string(),
            date_text(e.evaluated_on),
            b(&e.evaluator_id),
            e.income_above_line,
            e.guarantees_consolidated,
            e.risk_eliminated,
            e.outcome.as_text(),
            e.note,
            ob(&e.corrects)
        ],
    )
}

pub(crate) fn put_plan(st: &mut Statement<'_>, p: &Plan) -> Result<()> {
    run(
        st,
        "plan",
        Some(p.id),
        params![
            b(&p.id),
            b(&p.household_id),
            date_text(p.created_on),
            enum_list_text(&p.risks),
            p.note,
            b(&p.recorded_by)
        ],
    )
}

pub(crate) fn put_measure(st: &mut Statement<'_>, m: &Measure) -> Result<()> {
    run(
        st,
        "measure",
        Some(m.id),
        params![
            b(&m.id),
            b(&m.household_id),
            ob(&m.plan_id),
            m.kind.as_text(),
            date_text(m.started_on),
            m.status.as_text(),
            m.description,
            b(&m.recorded_by)
        ],
    )
}

pub(crate) fn put_consumption_purchase(
    st: &mut Statement<'_>,
    c: &ConsumptionPurchase,
) -> Result<()> {
    run(
        st,
        "consumption_purchase",
        Some(c.id),
        params![
            b(&c.id),
            b(&c.unit_id),
            date_text(c.purchased_on),
            c.description,
            c.amount_fen,
            ob(&c.household_id)
        ],
    )
}

pub(crate) fn put_purchase_event(st: &mut Statement<'_>, e: &PurchaseEvent) -> Result<()> {
    run(
        st,
        "purchase_event",
        Some(e.id),
        params![
            b(&e.id),
            b(&e.unit_id),
            date_text(e.held_on),
            e.kind.as_text(),
            e.title
        ],
    )
}

pub(crate) fn put_sign_replacement(st: &mut Statement<'_>, s: &SignReplacement) -> Result<()> {
    run(
        st,
        "sign_replacement",
        Some(s.id),
        params![
            b(&s.id),
            b(&s.household_id),
            b(&s.pairing_id),
            date_text(s.replaced_on),
            b(&s.recorded_by)
        ],
    )
}

pub(crate) fn put_ledger_submission(st: &mut Statement<'_>, l: &LedgerSubmission) -> Result<()> {
    run(
        st,
        "ledger_submission",
        Some(l.id),
        params![
            b(&l.id),
            b(&l.unit_id),
            l.period.to_string(),
            date_text(l.submitted_on)
        ],
    )
}

pub(crate) fn put_monitoring_line(st: &mut Statement<'_>, m: &MonitoringLine) -> Result<()> {
    run(
        st,
        "monitoring_line",
        None,
        params![m.year, m.region_code, m.yuan_per_person, m.source],
    )
}
