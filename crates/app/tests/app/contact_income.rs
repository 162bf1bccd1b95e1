//! Contacts (never a visit) and the quarterly income form.

use bangfu_app::contact::ContactInput;
use bangfu_app::household::{HouseholdPageQuery, TimelineEntry};
use bangfu_app::income::{IncomeFormQuery, IncomeInput, IncomeItemInput, WindowState};
use bangfu_app::tasks::{TaskKind, TasksQuery};
use bangfu_core::{Assistance, Quarter};
use bangfu_core::{ContactChannel, IncomeCategory};

use crate::common::{self, Who, d};

#[test]
fn a_contact_is_recorded_and_never_counts_as_a_visit() {
    let mut f = common::fixture(Who::Cadre);
    let before = f.app.my_tasks(TasksQuery::default()).expect("tasks");
    let visit_due = before
        .tasks
        .iter()
        .find(|t| t.kind == TaskKind::Visit && t.mine && t.household_id.is_some())
        .expect("a visit owed")
        .clone();
    let hid = visit_due.household_id.expect("household");
    let saved = f
        .app
        .record_contact(ContactInput {
            household_id: hid,
            channel: ContactChannel::Phone,
            at: None,
            note: "电话询问近况".into(),
        })
        .expect("contact");
    let page = f
        .app
        .household_page(HouseholdPageQuery { household_id: hid })
        .expect("page");
    assert!(page.timeline.iter().any(|e| matches!(e, TimelineEntry::Contact(c) if c.id == saved.id && c.channel == ContactChannel::Phone)));
    assert_eq!(page.unsynced, 1);
    let after = f.app.my_tasks(TasksQuery::default()).expect("tasks");
    assert!(
        after.tasks.iter().any(|t| t.key == visit_due.key),
        "the visit is still owed"
    );

    // Bad input: a time in the future, an unreadable time.
    let e = f
        .app
        .record_contact(ContactInput {
            household_id: hid,
            channel: ContactChannel::SocialMedia,
            at: Some("2031-01-01T10:00:00+08:00".into()),
            note: String::new(),
        })
        .expect_err("refused");
    assert_eq!(e.body().fields[0].code, "in_future");
    let e = f
        .app
        .record_contact(ContactInput {
            household_id: hid,
            channel: ContactChannel::Network,
            at: Some("昨天".into()),
            note: String::new(),
        })
        .expect_err("refused");
    assert_eq!(e.body().fields[0].code, "bad_time");
    assert_eq!(
        f.app.store().unsynced_count_for_household(hid).expect("n"),
        1
    );
}

/// A household monitored on `day` and paired with the cadre.
fn monitored_household(f: &common::Fixture, day: chrono::NaiveDate) -> uuid::Uuid {
    let ds = f.ds();
    ds.pairings
        .iter()
        .filter(|p| p.cadre_id == f.me && p.active_on(day))
        .map(|p| p.household_id)
        .find(|h| {
            ds.households
                .iter()
                .any(|x| x.id == *h && x.assistance_on(day) == Some(Assistance::Monitored))
        })
        .expect("a monitored household of the cadre")
}

fn input(hid: uuid::Uuid, quarter: &str, wage_fen: i64, size: u32) -> IncomeInput {
    IncomeInput {
        household_id: hid,
        quarter: quarter.into(),
        household_size: size,
        items: vec![
            IncomeItemInput {
                category: IncomeCategory::Wage,
                label: "外出务工收入".into(),
                amount_fen: wage_fen,
            },
            IncomeItemInput {
                category: IncomeCategory::Transfer,
                label: "养老金".into(),
                amount_fen: 0,
            },
        ],
        business_cost_fen: 0,
        insurance_payout_fen: 0,
        out_of_pocket_fen: 0,
        rigid_expense_fen: 0,
        corrects: None,
    }
}

/// The demo cadre with a monitored household (income is collected for monitored households).
fn cadre_with_monitored(day: chrono::NaiveDate) -> (common::Fixture, uuid::Uuid) {
    let f = common::fixture_on(Who::Cadre, day);
    let hid = monitored_household(&f, day);
    (f, hid)
}

#[test]
fn the_income_window_is_upcoming_open_then_overdue() {
    let (f, hid) = cadre_with_monitored(d("2025-12-20"));
    let form = f
        .app
        .income_form(IncomeFormQuery {
            household_id: hid,
            quarter: None,
        })
        .expect("form");
    assert_eq!(form.quarter, "2025-Q4");
    assert_eq!(
        (form.window_opens, form.window_closes),
        (d("2025-12-25"), d("2026-01-05"))
    );
    assert_eq!(form.window_state, WindowState::Upcoming);
    assert_eq!(form.categories.len(), 4);
    assert!(form.categories.iter().all(|c| !c.items.is_empty()));
    assert!(
        form.line_yuan.is_some(),
        "the demo has a monitoring line for 2025"
    );
    assert!(form.household_size >= 1);
    f.clock
        .set(chrono::DateTime::parse_from_rfc3339("2025-12-26T10:00:00+08:00").expect("t"));
    let form = f
        .app
        .income_form(IncomeFormQuery {
            household_id: hid,
            quarter: None,
        })
        .expect("form");
    assert_eq!(form.window_state, WindowState::Open);
    f.clock
        .set(chrono::DateTime::parse_from_rfc3339("2026-01-06T10:00:00+08:00").expect("t"));
    let form = f
        .app
        .income_form(IncomeFormQuery {
            household_id: hid,
            quarter: Some("2025-Q4".into()),
        })
        .expect("form");
    assert_eq!(form.window_state, WindowState::Overdue);
    // On Jan 3 the quarter being collected is still last year's Q4.
    assert_eq!(
        bangfu_app::income::collection_quarter(d("2026-01-03")),
        Quarter { year: 2025, q: 4 }
    );
    let e = f
        .app
        .income_form(IncomeFormQuery {
            household_id: hid,
            quarter: Some("2025-Q5".into()),
        })
        .expect_err("refused");
    assert_eq!(e.body().fields[0].code, "bad_quarter");
}

#[test]
fn income_preview_computes_live_and_warns_below_the_line() {
    let (mut f, hid) = cadre_with_monitored(d("2025-12-26"));
    let p = f
        .app
        .income_preview(input(hid, "2025-Q4", 1_200_000, 3))
        .expect("preview");
    assert_eq!(p.wage_fen, 1_200_000);
    assert_eq!(p.net_fen, 1_200_000);
    assert_eq!(p.net_per_capita_fen, 400_000);
    assert!(p.errors.is_empty());
    // A very low income for a large household is below the line (annualised by the D3 rule
    // over the last four quarters) and a sharp drop from the quarter before.
    let low = f
        .app
        .income_preview(input(hid, "2025-Q4", 10_000, 50))
        .expect("preview");
    assert!(
        low.warnings.iter().any(|w| w.code == "income_drop_quarter"),
        "{:?}",
        low.warnings
    );
    assert!(
        low.warnings.iter().any(|w| w.code == "income_below_line"
            && w.message.contains("低于监测范围")
            && !w.what_to_do.is_empty()),
        "{:?}",
        low.warnings
    );
    // Negative income: the field and what to do; nothing saved.
    let bad = f
        .app
        .income_preview(input(hid, "2025-Q4", -5, 3))
        .expect("preview");
    assert_eq!(bad.errors[0].field, "items[0].amount_fen");
    assert_eq!(bad.errors[0].code, "negative_money");
    assert!(bad.errors[0].message.contains("不能为负数"));
    let e = f
        .app
        .income_save(input(hid, "2025-Q4", -5, 0))
        .expect_err("refused");
    assert_eq!(e.code(), "invalid");
    let codes: Vec<String> = e.body().fields.iter().map(|f| f.code.clone()).collect();
    assert!(
        codes.contains(&"negative_money".to_owned())
            && codes.contains(&"household_size_zero".to_owned()),
        "{codes:?}"
    );
    assert_eq!(
        f.app.store().unsynced_count_for_household(hid).expect("n"),
        0
    );

    // Saved: the D3 task of the quarter is done, the form shows the record.
    let before = f.app.my_tasks(TasksQuery::default()).expect("tasks");
    assert!(before.tasks.iter().any(|t| t.kind == TaskKind::Income
        && t.household_id == Some(hid)
        && t.period == "2025-Q4"));
    let saved = f
        .app
        .income_save(input(hid, "2025-Q4", 1_200_000, 3))
        .expect("save");
    let rec = f
        .app
        .store()
        .get_income_record(saved.id)
        .expect("get")
        .expect("record");
    assert_eq!(rec.items.len(), 1, "lines left at 0 are not kept");
    let after = f.app.my_tasks(TasksQuery::default()).expect("tasks");
    assert!(!after.tasks.iter().any(|t| t.kind == TaskKind::Income
        && t.household_id == Some(hid)
        && t.period == "2025-Q4"));
    let form = f
        .app
        .income_form(IncomeFormQuery {
            household_id: hid,
            quarter: Some("2025-Q4".into()),
        })
        .expect("form");
    assert_eq!(form.window_state, WindowState::Collected);
    assert_eq!(form.collected.as_ref().map(|c| c.id), Some(saved.id));
    // A correction is a new record naming the old one.
    let mut corr = input(hid, "2025-Q4", 1_500_000, 3);
    corr.corrects = Some(saved.id);
    let c = f.app.income_save(corr).expect("correction");
    let form = f
        .app
        .income_form(IncomeFormQuery {
            household_id: hid,
            quarter: Some("2025-Q4".into()),
        })
        .expect("form");
    assert_eq!(form.collected.map(|r| r.id), Some(c.id));
    f.clock.advance(chrono::Duration::days(1));
}

#[test]
fn a_sharp_drop_is_warned() {
    let (f, hid) = cadre_with_monitored(d("2025-12-26"));
    let ds = f.ds();
    // The household's Q3 net income, if the demo recorded one.
    let q3: Option<i64> = ds
        .income_records
        .iter()
        .filter(|r| r.household_id == hid && r.period == Quarter { year: 2025, q: 3 })
        .map(|r| bangfu_core::income::IncomeTotals::of(r).net_fen)
        .next_back();
    let Some(q3) = q3.filter(|n| *n > 1000) else {
        return; // nothing to drop from in this demo household
    };
    let p = f
        .app
        .income_preview(input(hid, "2025-Q4", q3 / 4, 3))
        .expect("preview");
    assert!(
        p.warnings.iter().any(|w| w.code == "income_drop_quarter"),
        "{:?}",
        p.warnings
    );
}

#[test]
fn a_saved_contact_and_income_record_are_committed_to_survive_a_power_cut() {
    // In WAL mode only `synchronous = FULL` (or EXTRA) puts a commit on disk before it returns;
    // at NORMAL a power cut may take back what the user was told was saved.
    let (mut f, hid) = cadre_with_monitored(d("2025-12-26"));
    common::watch_synchronous(&f.app);
    f.app
        .record_contact(ContactInput {
            household_id: hid,
            channel: ContactChannel::Phone,
            at: None,
            note: "电话询问近况".into(),
        })
        .expect("contact");
    f.app
        .income_save(input(hid, "2025-Q4", 1_200_000, 3))
        .expect("income");
    let levels = common::synchronous_levels(&f.app);
    let kinds: Vec<&str> = levels.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(kinds, ["contact", "income_record"]);
    assert!(levels.iter().all(|(_, l)| *l >= 2), "{levels:?}");
}
