//! The authorization matrix (issue 11, item 3): every entity kind × role × in / out of scope ×
//! write and read, over HTTP with real accounts; and the integrity holes of items 4, 5, 13, 14
//! and 15 and the ended-pairing grace of item 3.
//!
//! The expected matrix is written out below as data, not computed from the server's table, so a
//! change of the table must be made here too, on purpose.

use crate::common::api::*;
use crate::common::*;
use bangfu_core::sync::op::Operation;
use bangfu_core::sync::wire::{OpStatus, PullResponse, PushResponse};
use bangfu_server::SyncStorage;
use bangfu_server::auth::Role;
use serde_json::{Value, json};

/// The code a one-operation push answered.
fn code_of(status: u16, body: &Value) -> String {
    assert_eq!(status, 200, "{body}");
    let resp: PushResponse = serde_json::from_value(body.clone()).expect("a push response");
    let r = &resp.results[0];
    match r.status {
        OpStatus::Accepted => "A".into(),
        OpStatus::Duplicate => "duplicate".into(),
        OpStatus::Rejected => {
            let code = r.reason.as_ref().map_or("?", |x| x.code.as_str());
            match code {
                "forbidden_role" => "R".into(),
                "forbidden_scope" => "S".into(),
                "no_person" => "P".into(),
                other => other.into(),
            }
        }
    }
}

const ROLES: [Role; 6] = [
    Role::Cadre,
    Role::FirstSecretary,
    Role::TeamMember,
    Role::TownshipStation,
    Role::UnitAdmin,
    Role::CountyOffice,
];

/// Expected outcome of a creation, per kind: for each role of [`ROLES`] the answer in its own
/// scope and in a neighbour's (the county office has no neighbour). A accepted, R forbidden_role,
/// S forbidden_scope, P no_person (a field record by an account without a person).
const EXPECTED: &[(&str, &str)] = &[
    //                       cadre fs tm ts ua county
    ("area", "RR RR RR RR RR A"),
    ("unit", "RR RR RR RR RR A"),
    ("post", "RR RR RR RR RR A"),
    ("person", "RR RR RR RR RR A"),
    ("household", "RR RR RR RR RR A"),
    ("member", "AS AS AS AS RR A"),
    ("pairing", "RR AS AS AS AS A"),
    ("visit", "AS AS AS PP PP P"),
    ("contact", "AS AS AS PP PP P"),
    ("income_record", "AS AS AS PP PP P"),
    ("evaluation", "AS AS AS PP PP P"),
    ("sign_replacement", "AS AS AS PP PP P"),
    ("measure", "AS AS AS AS RR A"),
    ("plan", "AS AS AS AS RR A"),
    ("consumption_purchase", "AS AS AS AS AS A"),
    ("purchase_event", "RR RR RR SS SS A"),
    ("ledger_submission", "RR RR RR SS SS A"),
];

fn person_of(role: Role) -> Option<u128> {
    match role {
        Role::Cadre => Some(CADRE_ID),
        Role::FirstSecretary => Some(SECRETARY_ID),
        Role::TeamMember => Some(TEAM_MEMBER_ID),
        _ => None,
    }
}

/// A valid new record of `kind` for household `h` (for area-level kinds: in `h`'s township),
/// recorded by `person`; its fields and the place the server derives for it.
fn record(kind: &str, n: u128, h: u128, person: u128) -> (Value, String) {
    let hid = id(HOUSEHOLD_BASE + h);
    let hpath = path_of(h);
    let (township, township_path) = if h == 5 {
        (5u128, "360722/360722101")
    } else {
        (TOWNSHIP_ID, TOWNSHIP)
    };
    let at = |d: &str| format!("2024-05-{d}");
    let fields = match kind {
        "area" => {
            let code = format!(
                "{}9{:02}",
                township_path.rsplit('/').next().unwrap_or(""),
                n % 100
            );
            return (
                json!({"code": code, "name": "新村", "level": "village", "parent_id": id(township)}),
                format!("{township_path}/{code}"),
            );
        }
        "unit" => json!({"name": "县新单位"}),
        "post" => json!({"unit_id": id(UNIT_ID), "title": "科员"}),
        "person" => {
            json!({"name": "新干部", "unit_id": id(UNIT_ID), "roles": [{"role": "cadre", "from": "2024-01-01"}]})
        }
        "purchase_event" => {
            json!({"unit_id": id(UNIT_ID), "held_on": at("02"), "kind": "purchase", "title": "消费帮扶月"})
        }
        "ledger_submission" => {
            json!({"unit_id": id(UNIT_ID), "period": "2024-Q1", "submitted_on": at("02")})
        }
        "household" => {
            let village = if h == 5 { 6u128 } else { VILLAGE_ID };
            let new = id(HOUSEHOLD_BASE + 500 + n);
            let vpath = if h == 5 {
                "360722/360722101/360722101201"
            } else {
                VILLAGE
            };
            return (
                json!({"village_id": id(village), "head_name": "新户",
                       "class_history": [{"from": "2024-01-01", "class": "lifted"}], "risks": []}),
                format!("{vpath}/h:{new}"),
            );
        }
        "member" => json!({"household_id": hid, "name": "成员", "relation": "之子",
            "id_number": "11010519491231002X", "labour": "able",
            "school_stage": "not_in_school", "medical_insurance": "resident"}),
        "pairing" => {
            json!({"household_id": hid, "cadre_id": id(if h >= 4 { CADRE2_ID } else { CADRE_ID }),
            "start": "2024-01-01"})
        }
        "visit" => {
            let mut v = visit(h);
            v["visitor_id"] = json!(id(person));
            v
        }
        "contact" => json!({"household_id": hid, "person_id": id(person),
            "at": "2024-05-02T10:00:00+08:00", "channel": "phone"}),
        "income_record" => json!({"household_id": hid, "period": "2024-Q1",
            "collected_on": at("02"), "collector_id": id(person), "household_size": 3,
            "items": [{"category": "wage", "label": "务工", "amount_fen": 1_000_000}]}),
        "evaluation" => json!({"household_id": hid, "period": "2024-Q1",
            "evaluated_on": at("02"), "evaluator_id": id(person), "income_above_line": true,
            "guarantees_consolidated": true, "risk_eliminated": true, "outcome": "continue"}),
        "sign_replacement" => json!({"household_id": hid, "pairing_id": id(PAIRING_BASE + h),
            "replaced_on": at("02"), "recorded_by": id(person)}),
        "measure" => json!({"household_id": hid, "kind": "industry", "started_on": at("02"),
            "status": "planned", "recorded_by": id(person)}),
        "plan" => json!({"household_id": hid, "created_on": at("02"), "risks": ["illness"],
            "recorded_by": id(person)}),
        "consumption_purchase" => json!({"unit_id": id(UNIT_ID), "purchased_on": at("02"),
            "description": "大米", "amount_fen": 10_000, "household_id": hid}),
        other => panic!("no fixture for {other}"),
    };
    let path = if matches!(
        kind,
        "unit" | "post" | "person" | "purchase_event" | "ledger_submission"
    ) {
        COUNTY.to_owned()
    } else {
        hpath
    };
    (fields, path)
}

/// Households each role reads (indexes into the seed's 0..=5).
fn reads(role: Role) -> &'static [u128] {
    match role {
        Role::Cadre | Role::UnitAdmin => &[0, 1, 2, 3],
        Role::FirstSecretary | Role::TeamMember => &[0, 2, 4],
        Role::TownshipStation => &[0, 1, 2, 3, 4],
        Role::CountyOffice => &[0, 1, 2, 3, 4, 5],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_entity_kind_role_and_scope_is_written_and_read_as_the_table_says() {
    let api = Api::start().await;
    let admin = api.admin();
    let mut n = 0u128;
    let mut failures = Vec::new();
    // (kind, household) of every record a role wrote, to check the reads after.
    let mut written: Vec<(String, Option<u128>, u64)> = Vec::new();
    let mut tokens = Vec::new();
    for (k, role) in ROLES.into_iter().enumerate() {
        let mut dev = HandDevice::new(500 + k as u128);
        if let Some(p) = person_of(role) {
            dev.author = id(p);
        }
        let token = api
            .account(
                &admin,
                role_account(role, &format!("matrix-{role}")),
                dev.id,
            )
            .await;
        let (own, neighbour) = match role {
            Role::Cadre | Role::UnitAdmin => (0, Some(4)),
            Role::FirstSecretary | Role::TeamMember => (0, Some(1)),
            Role::TownshipStation => (1, Some(5)),
            Role::CountyOffice => (5, None),
        };
        for (kind, expected) in EXPECTED {
            let cells: Vec<&str> = expected.split(' ').collect();
            let want = cells[k];
            for (i, h) in [Some(own), neighbour].into_iter().enumerate() {
                let Some(h) = h else { continue };
                n += 1;
                let person = person_of(role).unwrap_or(CADRE_ID);
                let (fields, path) = record(kind, n, h, person);
                let entity_id = if *kind == "household" {
                    id(HOUSEHOLD_BASE + 500 + n)
                } else {
                    id(60_000_000 + n)
                };
                let op = dev.op(kind, entity_id, true, fields, &path);
                let before = api.ops();
                let (status, body) = api.push(&token, &dev, vec![op]).await;
                let got = code_of(status, &body);
                let want_cell = &want[i..=i];
                if got != want_cell {
                    failures.push(format!(
                        "{kind} by {role} in {} scope: want {want_cell}, got {got} ({body})",
                        if i == 0 { "its own" } else { "a neighbour's" }
                    ));
                }
                if got == "A" {
                    assert_eq!(api.ops(), before + 1);
                    let household = match *kind {
                        "unit" | "post" | "person" | "purchase_event" | "ledger_submission" => None,
                        _ => Some(h),
                    };
                    written.push((kind.to_string(), household, api.ops()));
                } else {
                    assert_eq!(api.ops(), before, "a refused operation writes nothing");
                }
            }
        }
        tokens.push((role, token));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Reads: every role's feed holds exactly the records of the households it reads, and the
    // county's lists (areas above it, units, posts, people) — whoever wrote them.
    for (role, token) in &tokens {
        let (status, body) = api.get(Some(token), "/v1/pull?after=0&limit=10000").await;
        assert_eq!(status, 200, "{body}");
        let page: PullResponse = serde_json::from_value(body).expect("page");
        let seqs: std::collections::HashSet<u64> =
            page.entries.iter().map(|e| e.server_seq).collect();
        for (kind, household, seq) in &written {
            if kind == "area" || kind == "household" {
                continue; // new areas and households lie outside every other scope
            }
            let want = household.is_none_or(|h| reads(*role).contains(&h));
            assert_eq!(
                seqs.contains(seq),
                want,
                "{role} reading a {kind} of household {household:?}"
            );
        }
    }
}

/// A cadre's device and token; `dev.author` is the cadre.
async fn cadre(api: &Api, admin: &str, n: u128, username: &str) -> (HandDevice, String) {
    let mut dev = HandDevice::new(n);
    dev.author = id(CADRE_ID);
    let token = api
        .account(admin, role_account(Role::Cadre, username), dev.id)
        .await;
    (dev, token)
}

/// Pushes one operation and answers its code ("A" for accepted).
async fn push_one(api: &Api, token: &str, dev: &HandDevice, op: Operation) -> String {
    let (status, body) = api.push(token, dev, vec![op]).await;
    code_of(status, &body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cadre_cannot_regain_a_household_by_editing_her_pairing_and_the_grace_follows_the_server()
{
    let api = Api::start().await;
    let admin = api.admin();
    let (mut dev, token) = cadre(&api, &admin, 600, "ganbu").await;
    // Her device is served its feed while paired with household 0.
    let (status, _) = api.get(Some(&token), "/v1/pull?after=0").await;
    assert_eq!(status, 200);

    // The county ends the pairing of household 0 yesterday.
    let mut office = HandDevice::new(601);
    let office_token = api
        .sign_in("admin", PASSWORD, office.id)
        .await
        .expect("office");
    let yesterday = bangfu_server::http::auth::china_today(bangfu_server::now_ms())
        .pred_opt()
        .expect("a day before");
    let end = office.op(
        "pairing",
        id(PAIRING_BASE),
        false,
        json!({"end": yesterday, "end_reason": "department_change"}),
        &path_of(0),
    );
    assert_eq!(push_one(&api, &office_token, &office, end).await, "A");

    // She extends it to 2099 with a back-dated time: refused, whatever the clock says.
    let mut extend = dev.op(
        "pairing",
        id(PAIRING_BASE),
        false,
        json!({"end": "2099-12-31"}),
        &path_of(0),
    );
    extend.recorded_at = "2020-01-01T10:00:00+08:00".parse().expect("time");
    assert_eq!(push_one(&api, &token, &dev, extend).await, "R");

    // A visit she recorded offline while paired still reaches the server: the server served
    // her device a feed with household 0 and has not yet served it one without.
    let offline = visit_of(&mut dev, 1, 0, CADRE_ID);
    assert_eq!(push_one(&api, &token, &dev, offline).await, "A");
    // Edits of the household are not field records: no grace for them.
    let edit = dev.op(
        "household",
        id(HOUSEHOLD_BASE),
        false,
        json!({"phone": "13800000000"}),
        &path_of(0),
    );
    assert_eq!(push_one(&api, &token, &dev, edit).await, "S");

    // Once her device has been served the feed without household 0, the grace is over — even
    // for a visit that claims to be recorded long ago.
    let (status, _) = api.get(Some(&token), "/v1/pull?after=0").await;
    assert_eq!(status, 200);
    let mut late = visit_of(&mut dev, 2, 0, CADRE_ID);
    late.recorded_at = "2024-05-01T10:00:00+08:00".parse().expect("time");
    assert_eq!(push_one(&api, &token, &dev, late).await, "S");
    // Her other households are untouched.
    let other = visit_of(&mut dev, 3, 2, CADRE_ID);
    assert_eq!(push_one(&api, &token, &dev, other).await, "A");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claimed_path_never_refiles_a_record_and_the_feed_follows_the_household() {
    let api = Api::start().await;
    let admin = api.admin();
    let (_, cadre_token) = cadre(&api, &admin, 700, "ganbu").await;
    let mut sec = HandDevice::new(701);
    sec.author = id(SECRETARY_ID);
    let sec_token = api
        .account(&admin, role_account(Role::FirstSecretary, "shuji"), sec.id)
        .await;
    // The first secretary labels household 0 (her village, paired with the cadre) with the path
    // of household 2, and a visit of household 0 likewise: both refused, nothing re-filed.
    let edit = sec.op(
        "household",
        id(HOUSEHOLD_BASE),
        false,
        json!({"phone": "13900000000"}),
        &path_of(2),
    );
    assert_eq!(
        push_one(&api, &sec_token, &sec, edit).await,
        "scope_path_mismatch"
    );
    let mut v = visit(0);
    v["visitor_id"] = json!(id(SECRETARY_ID));
    let visit_op = sec.op("visit", id(VISIT_BASE + 7), true, v, &path_of(2));
    assert_eq!(
        push_one(&api, &sec_token, &sec, visit_op).await,
        "scope_path_mismatch"
    );
    // The cadre still reads household 0 where it is, and can still write it.
    let paths = api.feed_paths(&cadre_token).await;
    assert!(paths.contains(&path_of(0)));

    // The county moves household 1 from VILLAGE2 into VILLAGE (合村并组): the first secretary
    // of VILLAGE, whose feed started before, is told to start over and then receives the
    // household's whole history, not only the move.
    let (status, body) = api.get(Some(&sec_token), "/v1/pull?after=0").await;
    assert_eq!(status, 200);
    let cursor = body["cursor"].as_u64().expect("cursor");
    let mut office = HandDevice::new(702);
    let office_token = api
        .sign_in("admin", PASSWORD, office.id)
        .await
        .expect("office");
    let moved_path = format!("{VILLAGE}/h:{}", id(HOUSEHOLD_BASE + 1));
    // Later than the seed, so that the move wins the merge.
    office.clock = Clock::Steps(bangfu_server::now_ms());
    let mv = office.op(
        "household",
        id(HOUSEHOLD_BASE + 1),
        false,
        json!({"village_id": id(VILLAGE_ID)}),
        &moved_path,
    );
    assert_eq!(push_one(&api, &office_token, &office, mv).await, "A");
    let (status, body) = api
        .get(Some(&sec_token), &format!("/v1/pull?after={cursor}"))
        .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("scope_grew")));
    let (status, body) = api.get(Some(&sec_token), "/v1/pull?after=0").await;
    assert_eq!(status, 200);
    let page: PullResponse = serde_json::from_value(body).expect("page");
    let of_household: Vec<&Operation> = page
        .entries
        .iter()
        .map(|e| &e.op)
        .filter(|o| {
            o.entity_id == id(HOUSEHOLD_BASE + 1)
                || o.fields.get("household_id") == Some(&json!(id(HOUSEHOLD_BASE + 1)))
        })
        .collect();
    assert!(
        of_household
            .iter()
            .any(|o| o.create && o.entity == "household"),
        "the household's creation (made under its old path) is sent"
    );
    assert!(
        of_household.iter().any(|o| o.entity == "pairing"),
        "and its pairing"
    );
    // Her next pull does not start over again.
    let cursor = page.cursor;
    let (status, _) = api
        .get(Some(&sec_token), &format!("/v1/pull?after={cursor}"))
        .await;
    assert_eq!(status, 200);
    // Its records now lie in VILLAGE: she may write them; the old path is refused.
    let mut v = visit(1);
    v["visitor_id"] = json!(id(SECRETARY_ID));
    let old = sec.op("visit", id(VISIT_BASE + 8), true, v.clone(), &path_of(1));
    assert_eq!(
        push_one(&api, &sec_token, &sec, old).await,
        "scope_path_mismatch"
    );
    let new = sec.op("visit", id(VISIT_BASE + 9), true, v, &moved_path);
    assert_eq!(push_one(&api, &sec_token, &sec, new).await, "A");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrections_ids_and_resends_cannot_reach_other_records() {
    let api = Api::start().await;
    let admin = api.admin();
    let (mut dev, token) = cadre(&api, &admin, 800, "ganbu").await;
    let own = visit_of(&mut dev, 1, 0, CADRE_ID);
    assert_eq!(push_one(&api, &token, &dev, own.clone()).await, "A");
    // Another cadre's visit of household 4 (another township's cadre 21 shares VILLAGE).
    let mut office = HandDevice::new(801);
    let office_token = api
        .sign_in("admin", PASSWORD, office.id)
        .await
        .expect("office");
    let mut other_dev = HandDevice::new(802);
    other_dev.author = id(CADRE2_ID);
    let mut acc = role_account(Role::Cadre, "lisi");
    acc["person_id"] = json!(id(CADRE2_ID));
    let other_token = api.account(&admin, acc, other_dev.id).await;
    let theirs = visit_of(&mut other_dev, 2, 4, CADRE2_ID);
    assert_eq!(push_one(&api, &other_token, &other_dev, theirs).await, "A");

    // Item 5: a correction naming a visit of another household is refused …
    let mut fix = visit(0);
    fix["corrects"] = json!(id(VISIT_BASE + 2));
    fix["correction_reason"] = json!("走访日期填错了");
    let op = dev.op("visit", id(VISIT_BASE + 3), true, fix, &path_of(0));
    assert_eq!(push_one(&api, &token, &dev, op).await, "bad_correction");
    // … and so is one naming a record of another kind (the household itself: the validators
    // already knew that one).
    let mut fix = visit(0);
    fix["corrects"] = json!(id(HOUSEHOLD_BASE));
    fix["correction_reason"] = json!("走访日期填错了");
    let op = dev.op("visit", id(VISIT_BASE + 4), true, fix, &path_of(0));
    assert_eq!(push_one(&api, &token, &dev, op).await, "corrects_unknown");
    // A correction of her own visit is accepted.
    let mut fix = visit(0);
    fix["corrects"] = json!(id(VISIT_BASE + 1));
    fix["correction_reason"] = json!("走访日期填错了");
    let op = dev.op("visit", id(VISIT_BASE + 5), true, fix, &path_of(0));
    assert_eq!(push_one(&api, &token, &dev, op).await, "A");

    // Item 14: a visit carrying a household's id is refused; the household stays as it was.
    let before = api.storage.entity_states().expect("states");
    let op = dev.op("visit", id(HOUSEHOLD_BASE), true, visit(0), &path_of(0));
    assert_eq!(push_one(&api, &token, &dev, op).await, "id_taken");
    // A household edit by the county carrying a visit's id is refused too.
    let op = office.op(
        "member",
        id(VISIT_BASE + 1),
        true,
        json!({"household_id": id(HOUSEHOLD_BASE), "name": "成员", "relation": "之子",
               "id_number": "11010519491231002X", "labour": "able",
               "school_stage": "not_in_school", "medical_insurance": "resident"}),
        &path_of(0),
    );
    assert_eq!(push_one(&api, &office_token, &office, op).await, "id_taken");
    assert_eq!(api.storage.entity_states().expect("states"), before);

    // Item 15: the accepted visit re-sent with changed content is no duplicate: refused, kept,
    // and the stored one stays.
    let mut changed = own.clone();
    changed
        .fields
        .insert("problems".into(), json!("改过的内容"));
    let (status, body) = api.push(&token, &dev, vec![changed]).await;
    assert_eq!(code_of(status, &body), "changed_resend");
    let (status, body) = api.push(&token, &dev, vec![own.clone()]).await;
    assert_eq!(code_of(status, &body), "duplicate", "the same re-send is");
    let states = api.storage.entity_states().expect("states");
    let stored = &states[&("visit".to_owned(), id(VISIT_BASE + 1))];
    assert_eq!(stored.winners["problems"], own.fields["problems"]);
    let kept = api.storage.rejected(Some(dev.id)).expect("rejected");
    assert!(kept.iter().any(|r| r.code == "changed_resend"));
}

/// A correction of a visit pushed over HTTP as a hand-made operation, by `dev` (authored as
/// `dev.author`), naming `original`, with `visitor` as its visitor.
fn correction_of(
    dev: &mut HandDevice,
    n: u128,
    h: u128,
    original: u128,
    visitor: u128,
) -> Operation {
    let mut fix = visit(h);
    fix["visitor_id"] = json!(id(visitor));
    fix["problems"] = json!("更正后的问题");
    fix["corrects"] = json!(id(VISIT_BASE + original));
    fix["correction_reason"] = json!("漏记了问题");
    dev.op("visit", id(VISIT_BASE + n), true, fix, &path_of(h))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correction_is_made_by_the_author_of_the_record_it_corrects() {
    let api = Api::start().await;
    let admin = api.admin();
    let (mut dev, token) = cadre(&api, &admin, 900, "ganbu").await;
    let mine = visit_of(&mut dev, 1, 0, CADRE_ID);
    assert_eq!(push_one(&api, &token, &dev, mine).await, "A");
    // The first secretary of VILLAGE writes household 0 (her village), but did not make the
    // visit: her correction of it is refused, with a Chinese reason, and kept as refused.
    let mut sec = HandDevice::new(901);
    sec.author = id(SECRETARY_ID);
    let sec_token = api
        .account(&admin, role_account(Role::FirstSecretary, "shuji"), sec.id)
        .await;
    let hers = correction_of(&mut sec, 2, 0, 1, SECRETARY_ID);
    let (status, body) = api.push(&sec_token, &sec, vec![hers]).await;
    assert_eq!(code_of(status, &body), "not_author_of_corrected");
    let resp: PushResponse = serde_json::from_value(body).expect("a push response");
    let reason = resp.results[0].reason.as_ref().expect("a reason");
    assert!(reason.message.contains("记录人本人"), "{}", reason.message);
    // Nor may she pass it off as the cadre's (the visitor named is the original's).
    let forged = correction_of(&mut sec, 3, 0, 1, CADRE_ID);
    assert_eq!(
        push_one(&api, &sec_token, &sec, forged).await,
        "not_author_of_corrected"
    );
    // Another cadre's visit (cadre 21's, household 4 in her village): refused to her as well.
    let mut other_dev = HandDevice::new(902);
    other_dev.author = id(CADRE2_ID);
    let mut acc = role_account(Role::Cadre, "lisi");
    acc["person_id"] = json!(id(CADRE2_ID));
    let other_token = api.account(&admin, acc, other_dev.id).await;
    let theirs = visit_of(&mut other_dev, 4, 4, CADRE2_ID);
    assert_eq!(push_one(&api, &other_token, &other_dev, theirs).await, "A");
    let hers = correction_of(&mut sec, 5, 4, 4, SECRETARY_ID);
    assert_eq!(
        push_one(&api, &sec_token, &sec, hers).await,
        "not_author_of_corrected"
    );
    let states = api.storage.entity_states().expect("states");
    for n in [2, 3, 5] {
        assert!(
            !states.contains_key(&("visit".to_owned(), id(VISIT_BASE + n))),
            "refused correction {n} was not stored"
        );
    }
    let kept = api.storage.rejected(Some(sec.id)).expect("rejected");
    assert_eq!(
        kept.iter()
            .filter(|r| r.code == "not_author_of_corrected")
            .count(),
        3
    );

    // The cadre's own correction of her visit is accepted, and so is a correction of that
    // correction (the chain stays hers).
    let own = correction_of(&mut dev, 6, 0, 1, CADRE_ID);
    assert_eq!(push_one(&api, &token, &dev, own).await, "A");
    let again = correction_of(&mut dev, 7, 0, 6, CADRE_ID);
    assert_eq!(push_one(&api, &token, &dev, again).await, "A");
    // Her correction that names someone else as the visitor is refused.
    let renamed = correction_of(&mut dev, 8, 0, 7, SECRETARY_ID);
    assert_eq!(
        push_one(&api, &token, &dev, renamed).await,
        "not_author_of_corrected"
    );
}
