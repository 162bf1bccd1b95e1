//! Accounts over HTTP: a cadre writing for a household she is not paired with (refused per
//! operation, the rest of the batch stored), a revoked device, a disabled account, an expired, a
//! forged and a missing token, throttled sign-ins. The matrix of every entity kind × role × in /
//! out of scope is in `authz.rs`.

use std::sync::Arc;

use crate::common::api::*;
use crate::common::*;
use bangfu_core::sync::wire::{OpStatus, PushResponse};
use bangfu_server::auth::{AccessStorage, Role};
use bangfu_server::{ServerConfig, SqliteStorage, SyncStorage};
use serde_json::{Value, json};

/// The codes a push answered, per operation in order.
fn codes(body: &Value) -> Vec<String> {
    let resp: PushResponse = serde_json::from_value(body.clone()).expect("a push response");
    resp.results
        .iter()
        .flat_map(|r| {
            let code = match r.status {
                OpStatus::Accepted => "accepted".to_owned(),
                OpStatus::Duplicate => "duplicate".to_owned(),
                OpStatus::Rejected => r.reason.as_ref().map_or("?".into(), |x| x.code.clone()),
            };
            (r.first_seq..=r.last_seq).map(move |_| code.clone())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cadre_cannot_write_for_an_unpaired_household_by_any_path() {
    let api = Api::start().await;
    let admin = api.admin();
    let mut dev = HandDevice::new(200);
    dev.author = id(CADRE_ID);
    let token = api
        .account(&admin, role_account(Role::Cadre, "zhangsan"), dev.id)
        .await;
    let before = api.ops();

    // Household 4 is cadre 21's: claiming her own household's path does not help — the server
    // places the visit by the household it names.
    let mut fields = visit(0);
    fields["household_id"] = json!(id(HOUSEHOLD_BASE + 4));
    let forged = dev.op("visit", id(VISIT_BASE + 900), true, fields, &path_of(0));
    // Editing household 4 itself under a false path, and under its true one.
    let edit = dev.op(
        "household",
        id(HOUSEHOLD_BASE + 4),
        false,
        json!({"head_name": "改"}),
        &path_of(0),
    );
    let edit_true = dev.op(
        "household",
        id(HOUSEHOLD_BASE + 4),
        false,
        json!({"head_name": "改"}),
        &path_of(4),
    );
    // One bad operation in a batch refuses that operation only: the good ones go in.
    let good = visit_of(&mut dev, 901, 0, CADRE_ID);
    let bad = visit_of(&mut dev, 902, 4, CADRE_ID);
    // Another author than the signed-in cadre.
    let mut other = visit_of(&mut dev, 903, 0, CADRE_ID);
    other.author = id(CADRE2_ID);
    let good2 = visit_of(&mut dev, 904, 0, CADRE_ID);
    let (status, body) = api
        .push(
            &token,
            &dev,
            vec![forged, edit, edit_true, good, bad, other, good2],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        codes(&body),
        [
            "scope_path_mismatch",
            "scope_path_mismatch",
            "forbidden_scope",
            "accepted",
            "forbidden_scope",
            "wrong_author",
            "accepted"
        ],
        "{body}"
    );
    assert_eq!(api.ops(), before + 2, "only the two good visits are stored");
    // The refusals are kept on the server with their reasons, and the device's seq moved on.
    let rejected = api.storage.rejected(Some(dev.id)).expect("rejected");
    assert_eq!(rejected.len(), 5);
    assert_eq!(api.storage.device_seq(dev.id).expect("seq"), dev.seq);
    // Supervisors see them in words, with the record named but not its content.
    let (status, listed) = api
        .get(
            Some(&admin),
            &format!("/v1/admin/rejected?device={}", dev.id),
        )
        .await;
    assert_eq!(status, 200, "{listed}");
    let listed = listed.as_array().expect("a list");
    assert_eq!(listed.len(), 5);
    assert_eq!(listed[0]["code"], "wrong_author", "newest first");
    assert_eq!(listed[4]["entity"], "visit");
    assert_eq!(listed[3]["entity"], "household");
    assert!(
        listed
            .iter()
            .all(|e| !e["message"].as_str().unwrap_or("").is_empty())
    );
    let text = serde_json::to_string(&listed).expect("json");
    assert!(
        !text.contains("改") && !text.contains("老人患慢性病"),
        "{text}"
    );
    let (status, _) = api.get(Some(&token), "/v1/admin/rejected").await;
    assert_eq!(status, 403, "administration only");

    // Another device than the token's is refused as a whole.
    let mut stranger = HandDevice::new(201);
    stranger.author = id(CADRE_ID);
    let op = visit_of(&mut stranger, 905, 0, CADRE_ID);
    let (status, body) = api.push(&token, &stranger, vec![op]).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("wrong_device")));
    assert_eq!(api.ops(), before + 2, "nothing written by the refused push");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_disabled_expired_forged_and_missing_tokens_are_refused() {
    let api = Api::start().await;
    let admin = api.admin();
    let mut dev = HandDevice::new(300);
    dev.author = id(SECRETARY_ID);
    let token = api
        .account(&admin, role_account(Role::FirstSecretary, "wangwu"), dev.id)
        .await;
    let op = visit_of(&mut dev, 1000, 0, SECRETARY_ID);
    assert_eq!(api.push(&token, &dev, vec![op.clone()]).await.0, 200);
    let before = api.ops();

    // No token, a forged one, one of the right shape but unknown.
    assert_eq!(api.get(None, "/v1/pull").await.0, 401);
    let last = if token.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &token[..token.len() - 1]);
    let (status, body) = api.get(Some(&forged), "/v1/pull").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("auth_bad_token"))
    );
    assert_eq!(api.get(Some("Bearer nonsense"), "/v1/me").await.0, 401);

    // Revoked: 403 for that device, other devices of the account still work.
    let other = HandDevice::new(301);
    let other_token = api
        .sign_in("wangwu", PASSWORD, other.id)
        .await
        .expect("second device");
    let (status, _) = api
        .post(
            Some(&admin),
            &format!("/v1/admin/devices/{}/revoke", dev.id),
            json!({}),
        )
        .await;
    assert_eq!(status, 204);
    let op2 = visit_of(&mut dev, 1001, 0, SECRETARY_ID);
    let (status, body) = api.push(&token, &dev, vec![op2]).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("auth_device_revoked"))
    );
    assert_eq!(api.get(Some(&other_token), "/v1/me").await.0, 200);

    // Disabled: every device of the account is refused, and it cannot sign in.
    let (status, _) = api
        .post(Some(&admin), "/v1/admin/accounts/wangwu/disable", json!({}))
        .await;
    assert_eq!(status, 200);
    let (status, body) = api.get(Some(&other_token), "/v1/pull").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("auth_disabled"))
    );
    assert_eq!(
        api.sign_in("wangwu", PASSWORD, HandDevice::new(302).id)
            .await,
        Err((403, "auth_disabled".into()))
    );

    // Expired: a token issued with a lifetime already over.
    let dev4 = HandDevice::new(303);
    let (_, expired) = api
        .storage
        .sign_in(
            "admin",
            PASSWORD,
            dev4.id,
            "old",
            bangfu_server::now_ms() - 10_000,
            1,
        )
        .expect("storage")
        .expect("signed in");
    let (status, body) = api.get(Some(&expired), "/v1/pull").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("auth_token_expired"))
    );
    assert_eq!(api.ops(), before, "nothing written by refused requests");

    // Every administrative act is in the audit log, without tokens.
    let log = api.storage.audit_log(100).expect("audit");
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "account_create",
        "signin",
        "device_revoke",
        "account_disable",
        "push",
    ] {
        assert!(actions.contains(&a), "{a} audited: {actions:?}");
    }
    let text = format!("{log:?}");
    assert!(!text.contains(&token) && !text.contains(&other_token) && !text.contains(PASSWORD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_bad_sign_ins_are_slowed_down() {
    let api = Api::start().await;
    let admin = api.admin();
    let (status, _) = api
        .post(
            Some(&admin),
            "/v1/admin/accounts",
            role_account(Role::TeamMember, "zhaoliu"),
        )
        .await;
    assert_eq!(status, 201);
    let device = HandDevice::new(400).id;
    for _ in 0..5 {
        assert_eq!(
            api.sign_in("zhaoliu", "wrong-password", device).await,
            Err((401, "auth_bad_credentials".into()))
        );
    }
    // The sixth attempt must wait, even with the right password.
    assert_eq!(
        api.sign_in("zhaoliu", PASSWORD, device).await,
        Err((429, "auth_slow_down".into()))
    );
    // An unknown name looks the same as a wrong password.
    assert_eq!(
        api.sign_in("nobody", PASSWORD, device).await,
        Err((401, "auth_bad_credentials".into()))
    );
    // Bad account data is refused with what to fix; a taken name is a conflict.
    let mut bad = role_account(Role::Cadre, "x");
    bad["person_id"] = Value::Null;
    let (status, body) = api.post(Some(&admin), "/v1/admin/accounts", bad).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid_account"))
    );
    let (status, body) = api
        .post(
            Some(&admin),
            "/v1/admin/accounts",
            role_account(Role::TeamMember, "zhaoliu"),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("account_exists"))
    );
    assert!(api.storage.accounts().expect("accounts").len() == 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photo_routes_need_a_device_token() {
    use bangfu_blobs::store::DiskBlobStore;
    use bangfu_blobs::upload::{UploadConfig, UploadService};
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = Arc::new(SqliteStorage::open_in_memory().expect("storage"));
    let token = sign_in_admin(&storage, HandDevice::new(1).id);
    let blobs = Arc::new(DiskBlobStore::open(dir.path().join("blobs")).expect("blobs"));
    let photos = Arc::new(
        UploadService::new(blobs, dir.path().join("staging"), UploadConfig::default())
            .expect("photos"),
    );
    let app = bangfu_server::router_with_photos(storage, ServerConfig::default(), photos);
    let (base, _shutdown) = serve_on_loopback(app).await;
    let client = reqwest::Client::new();
    let sha = "ab".repeat(32);
    let url = format!("{base}/v1/photos/{sha}");
    let anon = client.head(&url).send().await.expect("head");
    assert_eq!(anon.status(), 401);
    let forged = client
        .head(&url)
        .bearer_auth("bft1.x.y")
        .send()
        .await
        .expect("head");
    assert_eq!(forged.status(), 401);
    let ok = client
        .head(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("head");
    assert_eq!(ok.status(), 404, "not stored yet, resume at 0");
    assert_eq!(
        ok.headers()
            .get("upload-offset")
            .and_then(|v| v.to_str().ok()),
        Some("0")
    );
}
