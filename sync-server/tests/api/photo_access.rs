//! Who may fetch a photo (issue 11, item 6): a photo is served only to a device whose read scope
//! holds a record that names it (a visit's `photos` or `signature`), or to the device that uploaded
//! it while no record names it; the county office reads every photo. To anyone else a photo looks
//! absent (404, not 403: its existence is not revealed), in `GET`, `HEAD`, `have` and `PUT`.
//! Unfinished uploads are limited per device (429 `photo_quota`).

use std::sync::Arc;

use crate::common::api::{CADRE2_ID, TOWNSHIP2, path_of, push_ops, seed};
use crate::common::*;
use bangfu_blobs::store::DiskBlobStore;
use bangfu_blobs::upload::{UploadConfig, UploadService};
use bangfu_core::sync::op::Operation;
use bangfu_core::sync::wire::{OpStatus, PushResponse};
use bangfu_demo::{DemoImageKind, demo_images};
use bangfu_server::{ServerConfig, SqliteStorage, router_with_photos};
use serde_json::{Value, json};

/// A demo image of `kind` (real, checkable images), the `n`-th of that kind.
fn image(kind: DemoImageKind, n: usize) -> (String, Vec<u8>) {
    let img = demo_images()
        .iter()
        .filter(|i| i.kind == kind)
        .nth(n)
        .expect("demo image");
    (img.sha256.clone(), img.bytes.clone())
}

/// A hash no photo has (for uploads that never finish).
fn fake_sha(n: u64) -> String {
    bangfu_blobs::Sha256Hex::of(&n.to_le_bytes()).to_string()
}

async fn json_of(resp: reqwest::Response) -> Value {
    let bytes = resp.bytes().await.expect("body");
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

/// A signed-in device.
struct Dev {
    dev: HandDevice,
    token: String,
}

struct Server {
    base: String,
    client: reqwest::Client,
    admin: String,
    _dir: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    async fn start(photos: UploadConfig) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let storage = Arc::new(SqliteStorage::open_in_memory().expect("storage"));
        let store = Arc::new(DiskBlobStore::open(dir.path().join("blobs")).expect("blob store"));
        let service = Arc::new(
            UploadService::new(store, dir.path().join("staging"), photos).expect("photos"),
        );
        let mut admin_dev = HandDevice::new(1);
        let admin = sign_in_admin(&storage, admin_dev.id);
        let app = router_with_photos(storage.clone(), ServerConfig::default(), service);
        let (base, tx) = serve_on_loopback(app).await;
        let server = Server {
            base,
            client: reqwest::Client::new(),
            admin,
            _dir: dir,
            _shutdown: tx,
        };
        let ops = seed(&mut admin_dev);
        let (status, body) = server.push(&server.admin, &admin_dev, ops).await;
        assert_eq!(status, 200, "{body}");
        server
    }

    async fn push(&self, token: &str, dev: &HandDevice, ops: Vec<Operation>) -> (u16, Value) {
        push_ops(&self.client, &self.base, token, dev, ops).await
    }

    /// An account (created by the county office) and one of its devices, signed in.
    async fn device(&self, n: u128, username: &str, role: &str, extra: Value) -> Dev {
        let mut account = json!({"username": username, "display_name": "测试", "role": role,
                                 "password": TEST_PASSWORD});
        if let (Value::Object(a), Value::Object(e)) = (&mut account, extra) {
            a.extend(e);
        }
        let resp = self
            .client
            .post(format!("{}/v1/admin/accounts", self.base))
            .bearer_auth(&self.admin)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&account).expect("json"))
            .send()
            .await
            .expect("create account");
        assert!(
            matches!(resp.status().as_u16(), 201 | 409),
            "{}",
            resp.text().await.unwrap_or_default()
        );
        self.sign_in(n, username).await
    }

    async fn sign_in(&self, n: u128, username: &str) -> Dev {
        let dev = HandDevice::new(n);
        let resp = self
            .client
            .post(format!("{}/v1/auth/signin", self.base))
            .header("content-type", "application/json")
            .body(
                serde_json::to_vec(&json!({"username": username, "password": TEST_PASSWORD,
                                           "device_id": dev.id, "device_name": "测试机"}))
                .expect("json"),
            )
            .send()
            .await
            .expect("sign in");
        assert_eq!(resp.status().as_u16(), 200);
        let body = json_of(resp).await;
        let token = body["device_token"].as_str().expect("token").to_owned();
        Dev { dev, token }
    }

    /// Pushes a visit of household `h` by `d` (a cadre: her own person as visitor and author)
    /// naming `photos` and `signature`; asserts it was accepted.
    async fn visit(&self, d: &mut Dev, n: u128, h: u128, photos: &[&str], signature: Option<&str>) {
        let mut fields = visit(0);
        fields["household_id"] = json!(id(HOUSEHOLD_BASE + h));
        fields["visitor_id"] = json!(d.dev.author);
        fields["photos"] = json!(photos);
        if let Some(s) = signature {
            fields["signature"] = json!(s);
        }
        let op = d
            .dev
            .op("visit", id(VISIT_BASE + n), true, fields, &path_of(h));
        let (status, body) = self.push(&d.token, &d.dev, vec![op]).await;
        assert_eq!(status, 200, "{body}");
        let resp: PushResponse = serde_json::from_value(body).expect("push response");
        assert_eq!(resp.results[0].status, OpStatus::Accepted, "{resp:?}");
    }

    /// `PUT` of bytes `start..end` of a photo of `total` bytes.
    async fn put(
        &self,
        d: &Dev,
        sha: &str,
        start: usize,
        chunk: &[u8],
        total: usize,
    ) -> (u16, Value) {
        let resp = self
            .client
            .put(format!("{}/v1/photos/{sha}", self.base))
            .bearer_auth(&d.token)
            .header(
                "content-range",
                format!("bytes {start}-{}/{total}", start + chunk.len() - 1),
            )
            .body(chunk.to_vec())
            .send()
            .await
            .expect("put");
        let status = resp.status().as_u16();
        (status, json_of(resp).await)
    }

    /// Uploads a whole photo in one chunk; asserts it is stored.
    async fn upload(&self, d: &Dev, sha: &str, bytes: &[u8]) {
        let (status, body) = self.put(d, sha, 0, bytes, bytes.len()).await;
        assert!(matches!(status, 200 | 201), "{status} {body}");
        assert_eq!(body["complete"], json!(true), "{body}");
    }

    /// `GET`: the status, and the SHA-256 of the bytes when 200 (else the error code).
    async fn get(&self, d: &Dev, sha: &str) -> (u16, Result<String, String>) {
        let resp = self
            .client
            .get(format!("{}/v1/photos/{sha}", self.base))
            .bearer_auth(&d.token)
            .send()
            .await
            .expect("get");
        let status = resp.status().as_u16();
        if status == 200 {
            let bytes = resp.bytes().await.expect("bytes");
            (status, Ok(bangfu_blobs::Sha256Hex::of(&bytes).to_string()))
        } else {
            let body: Value = json_of(resp).await;
            (status, Err(body["code"].as_str().unwrap_or("").to_owned()))
        }
    }

    /// `HEAD`: the status and `Upload-Offset`.
    async fn head(&self, d: &Dev, sha: &str) -> (u16, Option<String>) {
        let resp = self
            .client
            .head(format!("{}/v1/photos/{sha}", self.base))
            .bearer_auth(&d.token)
            .send()
            .await
            .expect("head");
        let offset = resp
            .headers()
            .get("upload-offset")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (resp.status().as_u16(), offset)
    }

    /// `have`: the stored hashes among `shas`.
    async fn have(&self, d: &Dev, shas: &[&str]) -> Vec<String> {
        let resp = self
            .client
            .post(format!("{}/v1/photos/have", self.base))
            .bearer_auth(&d.token)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&json!({"sha256": shas})).expect("json"))
            .send()
            .await
            .expect("have");
        assert_eq!(resp.status().as_u16(), 200);
        let body = json_of(resp).await;
        serde_json::from_value(body["stored"].clone()).expect("stored")
    }

    /// Asserts that `d` reads the photo `sha` (its bytes `bytes`) by every route.
    async fn assert_reads(&self, who: &str, d: &Dev, sha: &str) {
        assert_eq!(
            self.get(d, sha).await,
            (200, Ok(sha.to_owned())),
            "{who}: GET"
        );
        assert_eq!(self.head(d, sha).await.0, 200, "{who}: HEAD");
        assert_eq!(
            self.have(d, &[sha]).await,
            vec![sha.to_owned()],
            "{who}: have"
        );
    }

    /// Asserts that the photo `sha` looks absent to `d` by every route.
    async fn assert_absent(&self, who: &str, d: &Dev, sha: &str) {
        assert_eq!(
            self.get(d, sha).await,
            (404, Err("photo_not_found".to_owned())),
            "{who}: GET"
        );
        assert_eq!(
            self.head(d, sha).await,
            (404, Some("0".to_owned())),
            "{who}: HEAD looks like a photo never uploaded"
        );
        assert!(self.have(d, &[sha]).await.is_empty(), "{who}: have");
    }
}

fn cadre(person: u128) -> Value {
    json!({"person_id": id(person)})
}

fn area(path: &str) -> Value {
    json!({"area_path": path})
}

async fn cadre_device(s: &Server, n: u128, username: &str, person: u128) -> Dev {
    let mut d = s.device(n, username, "cadre", cadre(person)).await;
    d.dev.author = id(person);
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_is_served_only_to_devices_whose_scope_reads_a_record_naming_it() {
    let s = Server::start(UploadConfig::default()).await;
    let (photo, photo_bytes) = image(DemoImageKind::Photo, 0);
    let (signature, signature_bytes) = image(DemoImageKind::Signature, 0);

    // Cadre 20 visits household 0 (village VILLAGE), names a photo and a signature, uploads both.
    let mut cadre_a = cadre_device(&s, 10, "cadre-a", CADRE_ID).await;
    s.visit(&mut cadre_a, 1, 0, &[&photo], Some(&signature))
        .await;
    s.upload(&cadre_a, &photo, &photo_bytes).await;
    s.upload(&cadre_a, &signature, &signature_bytes).await;

    // In scope: the cadre, her village's first secretary, the county office.
    let first_secretary = s
        .device(11, "fs-village", "first_secretary", area(VILLAGE))
        .await;
    let county = s.device(12, "county", "county_office", area(COUNTY)).await;
    for (who, d) in [
        ("the cadre", &cadre_a),
        ("the village's first secretary", &first_secretary),
        ("the county office", &county),
    ] {
        s.assert_reads(who, d, &photo).await;
        s.assert_reads(who, d, &signature).await;
    }

    // Out of scope: another cadre (paired with household 4 of the same village and 5), another
    // village's first secretary, another township's station.
    let cadre_b = cadre_device(&s, 13, "cadre-b", CADRE2_ID).await;
    let other_village = s
        .device(14, "fs-village2", "first_secretary", area(VILLAGE2))
        .await;
    let other_township = s
        .device(15, "station2", "township_station", area(TOWNSHIP2))
        .await;
    for (who, d) in [
        ("another cadre", &cadre_b),
        ("another village's first secretary", &other_village),
        ("another township's station", &other_township),
    ] {
        s.assert_absent(who, d, &photo).await;
        s.assert_absent(who, d, &signature).await;
        // Uploading it does not tell that it is stored: the first chunk is taken as the start
        // of an upload, as for a photo the server never saw.
        let (status, body) = s
            .put(d, &photo, 0, &photo_bytes[..100], photo_bytes.len())
            .await;
        assert_eq!(
            (status, &body),
            (200, &json!({"received": 100, "complete": false})),
            "{who}: PUT"
        );
        // … and the device's own partial upload is its own: it resumes it, nobody else sees it.
        assert_eq!(
            s.head(d, &photo).await,
            (404, Some("100".to_owned())),
            "{who}"
        );
    }
    assert_eq!(
        s.head(&first_secretary, &photo).await.0,
        200,
        "others' partial uploads change nothing for a reader"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_uploader_reads_its_photo_only_until_a_record_names_it() {
    let s = Server::start(UploadConfig::default()).await;
    let (photo, bytes) = image(DemoImageKind::Photo, 1);
    let county = s.device(12, "county", "county_office", area(COUNTY)).await;
    let mut cadre_a = cadre_device(&s, 10, "cadre-a", CADRE_ID).await;
    // Cadre 21 uploads a photo before any record names it (her visit was not sent yet, or was
    // refused): her device reads it; her other device, another cadre, do not.
    let cadre_b = cadre_device(&s, 13, "cadre-b", CADRE2_ID).await;
    let cadre_b_phone2 = s.sign_in(16, "cadre-b").await;
    s.assert_absent("the uploader, before uploading", &cadre_b, &photo)
        .await;
    s.upload(&cadre_b, &photo, &bytes).await;
    s.assert_reads("the uploading device", &cadre_b, &photo)
        .await;
    s.assert_absent(
        "another device of the same account",
        &cadre_b_phone2,
        &photo,
    )
    .await;
    s.assert_absent("another cadre", &cadre_a, &photo).await;
    s.assert_reads("the county office", &county, &photo).await;

    // A visit of household 0 (cadre 20's) names it: now the record's scope decides.
    s.visit(&mut cadre_a, 2, 0, &[&photo], None).await;
    s.assert_reads("the cadre whose visit names it", &cadre_a, &photo)
        .await;
    s.assert_absent("the uploader, out of the record's scope", &cadre_b, &photo)
        .await;
    s.assert_reads("the county office", &county, &photo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_may_leave_at_most_fifty_uploads_unfinished() {
    let s = Server::start(UploadConfig::default()).await;
    let cadre_a = cadre_device(&s, 10, "cadre-a", CADRE_ID).await;
    let cadre_b = cadre_device(&s, 13, "cadre-b", CADRE2_ID).await;
    for n in 0..50 {
        let (status, body) = s.put(&cadre_a, &fake_sha(n), 0, &[0; 10], 1000).await;
        assert_eq!(status, 200, "upload {n}: {body}");
    }
    let (status, body) = s.put(&cadre_a, &fake_sha(50), 0, &[0; 10], 1000).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("photo_quota")),
        "{body}"
    );
    assert!(
        body["message"].as_str().is_some_and(|m| m.contains("上传")),
        "{body}"
    );
    // Going on with one of its unfinished uploads is not a new one.
    let (status, body) = s.put(&cadre_a, &fake_sha(7), 10, &[0; 10], 1000).await;
    assert_eq!(status, 200, "{body}");
    // The limit is the device's: another device starts uploads as before.
    let (status, _) = s.put(&cadre_b, &fake_sha(50), 0, &[0; 10], 1000).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_named_by_no_record_is_not_served_to_a_device_that_did_not_upload_it() {
    // A signed-in device asking for hashes it was never given (not named in its scope, not
    // uploaded by it) learns nothing, stored or not.
    let s = Server::start(UploadConfig::default()).await;
    let (photo, bytes) = image(DemoImageKind::Photo, 2);
    let county = s.device(12, "county", "county_office", area(COUNTY)).await;
    s.upload(&county, &photo, &bytes).await;
    let cadre_a = cadre_device(&s, 10, "cadre-a", CADRE_ID).await;
    s.assert_absent("a cadre", &cadre_a, &photo).await;
    let unknown = fake_sha(99);
    s.assert_absent("a cadre, a hash never uploaded", &cadre_a, &unknown)
        .await;
}
