//! Nothing secret or personal reaches the server's log, even at `RUST_LOG=trace`.
//!
//! The real `bangfu-server` binary runs with its standard error captured to a file while it is
//! put through what a county's day brings: accounts made on the command line (password on
//! standard input) and over `POST /v1/admin/accounts`, sign-ins with right and wrong passwords (and
//! a password sent as a JSON number), a phone (a real `bangfu_store::Store` and the real sync
//! client) pushing households and members with their heads' names, ID numbers, phone numbers and
//! addresses, hand-made pushes whose operations are rejected (a bad ID number checksum, an unknown
//! household, an unknown field) or whose body is refused (a wrong type, another device's
//! operations), pulls, device reports, account and device listings, the audit log, an account
//! disabled and signed in again, a device revoked and its token used again, a forged token.
//!
//! Then the log — and the output of the command-line tools, `bangfu-server audit` included — must
//! contain none of: the tokens issued (whole, or their secret part), the passwords used (right or
//! wrong), the ID numbers (whole, or their first 17 characters), the people's names (household
//! heads, members, cadres, account display names), the phone numbers and addresses. Each is
//! looked for as written and escaped the ways a log line might escape it (`{:?}`, `\u{…}`,
//! `\uXXXX`, `\xNN` bytes, percent-encoding). Usernames and device ids may appear. The log must
//! show the events (sign-ins, pushes, refusals, revocation) and debug-level lines, so that a log
//! that says nothing does not pass.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use bangfu_core::sync::{Hlc, OP_SCHEMA_VERSION, Operation};
use bangfu_core::{
    Household, LabourAbility, MedicalInsurance, Member, Record, SchoolStage, idnumber,
};
use bangfu_sync_client::{HttpOptions, HttpTransport, sync};
use bangfu_tests::fixtures::{
    Phone, at_ms, cadre_id, device_id, household, household_scope, seed_records,
};
use bangfu_tests::server::{ServerProcess, server_binary};
use bangfu_tests::{quick_sync_options, system_now_ms};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

/// The county office account made on the command line.
const CLERK: &str = "clerk-ouyang";
const CLERK_NAME: &str = "欧阳秀英";
const CLERK_PASSWORD: &str = "Cli-Secret-Pass-7781";
/// The county office account made over HTTP; the phone signs in with it.
const OFFICE: &str = "office-sima";
const OFFICE_NAME: &str = "司马文静";
const OFFICE_PASSWORD: &str = "Api-Secret-Pass-4410";
/// A cadre's account made over HTTP; its device is revoked.
const CADRE: &str = "cadre-zhuge";
const CADRE_NAME: &str = "诸葛建国";
const CADRE_PASSWORD: &str = "Cadre-Secret-Pass-9051";
const WRONG_PASSWORDS: [&str; 4] = [
    "Wrong-Guess-Pass-0001",
    "Wrong-Guess-Pass-0002",
    "Wrong-Guess-Pass-0003",
    "Wrong-Guess-Pass-0004",
];
/// A password sent as a JSON number (refused 422: the parser's message quotes it).
const NUMERIC_PASSWORD: &str = "987654321012";

/// The household the phone records, and its members.
const HEAD_NAME: &str = "上官德明";
const HOUSEHOLD_PHONE: &str = "13912345678";
const HOUSEHOLD_ADDRESS: &str = "上官村七组18号";
const MEMBER_HEAD: (&str, &str) = ("上官德明", "360722198001011233");
const MEMBER_CHILD: (&str, &str) = ("上官小燕", "360722200503150049");
/// Members pushed by hand: accepted, and rejected (an unknown household; a bad checksum).
const MEMBER_ACCEPTED: (&str, &str) = ("上官志强", "360722199009090022");
const MEMBER_UNKNOWN_HOUSEHOLD: (&str, &str) = ("东方红梅", "360722196507208819");
const MEMBER_BAD_CHECKSUM: (&str, &str) = ("皇甫未来", "36072219800101123X");
/// A personal name in a field the protocol does not have (rejected `unknown_field`).
const NAME_IN_UNKNOWN_FIELD: &str = "慕容雪";
/// A name and an ID number in a push refused whole (422, a wrong type).
const NAME_IN_REFUSED_PUSH: &str = "令狐冲和";
const ID_IN_REFUSED_PUSH: &str = "360722197703034515";

const CLERK_DEVICE: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0c1e_0000_0001);
const CADRE_DEVICE: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0cad_0000_0001);

fn new_id(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0501_0000_0000 | n)
}

/// Runs the binary's command line with `RUST_LOG=trace`; its standard output and error.
fn cli(args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new(server_binary())
        .args(args)
        .env("RUST_LOG", "trace")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run bangfu-server");
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).expect("write stdin");
        }
    }
    let out = child.wait_with_output().expect("bangfu-server ran");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "bangfu-server {args:?} failed:\n{text}"
    );
    text
}

/// Plain HTTP calls to the server.
struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.expect("body");
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value)
    }

    async fn json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> (u16, Value) {
        let bytes = serde_json::to_vec(body).expect("json");
        self.call(method, path, token, Some(bytes)).await
    }

    /// Signs in; the token.
    async fn sign_in(&self, username: &str, password: &str, device: Uuid) -> String {
        let (status, body) = self
            .json(
                Method::POST,
                "/v1/auth/signin",
                None,
                &json!({"username": username, "password": password, "device_id": device,
                        "device_name": "测试设备"}),
            )
            .await;
        assert_eq!(status, 200, "sign-in of {username}: {body}");
        body["device_token"]
            .as_str()
            .expect("a device token")
            .to_owned()
    }
}

/// Hand-made operations of one device (consecutive seqs, increasing HLCs).
struct RawDevice {
    id: Uuid,
    seq: u64,
}

impl RawDevice {
    fn op(
        &mut self,
        entity: &str,
        id: Uuid,
        create: bool,
        fields: Value,
        scope: &str,
    ) -> Operation {
        self.seq += 1;
        let now = system_now_ms();
        let Value::Object(fields) = fields else {
            panic!("fields must be an object")
        };
        Operation {
            op_id: Uuid::from_u128(
                0x0190_0000_0000_7000_8000_0600_0000_0000 | u128::from(self.seq),
            ),
            origin_device: self.id,
            origin_seq: self.seq,
            hlc: Hlc::new(now, 0),
            entity: entity.to_owned(),
            entity_id: id,
            create,
            fields: fields.into_iter().collect(),
            base: Default::default(),
            scope_path: scope.to_owned(),
            schema_version: OP_SCHEMA_VERSION,
            author: cadre_id(0),
            recorded_at: at_ms(now),
        }
    }

    fn record(&mut self, r: &Record, scope: &str) -> Operation {
        let fields = Value::Object(Operation::fields_of(r).into_iter().collect());
        self.op(r.entity(), r.id(), true, fields, scope)
    }
}

fn member(id: Uuid, household: Uuid, (name, id_number): (&str, &str), relation: &str) -> Member {
    Member {
        id,
        household_id: household,
        name: name.to_owned(),
        relation: relation.to_owned(),
        id_number: id_number.to_owned(),
        labour: LabourAbility::Able,
        school_stage: SchoolStage::NotInSchool,
        medical_insurance: MedicalInsurance::Resident,
    }
}

/// `text` without ANSI colour sequences (`ESC [ … letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `secret` as written and as a log line might escape it.
fn forms(secret: &str) -> Vec<String> {
    let json_escaped: String = secret
        .chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                format!("\\u{:04x}", c as u32)
            }
        })
        .collect();
    let bytes_escaped: String = secret
        .bytes()
        .map(|b| {
            if b.is_ascii() {
                char::from(b).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect();
    let percent: String = secret
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let mut out = vec![
        secret.to_owned(),
        secret.escape_debug().to_string(),
        secret.escape_default().to_string(),
        json_escaped.clone(),
        json_escaped.to_uppercase(),
        bytes_escaped,
        percent.clone(),
        percent.to_lowercase(),
    ];
    out.sort();
    out.dedup();
    out
}

/// Every place in `text` where one of `secrets` shows, as (what, the line).
fn leaks(text: &str, secrets: &[(String, String)]) -> Vec<String> {
    let text = strip_ansi(text);
    let mut out = Vec::new();
    for (what, secret) in secrets {
        for form in forms(secret) {
            if let Some(line) = text.lines().find(|l| l.contains(&form)) {
                let line: String = line.chars().take(300).collect();
                out.push(format!("{what} ({form}) in: {line}"));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_password_id_number_or_name_reaches_the_log() {
    // The ID numbers are real-looking: valid ones are valid, the bad one fails only its checksum.
    for (_, id) in [
        MEMBER_HEAD,
        MEMBER_CHILD,
        MEMBER_ACCEPTED,
        MEMBER_UNKNOWN_HOUSEHOLD,
    ] {
        idnumber::check(id).expect("a valid ID number");
    }
    idnumber::check(ID_IN_REFUSED_PUSH).expect("a valid ID number");
    assert_eq!(
        idnumber::check(MEMBER_BAD_CHECKSUM.1),
        Err(idnumber::IdNumberError::Checksum)
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("server.db");
    let db_arg = db.to_str().expect("a UTF-8 path");
    let log_path = dir.path().join("server.log");
    let mut cli_output = String::new();

    // An account on the command line, before the server runs (the password on standard input).
    cli_output += &cli(
        &[
            "user",
            "create",
            "--db",
            db_arg,
            "--username",
            CLERK,
            "--name",
            CLERK_NAME,
            "--role",
            "county_office",
            "--area",
            "360722",
        ],
        Some(&format!("{CLERK_PASSWORD}\n")),
    );

    let mut server = ServerProcess::start_logging_to(&db, "trace", &log_path);
    let api = Api {
        base: server.url(),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(0)
            .build()
            .expect("client"),
    };
    let mut tokens: Vec<String> = Vec::new();

    // Wrong passwords: a known account, an unknown one; a password that is not a string.
    for wrong in &WRONG_PASSWORDS[..3] {
        let (status, body) = api
            .json(
                Method::POST,
                "/v1/auth/signin",
                None,
                &json!({"username": CLERK, "password": wrong, "device_id": CLERK_DEVICE}),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("auth_bad_credentials"))
        );
    }
    let (status, _) = api
        .json(
            Method::POST,
            "/v1/auth/signin",
            None,
            &json!({"username": "nobody-here", "password": WRONG_PASSWORDS[3],
                    "device_id": CLERK_DEVICE}),
        )
        .await;
    assert_eq!(status, 401);
    let numeric = format!(
        r#"{{"username": "{CLERK}", "password": {NUMERIC_PASSWORD}, "device_id": "{CLERK_DEVICE}"}}"#
    );
    let (status, _) = api
        .call(
            Method::POST,
            "/v1/auth/signin",
            None,
            Some(numeric.into_bytes()),
        )
        .await;
    assert_eq!(status, 422);

    // The clerk signs in and makes two accounts over HTTP.
    let clerk = api.sign_in(CLERK, CLERK_PASSWORD, CLERK_DEVICE).await;
    tokens.push(clerk.clone());
    let (status, body) = api
        .json(
            Method::POST,
            "/v1/admin/accounts",
            Some(&clerk),
            &json!({"username": OFFICE, "display_name": OFFICE_NAME, "role": "county_office",
                    "area_path": "360722", "password": OFFICE_PASSWORD}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = api
        .json(
            Method::POST,
            "/v1/admin/accounts",
            Some(&clerk),
            &json!({"username": CADRE, "display_name": CADRE_NAME, "role": "cadre",
                    "person_id": cadre_id(0), "password": CADRE_PASSWORD}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // A refused account: a password too short, a name given.
    let (status, _) = api
        .json(
            Method::POST,
            "/v1/admin/accounts",
            Some(&clerk),
            &json!({"username": "short-pw", "display_name": CLERK_NAME, "role": "county_office",
                    "area_path": "360722", "password": "Wrong"}),
        )
        .await;
    assert_eq!(status, 422);

    // The cadre signs in on a device (after one wrong password).
    let (status, _) = api
        .json(
            Method::POST,
            "/v1/auth/signin",
            None,
            &json!({"username": CADRE, "password": WRONG_PASSWORDS[0], "device_id": CADRE_DEVICE}),
        )
        .await;
    assert_eq!(status, 401);
    let cadre = api.sign_in(CADRE, CADRE_PASSWORD, CADRE_DEVICE).await;
    tokens.push(cadre.clone());

    // A phone signs in through the sync client and syncs the seed and a household with members.
    let mut phone = Phone::new(0, 0);
    let transport = HttpTransport::new(&server.url(), HttpOptions::default()).expect("transport");
    let signed = transport
        .sign_in(OFFICE, OFFICE_PASSWORD, device_id(0), "测试手机")
        .await
        .expect("the phone signs in");
    tokens.push(signed.device_token.0.clone());
    phone.token = Some(signed.device_token);
    let now = system_now_ms();
    phone.record_seed(1, 2, now);
    let h = new_id(1);
    let mut house: Household = household(h, HEAD_NAME);
    house.phone = Some(HOUSEHOLD_PHONE.to_owned());
    house.address = Some(HOUSEHOLD_ADDRESS.to_owned());
    let scope = household_scope(h);
    phone.record(&Record::Household(house), &scope, now + 100);
    phone.record(
        &Record::Member(member(new_id(2), h, MEMBER_HEAD, "户主")),
        &scope,
        now + 101,
    );
    phone.record(
        &Record::Member(member(new_id(3), h, MEMBER_CHILD, "之女")),
        &scope,
        now + 102,
    );
    let t = transport.with_token(phone.token.clone());
    let report = sync(
        &mut phone.store,
        &t,
        &quick_sync_options(500, 500, 3, 20),
        &mut |_| {},
    )
    .await
    .expect("the phone syncs");
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert!(report.accepted >= 3, "{report:?}");

    // Hand-made pushes from the clerk's device: one accepted, three rejected.
    let mut dev = RawDevice {
        id: CLERK_DEVICE,
        seq: 0,
    };
    let stranger = new_id(99);
    let ops = vec![
        dev.record(
            &Record::Member(member(new_id(4), h, MEMBER_ACCEPTED, "之子")),
            &scope,
        ),
        dev.record(
            &Record::Member(member(
                new_id(5),
                stranger,
                MEMBER_UNKNOWN_HOUSEHOLD,
                "户主",
            )),
            &household_scope(stranger),
        ),
        dev.record(
            &Record::Member(member(new_id(6), h, MEMBER_BAD_CHECKSUM, "之孙")),
            &scope,
        ),
        dev.op(
            "household",
            h,
            false,
            json!({"nickname": NAME_IN_UNKNOWN_FIELD, "group": "七组"}),
            &scope,
        ),
    ];
    let (status, body) = api
        .json(
            Method::POST,
            "/v1/push",
            Some(&clerk),
            &json!({"device_id": CLERK_DEVICE, "ops": ops}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let statuses: Vec<(&str, Option<&str>)> = body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["status"].as_str().unwrap_or(""),
                r["reason"]["code"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("accepted", None),
            ("rejected", Some("unknown_household")),
            ("rejected", Some("id_number_checksum")),
            ("rejected", Some("unknown_field")),
        ],
        "{body}"
    );

    // Pushes refused whole: a wrong type (422), another device's operations (403), no token.
    let mut refused = RawDevice {
        id: CLERK_DEVICE,
        seq: dev.seq,
    };
    let mut op = serde_json::to_value(refused.record(
        &Record::Member(member(
            new_id(7),
            h,
            (NAME_IN_REFUSED_PUSH, ID_IN_REFUSED_PUSH),
            "之媳",
        )),
        &scope,
    ))
    .expect("json");
    // Well-formed, but the clerk's device's: refused 403 to another device.
    let others = json!({"device_id": CLERK_DEVICE, "ops": [op.clone()]});
    op["origin_seq"] = json!(ID_IN_REFUSED_PUSH);
    let push = json!({"device_id": CLERK_DEVICE, "ops": [op]});
    let (status, _) = api
        .json(Method::POST, "/v1/push", Some(&clerk), &push)
        .await;
    assert_eq!(status, 422);
    let (status, body) = api
        .json(Method::POST, "/v1/push", Some(&cadre), &others)
        .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("wrong_device")));
    let (status, _) = api.json(Method::POST, "/v1/push", None, &push).await;
    assert_eq!(status, 401);

    // Pulls, a report, the account's own view, listings, the audit log.
    for path in [
        "/v1/pull?after=0&limit=1000",
        "/v1/pull?after=0&limit=1000&scope=990101",
        "/v1/me",
        "/v1/admin/accounts",
        "/v1/admin/devices",
        "/v1/admin/devices?username=office-sima",
        "/v1/admin/audit?limit=500",
    ] {
        let (status, body) = api.call(Method::GET, path, Some(&clerk), None).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    let (status, _) = api
        .call(Method::GET, "/v1/pull?after=-1", Some(&clerk), None)
        .await;
    assert_eq!(status, 400);
    let (status, _) = api.call(Method::GET, "/v1/me", Some(&cadre), None).await;
    assert_eq!(status, 200);
    let (status, _) = api
        .json(
            Method::POST,
            "/v1/device/report",
            Some(&cadre),
            &json!({"unsynced_ops": 3, "unsynced_photos": 1}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = api
        .call(Method::GET, "/v1/admin/accounts", Some(&cadre), None)
        .await;
    assert_eq!(status, 403);

    // The cadre's account disabled (sign-in refused with the right password) and enabled again;
    // the cadre's device revoked, its token used again; a forged token.
    let path = format!("/v1/admin/accounts/{CADRE}/disable");
    let (status, _) = api.call(Method::POST, &path, Some(&clerk), None).await;
    assert_eq!(status, 200);
    let (status, body) = api
        .json(
            Method::POST,
            "/v1/auth/signin",
            None,
            &json!({"username": CADRE, "password": CADRE_PASSWORD, "device_id": CADRE_DEVICE}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("auth_disabled"))
    );
    let path = format!("/v1/admin/accounts/{CADRE}/enable");
    let (status, _) = api.call(Method::POST, &path, Some(&clerk), None).await;
    assert_eq!(status, 200);
    let path = format!("/v1/admin/devices/{CADRE_DEVICE}/revoke");
    let (status, _) = api.call(Method::POST, &path, Some(&clerk), None).await;
    assert_eq!(status, 204);
    let (status, body) = api.call(Method::GET, "/v1/me", Some(&cadre), None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("auth_device_revoked"))
    );
    let (status, _) = api
        .json(Method::POST, "/v1/push", Some(&cadre), &push)
        .await;
    assert_eq!(status, 403);
    let forged = format!("bft1.{}.{}", CADRE_DEVICE.simple(), "5a".repeat(32));
    let (status, _) = api.call(Method::GET, "/v1/me", Some(&forged), None).await;
    assert_eq!(status, 401);

    // The phone syncs again (a pull with the others' operations).
    let report = sync(
        &mut phone.store,
        &t,
        &quick_sync_options(500, 500, 3, 20),
        &mut |_| {},
    )
    .await
    .expect("the phone syncs again");
    assert!(report.pulled >= 1, "{report:?}");

    // Let the last lines reach the file, then stop the server.
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.kill9();

    // The command-line tools on the same database.
    let audit = cli(&["audit", "--db", db_arg, "--limit", "1000"], None);
    cli_output += &audit;
    cli_output += &cli(&["user", "list", "--db", db_arg], None);
    cli_output += &cli(&["device", "list", "--db", db_arg], None);

    // What must not show.
    let mut secrets: Vec<(String, String)> = Vec::new();
    for t in &tokens {
        secrets.push(("a device token".into(), t.clone()));
        let secret = t.rsplit('.').next().expect("the token's secret part");
        assert_eq!(secret.len(), 64, "a token is bft1.<device>.<64 hex>");
        secrets.push(("a device token's secret".into(), secret.to_owned()));
    }
    for p in [
        CLERK_PASSWORD,
        OFFICE_PASSWORD,
        CADRE_PASSWORD,
        NUMERIC_PASSWORD,
    ]
    .into_iter()
    .chain(WRONG_PASSWORDS)
    {
        secrets.push(("a password".into(), p.to_owned()));
    }
    let mut id_numbers: Vec<&str> = [
        MEMBER_HEAD,
        MEMBER_CHILD,
        MEMBER_ACCEPTED,
        MEMBER_UNKNOWN_HOUSEHOLD,
        MEMBER_BAD_CHECKSUM,
    ]
    .map(|(_, id)| id)
    .to_vec();
    id_numbers.push(ID_IN_REFUSED_PUSH);
    for id in id_numbers {
        secrets.push(("an ID number".into(), id.to_owned()));
        secrets.push((
            "an ID number's first 17 characters".into(),
            id[..17].to_owned(),
        ));
    }
    let mut names: Vec<String> = [
        CLERK_NAME,
        OFFICE_NAME,
        CADRE_NAME,
        HEAD_NAME,
        MEMBER_CHILD.0,
        MEMBER_ACCEPTED.0,
        MEMBER_UNKNOWN_HOUSEHOLD.0,
        MEMBER_BAD_CHECKSUM.0,
        NAME_IN_UNKNOWN_FIELD,
        NAME_IN_REFUSED_PUSH,
    ]
    .map(str::to_owned)
    .to_vec();
    // The seed's people: the cadre and the household heads.
    for (r, _) in seed_records(1, 2) {
        match r {
            Record::Person(p) => names.push(p.name),
            Record::Household(h) => names.push(h.head_name),
            _ => {}
        }
    }
    for n in names {
        secrets.push(("a person's name".into(), n));
    }
    secrets.push(("a phone number".into(), HOUSEHOLD_PHONE.to_owned()));
    secrets.push(("an address".into(), HOUSEHOLD_ADDRESS.to_owned()));

    // The server's log: it says what happened, at debug level, and nothing of the above.
    let log = std::fs::read_to_string(&log_path).expect("the server's log");
    let plain = strip_ansi(&log);
    eprintln!(
        "server log: {} bytes, {} lines",
        log.len(),
        plain.lines().count()
    );
    assert!(!plain.trim().is_empty(), "the log is empty");
    for event in [
        "bangfu-server started",
        "sign-in",
        "account created",
        "push",
        "request refused",
        "device revoked",
        "DEBUG",
        "TRACE",
    ] {
        assert!(plain.contains(event), "the log has no `{event}`");
    }
    // Usernames may show: they are not looked for.
    let found = leaks(&log, &secrets);
    assert!(
        found.is_empty(),
        "{} leaks in the server's log ({}):\n{}",
        found.len(),
        log_path.display(),
        found.join("\n")
    );

    // The audit log as the command line prints it: the events, no token, password or ID number
    // (nor name, phone or address).
    for action in [
        "account_create",
        "signin",
        "signin_failed",
        "signin_disabled",
        "device_revoke",
    ] {
        assert!(
            audit.contains(action),
            "the audit log has no {action}:\n{audit}"
        );
    }
    let found = leaks(&audit, &secrets);
    assert!(
        found.is_empty(),
        "leaks in `bangfu-server audit`:\n{}",
        found.join("\n")
    );
    let found = leaks(&cli_output, &secrets);
    assert!(
        found.is_empty(),
        "leaks in the command line's output:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_search_finds_a_secret_however_the_log_escapes_it() {
    let secrets = vec![
        ("a name".to_owned(), "上官德明".to_owned()),
        ("a token".to_owned(), "bft1.abc.0123".to_owned()),
    ];
    for line in [
        "INFO x: name=上官德明",
        "INFO x: name=\"\\u{4e0a}\\u{5b98}\\u{5fb7}\\u{660e}\"",
        "INFO x: body={\"n\":\"\\u4e0a\\u5b98\\u5fb7\\u660e\"}",
        "TRACE x: bytes=b\"\\xe4\\xb8\\x8a\\xe5\\xae\\x98\\xe5\\xbe\\xb7\\xe6\\x98\\x8e\"",
        "DEBUG x: uri=/v1/x?n=%E4%B8%8A%E5%AE%98%E5%BE%B7%E6%98%8E",
        "DEBUG x: authorization=\u{1b}[3mBearer bft1.abc.0123\u{1b}[0m",
    ] {
        assert_eq!(leaks(line, &secrets).len(), 1, "{line}");
    }
    assert!(leaks("INFO x: account=2 device=0190", &secrets).is_empty());
}
