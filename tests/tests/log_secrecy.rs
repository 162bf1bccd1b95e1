//! Nothing secret or personal reaches the server's log, even at `RUST_LOG=trace`.
//!
//! The real `bangfu-server` binary runs with its standard error captured to a file while it is
//! put through what a county's day brings, step by step, and after each step the log written
//! meanwhile (and the command line's output) is searched for every secret known so far:
//! 1. an account made on the command line (password on standard input);
//! 2. sign-ins with wrong passwords (and a password sent as a JSON number);
//! 3. the clerk signs in and makes accounts over `POST /v1/admin/accounts` (one refused);
//! 4. the cadre signs in on a device, after a wrong password;
//! 5. a phone (a real `bangfu_store::Store` and the real sync client) pushes households and
//!    members with their heads' names, ID numbers, phone numbers and addresses;
//! 6. hand-made pushes whose operations are rejected (a bad ID number checksum, an unknown
//!    household, an unknown field);
//! 7. pushes refused whole (a wrong type, another device's operations, no token);
//! 8. pulls, device reports, account and device listings, the audit log;
//! 9. an account disabled and signed in again, a device revoked and its token used again, a
//!    forged token;
//! 10. the phone syncs again;
//! 11. the server stopped, the command-line tools (`bangfu-server audit` included) on its database.
//!
//! None of these may show: the tokens issued (whole, or their secret part), the passwords used
//! (right or wrong), the ID numbers (whole, or their first 17 characters), the people's names
//! (household heads, members, cadres, account display names), the phone numbers and addresses.
//! Each is looked for as written and escaped the ways a log line might escape it
//! ([`bangfu_tests::leaks`]). Usernames and device ids may appear. The log must show the events
//! (sign-ins, pushes, refusals, revocation) and debug-level lines, so that a log that says nothing
//! does not pass.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use bangfu_core::{
    Household, LabourAbility, MedicalInsurance, Member, Record, SchoolStage, idnumber,
};
use bangfu_sync_client::{DeviceToken, HttpOptions, HttpTransport, sync};
use bangfu_tests::fixtures::{
    Phone, cadre_id, device_id, household, household_scope, seed_records,
};
use bangfu_tests::leaks::{leaks, strip_ansi};
use bangfu_tests::raw::{self, Api, HandDevice};
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

/// What must not show, whatever the step: the passwords, the ID numbers (and their first 17
/// characters), the people's names, the phone number and the address. Tokens are added as they
/// are issued ([`Day::issued`]).
fn fixed_secrets() -> Vec<(String, String)> {
    let mut secrets: Vec<(String, String)> = Vec::new();
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
    secrets
}

/// The county's day: the server running on a database with its log in a file, plain HTTP calls
/// to it, and what must not show.
struct Day {
    dir: tempfile::TempDir,
    server: ServerProcess,
    api: Api,
    /// [`fixed_secrets`] and every token issued so far.
    secrets: Vec<(String, String)>,
    /// How far the log has been searched: the end of its last whole line searched.
    searched: usize,
}

impl Day {
    /// Step 1, then the server started at trace level.
    fn start() -> Day {
        let dir = tempfile::tempdir().expect("tempdir");
        let secrets = fixed_secrets();
        let db = dir.path().join("server.db");
        let output = an_account_made_on_the_command_line(&db);
        assert_none_in("step 1, the command line's output", &output, &secrets);
        let server = ServerProcess::start_logging_to(&db, "trace", &dir.path().join("server.log"));
        let api = Api::new(server.url());
        Day {
            dir,
            server,
            api,
            secrets,
            searched: 0,
        }
    }

    fn db_arg(&self) -> String {
        let db = self.dir.path().join("server.db");
        db.to_str().expect("a UTF-8 path").to_owned()
    }

    fn log_path(&self) -> std::path::PathBuf {
        self.dir.path().join("server.log")
    }

    /// A token was issued: neither it nor its secret part may show from now on.
    fn issued(&mut self, token: &str) {
        self.secrets
            .push(("a device token".into(), token.to_owned()));
        let secret = token.rsplit('.').next().expect("the token's secret part");
        assert_eq!(secret.len(), 64, "a token is bft1.<device>.<64 hex>");
        self.secrets
            .push(("a device token's secret".into(), secret.to_owned()));
    }

    /// Signs in (adding the token to the secrets); the token.
    async fn sign_in(&mut self, username: &str, password: &str, device: Uuid) -> String {
        let token = self.api.sign_in(username, password, device).await;
        self.issued(&token);
        token
    }

    /// The log's whole lines written since the last search hold no secret known so far
    /// (`all`: and the last line too, once the server stopped).
    fn check_log(&mut self, step: &str, all: bool) {
        let log = std::fs::read(self.log_path()).expect("the server's log");
        let end = if all {
            log.len()
        } else {
            log.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1)
        };
        if end <= self.searched {
            return;
        }
        let new = String::from_utf8_lossy(&log[self.searched..end]);
        let what = format!("{step}, the server's log ({})", self.log_path().display());
        assert_none_in(&what, &new, &self.secrets);
        self.searched = end;
    }

    /// The log says what happened, at debug and trace level.
    fn assert_log_tells_the_events(&self) {
        let log = std::fs::read_to_string(self.log_path()).expect("the server's log");
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
    }
}

/// `text` (`what`) holds none of `secrets`, in any form.
fn assert_none_in(what: &str, text: &str, secrets: &[(String, String)]) {
    let found = leaks(text, secrets);
    assert!(
        found.is_empty(),
        "{} leaks in {what}:\n{}",
        found.len(),
        found.join("\n")
    );
}

/// The ID numbers are real-looking: valid ones are valid, the bad one fails only its checksum.
fn the_id_numbers_are_real_looking() {
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
}

/// Step 1: an account on the command line, before the server runs (the password on standard
/// input); the command's output.
fn an_account_made_on_the_command_line(db: &std::path::Path) -> String {
    cli(
        &[
            "user",
            "create",
            "--db",
            db.to_str().expect("a UTF-8 path"),
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
    )
}

/// Step 2: wrong passwords for a known account and an unknown one; a password that is not a
/// string.
async fn wrong_passwords_are_refused(api: &Api) {
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
}

/// Step 3: the clerk signs in and makes two accounts over HTTP, and one is refused (a password
/// too short, a name given); the clerk's token.
async fn the_clerk_makes_accounts_over_http(day: &mut Day) -> String {
    let clerk = day.sign_in(CLERK, CLERK_PASSWORD, CLERK_DEVICE).await;
    let api = &day.api;
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
    clerk
}

/// Step 4: the cadre signs in on a device, after one wrong password; the cadre's token.
async fn the_cadre_signs_in(day: &mut Day) -> String {
    let (status, _) = day
        .api
        .json(
            Method::POST,
            "/v1/auth/signin",
            None,
            &json!({"username": CADRE, "password": WRONG_PASSWORDS[0], "device_id": CADRE_DEVICE}),
        )
        .await;
    assert_eq!(status, 401);
    day.sign_in(CADRE, CADRE_PASSWORD, CADRE_DEVICE).await
}

/// Step 5: a phone signs in through the sync client and syncs the seed and a household with
/// members; the phone, its transport and the household.
async fn a_phone_syncs_a_household_with_members(day: &mut Day) -> (Phone, HttpTransport, Uuid) {
    let mut phone = Phone::new(0, 0);
    let transport =
        HttpTransport::new(&day.server.url(), HttpOptions::default()).expect("transport");
    let signed = transport
        .sign_in::<serde::de::IgnoredAny>(OFFICE, OFFICE_PASSWORD, device_id(0), "测试手机")
        .await
        .expect("the phone signs in");
    day.issued(&signed.device_token);
    phone.token = Some(DeviceToken(signed.device_token));
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
    (phone, t, h)
}

/// Step 6: hand-made pushes from the clerk's device to household `h`: one accepted, three
/// rejected; the device.
async fn hand_made_operations_are_rejected(api: &Api, clerk: &str, h: Uuid) -> HandDevice {
    let mut dev = raw::device(6).with_id(CLERK_DEVICE).by(cadre_id(0));
    let scope = household_scope(h);
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
        .json(Method::POST, "/v1/push", Some(clerk), &dev.push_json(&ops))
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
    dev
}

/// Step 7: pushes refused whole: a wrong type (422), another device's operations (403), no
/// token; the push with the wrong type.
async fn pushes_are_refused_whole(
    api: &Api,
    (clerk, cadre): (&str, &str),
    dev: &mut HandDevice,
    h: Uuid,
) -> Value {
    let mut op = serde_json::to_value(dev.record(
        &Record::Member(member(
            new_id(7),
            h,
            (NAME_IN_REFUSED_PUSH, ID_IN_REFUSED_PUSH),
            "之媳",
        )),
        &household_scope(h),
    ))
    .expect("json");
    // Well-formed, but the clerk's device's: refused 403 to another device.
    let others = json!({"device_id": CLERK_DEVICE, "ops": [op.clone()]});
    op["origin_seq"] = json!(ID_IN_REFUSED_PUSH);
    let push = json!({"device_id": CLERK_DEVICE, "ops": [op]});
    let (status, _) = api.json(Method::POST, "/v1/push", Some(clerk), &push).await;
    assert_eq!(status, 422);
    let (status, body) = api
        .json(Method::POST, "/v1/push", Some(cadre), &others)
        .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("wrong_device")));
    let (status, _) = api.json(Method::POST, "/v1/push", None, &push).await;
    assert_eq!(status, 401);
    push
}

/// Step 8: pulls, a report, the account's own view, listings, the audit log.
async fn pulls_reports_listings_and_the_audit_log(api: &Api, (clerk, cadre): (&str, &str)) {
    for path in [
        "/v1/pull?after=0&limit=1000",
        "/v1/pull?after=0&limit=1000&scope=990101",
        "/v1/me",
        "/v1/admin/accounts",
        "/v1/admin/devices",
        "/v1/admin/devices?username=office-sima",
        "/v1/admin/audit?limit=500",
    ] {
        let (status, body) = api.call(Method::GET, path, Some(clerk), None).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    let (status, _) = api
        .call(Method::GET, "/v1/pull?after=-1", Some(clerk), None)
        .await;
    assert_eq!(status, 400);
    let (status, _) = api.call(Method::GET, "/v1/me", Some(cadre), None).await;
    assert_eq!(status, 200);
    let (status, _) = api
        .json(
            Method::POST,
            "/v1/device/report",
            Some(cadre),
            &json!({"unsynced_ops": 3, "unsynced_photos": 1}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = api
        .call(Method::GET, "/v1/admin/accounts", Some(cadre), None)
        .await;
    assert_eq!(status, 403);
}

/// Step 9: the cadre's account disabled (sign-in refused with the right password) and enabled
/// again; the cadre's device revoked, its token used again (`push`); a forged token.
async fn an_account_disabled_and_a_device_revoked(
    api: &Api,
    (clerk, cadre): (&str, &str),
    push: &Value,
) {
    let path = format!("/v1/admin/accounts/{CADRE}/disable");
    let (status, _) = api.call(Method::POST, &path, Some(clerk), None).await;
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
    let (status, _) = api.call(Method::POST, &path, Some(clerk), None).await;
    assert_eq!(status, 200);
    let path = format!("/v1/admin/devices/{CADRE_DEVICE}/revoke");
    let (status, _) = api.call(Method::POST, &path, Some(clerk), None).await;
    assert_eq!(status, 204);
    let (status, body) = api.call(Method::GET, "/v1/me", Some(cadre), None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("auth_device_revoked"))
    );
    let (status, _) = api.json(Method::POST, "/v1/push", Some(cadre), push).await;
    assert_eq!(status, 403);
    let forged = format!("bft1.{}.{}", CADRE_DEVICE.simple(), "5a".repeat(32));
    let (status, _) = api.call(Method::GET, "/v1/me", Some(&forged), None).await;
    assert_eq!(status, 401);
}

/// Step 10: the phone syncs again (a pull with the others' operations).
async fn the_phone_syncs_again(phone: &mut Phone, t: &HttpTransport) {
    let report = sync(
        &mut phone.store,
        t,
        &quick_sync_options(500, 500, 3, 20),
        &mut |_| {},
    )
    .await
    .expect("the phone syncs again");
    assert!(report.pulled >= 1, "{report:?}");
}

/// Step 11: the command-line tools on the stopped server's database; the audit log they print
/// (which names the events) and their whole output.
fn the_command_line_tools(db_arg: &str) -> (String, String) {
    let audit = cli(&["audit", "--db", db_arg, "--limit", "1000"], None);
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
    let mut output = audit.clone();
    output += &cli(&["user", "list", "--db", db_arg], None);
    output += &cli(&["device", "list", "--db", db_arg], None);
    (audit, output)
}

/// Each step, then a search of the log it wrote for every secret known so far.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_password_id_number_or_name_reaches_the_log() {
    the_id_numbers_are_real_looking();
    let mut day = Day::start();

    wrong_passwords_are_refused(&day.api).await;
    day.check_log("step 2, wrong passwords", false);

    let clerk = the_clerk_makes_accounts_over_http(&mut day).await;
    day.check_log("step 3, accounts made over HTTP", false);

    let cadre = the_cadre_signs_in(&mut day).await;
    day.check_log("step 4, the cadre signs in", false);
    let both = (clerk.as_str(), cadre.as_str());

    let (mut phone, t, h) = a_phone_syncs_a_household_with_members(&mut day).await;
    day.check_log("step 5, a phone syncs", false);

    let mut dev = hand_made_operations_are_rejected(&day.api, &clerk, h).await;
    day.check_log("step 6, rejected operations", false);

    let push = pushes_are_refused_whole(&day.api, both, &mut dev, h).await;
    day.check_log("step 7, pushes refused whole", false);

    pulls_reports_listings_and_the_audit_log(&day.api, both).await;
    day.check_log("step 8, pulls and listings", false);

    an_account_disabled_and_a_device_revoked(&day.api, both, &push).await;
    day.check_log("step 9, disabled, revoked, forged", false);

    the_phone_syncs_again(&mut phone, &t).await;
    day.check_log("step 10, the phone syncs again", false);

    // Let the last lines reach the file, then stop the server.
    tokio::time::sleep(Duration::from_millis(300)).await;
    day.server.kill9();
    day.check_log("the server's last lines", true);
    day.assert_log_tells_the_events();

    let (audit, output) = the_command_line_tools(&day.db_arg());
    assert_none_in("`bangfu-server audit`", &audit, &day.secrets);
    assert_none_in("step 11, the command line's output", &output, &day.secrets);
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
