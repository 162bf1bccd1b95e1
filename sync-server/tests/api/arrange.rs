//! R6 over HTTP: a pairing arranged by the village's first secretary (`arranged_by`, as the
//! field app's `arrange_pairing` records it) is accepted in her village and refused outside it,
//! and the cadre's next pull brings her the household.

use crate::common::api::*;
use crate::common::*;
use bangfu_core::sync::wire::{OpStatus, PullResponse, PushResponse};
use bangfu_server::auth::Role;
use serde_json::{Value, json};

fn code_of(status: u16, body: &Value) -> String {
    assert_eq!(status, 200, "{body}");
    let resp: PushResponse = serde_json::from_value(body.clone()).expect("a push response");
    let r = &resp.results[0];
    match r.status {
        OpStatus::Accepted => "A".into(),
        OpStatus::Duplicate => "duplicate".into(),
        OpStatus::Rejected => r.reason.as_ref().map_or("?", |x| x.code.as_str()).into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r6_a_pairing_arranged_by_the_first_secretary_is_accepted_and_reaches_the_cadre() {
    let api = Api::start().await;
    let admin = api.admin();
    let today = bangfu_server::http::auth::china_today(bangfu_server::now_ms());
    let yesterday = today.pred_opt().expect("a day before");

    // Household 4 (VILLAGE, paired with cadre 21) loses its cadre yesterday.
    let mut office = HandDevice::new(700);
    let office_token = api
        .sign_in("admin", PASSWORD, office.id)
        .await
        .expect("office");
    let end = office.op(
        "pairing",
        id(PAIRING_BASE + 4),
        false,
        json!({"end": yesterday, "end_reason": "department_change"}),
        &path_of(4),
    );
    let (status, body) = api.push(&office_token, &office, vec![end]).await;
    assert_eq!(code_of(status, &body), "A");

    // The cadre of unit 10 does not read household 4 yet.
    let mut cadre_dev = HandDevice::new(701);
    cadre_dev.author = id(CADRE_ID);
    let cadre_token = api
        .account(&admin, role_account(Role::Cadre, "r6-ganbu"), cadre_dev.id)
        .await;
    let household4 = id(HOUSEHOLD_BASE + 4);
    let reads_household4 = |body: Value| {
        let page: PullResponse = serde_json::from_value(body).expect("page");
        page.entries
            .iter()
            .any(|e| e.op.entity == "household" && e.op.entity_id == household4)
    };
    let (status, body) = api
        .get(Some(&cadre_token), "/v1/pull?after=0&limit=10000")
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(!reads_household4(body));

    // The first secretary arranges cadre 20 for it, from today.
    let mut fs_dev = HandDevice::new(702);
    fs_dev.author = id(SECRETARY_ID);
    let fs_token = api
        .account(
            &admin,
            role_account(Role::FirstSecretary, "r6-shuji"),
            fs_dev.id,
        )
        .await;
    let pairing = id(PAIRING_BASE + 40);
    let arranged = fs_dev.op(
        "pairing",
        pairing,
        true,
        json!({"household_id": household4, "cadre_id": id(CADRE_ID), "start": today,
               "arranged_by": id(SECRETARY_ID)}),
        &path_of(4),
    );
    let (status, body) = api.push(&fs_token, &fs_dev, vec![arranged]).await;
    assert_eq!(code_of(status, &body), "A");

    // Outside her village (household 5, another township) the same is refused.
    let elsewhere = fs_dev.op(
        "pairing",
        id(PAIRING_BASE + 41),
        true,
        json!({"household_id": id(HOUSEHOLD_BASE + 5), "cadre_id": id(CADRE_ID),
               "start": today, "arranged_by": id(SECRETARY_ID)}),
        &path_of(5),
    );
    let (status, body) = api.push(&fs_token, &fs_dev, vec![elsewhere]).await;
    assert_eq!(code_of(status, &body), "forbidden_scope");

    // The cadre's next pull brings the household and its new pairing.
    let (status, body) = api
        .get(Some(&cadre_token), "/v1/pull?after=0&limit=10000")
        .await;
    assert_eq!(status, 200, "{body}");
    let page: PullResponse = serde_json::from_value(body.clone()).expect("page");
    assert!(
        page.entries
            .iter()
            .any(|e| e.op.entity == "pairing" && e.op.entity_id == pairing)
    );
    assert!(reads_household4(body));
}
