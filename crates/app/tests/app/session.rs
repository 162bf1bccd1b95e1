//! Enrol against a fake server, the PIN and its lock-out.

use std::sync::Arc;

use axum::Json;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use bangfu_app::session::{EnrolRequest, SetPinRequest, UnlockRequest};
use bangfu_app::{App, AppError, ManualClock};
use chrono::Duration;
use serde_json::{Value, json};

use crate::common::{self, PIN, Who};

/// A sign-in server on loopback answering as the real one will (see the contract).
async fn fake_server(device_id: Option<uuid::Uuid>) -> String {
    let person = common::person(common::demo(), Who::Cadre);
    let app = axum::Router::new().route(
        "/v1/auth/signin",
        post(move |Json(body): Json<Value>| async move {
            let user = body["username"].as_str().unwrap_or_default().to_owned();
            match (user.as_str(), body["password"].as_str()) {
                ("zhang", Some("right")) => {
                    let device = device_id
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| body["device_id"].as_str().unwrap_or_default().to_owned());
                    // The server's account has more fields than the app reads.
                    (
                        StatusCode::OK,
                        Json(json!({
                            "device_token": "tok-123",
                            "device_id": device,
                            "account": {"id": 7, "username": "zhang", "display_name": "张三",
                                        "role": "cadre", "person_id": person, "unit_id": null,
                                        "area_path": null, "disabled": false,
                                        "created_at_ms": 1_700_000_000_000u64}
                        })),
                    )
                        .into_response()
                }
                // As the real server: the wait in the Retry-After header.
                ("busy", _) => (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(axum::http::header::RETRY_AFTER, "42")],
                    Json(json!({"code": "auth_slow_down", "message": "密码错误次数过多，请 42 秒后再试"})),
                )
                    .into_response(),
                ("revoked", _) => (
                    StatusCode::FORBIDDEN,
                    Json(json!({"code": "auth_device_revoked", "message": "本机已被管理员停用"})),
                )
                    .into_response(),
                _ => (
                    StatusCode::UNAUTHORIZED,
                    Json(json!({"code": "auth_bad_credentials", "message": "账号或密码不对"})),
                )
                    .into_response(),
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

fn request(server: &str, user: &str, password: &str) -> EnrolRequest {
    EnrolRequest {
        server_url: server.into(),
        username: user.into(),
        password: password.into(),
        pin: PIN.into(),
        device_name: None,
    }
}

fn fresh_app() -> (tempfile::TempDir, Arc<ManualClock>, App) {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::at_day(common::as_of()));
    let app = App::open_with_clock(dir.path(), clock.clone()).expect("open");
    (dir, clock, app)
}

#[tokio::test]
async fn enrol_keeps_the_token_private_and_unlocks() {
    let (dir, _clock, mut app) = fresh_app();
    let s = app.session().expect("session");
    assert!(!s.enrolled && !s.unlocked && !s.has_data);
    assert_eq!(
        app.my_tasks(Default::default())
            .expect_err("refused")
            .code(),
        "not_enrolled"
    );

    let server = fake_server(None).await;
    let s = app
        .enrol(request(&server, "zhang", "right"))
        .await
        .expect("enrol");
    assert!(s.enrolled && s.unlocked);
    assert_eq!(
        s.account.as_ref().map(|a| a.display_name.as_str()),
        Some("张三")
    );
    assert_eq!(
        app.device_token().expect("token").as_deref(),
        Some("tok-123")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("device_token"))
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // No records yet: the lists say to sync first.
    assert_eq!(
        app.my_households(Default::default())
            .expect_err("refused")
            .code(),
        "no_data"
    );
    // The password is never stored.
    let local = std::fs::read(dir.path().join("app.sqlite")).expect("app db");
    assert!(!local.windows(5).any(|w| w == b"right"));
}

#[tokio::test]
async fn plain_http_is_refused_to_the_internet_and_warned_about_on_a_lan() {
    let (_dir, _clock, mut app) = fresh_app();
    // To a host that may be on the internet: refused at the field, nothing sent, with a stable
    // code and what to do.
    for public in ["http://bangfu.xinfeng.gov.cn", "http://8.8.8.8:8080"] {
        let e = app
            .enrol(request(public, "zhang", "right"))
            .await
            .expect_err("refused");
        let field = &e.body().fields[0];
        assert_eq!(
            (field.field.as_str(), field.code.as_str()),
            ("server_url", "insecure_server_url"),
            "{public}"
        );
        assert!(field.message.contains("https://"), "{}", field.message);
    }
    assert!(!app.session().expect("session").enrolled);
    // The shell's default address on the township LAN: offered with the warning.
    app.set_default_server_url(Some("http://192.168.10.2:8080".into()));
    let s = app.session().expect("session");
    assert!(
        s.server_url_warning
            .as_deref()
            .is_some_and(|w| w.contains("未加密连接，仅限内网使用")),
        "{s:?}"
    );
    app.set_default_server_url(Some("https://bangfu.xinfeng.gov.cn".into()));
    assert_eq!(app.session().expect("session").server_url_warning, None);
    // Loopback: enrolled, and the session keeps saying it is not encrypted.
    let server = fake_server(None).await;
    let s = app
        .enrol(request(&server, "zhang", "right"))
        .await
        .expect("enrol");
    assert!(s.enrolled && s.server_url_warning.is_some());
}

#[tokio::test]
async fn enrol_takes_the_device_id_the_server_assigns() {
    let (_dir, _clock, mut app) = fresh_app();
    let assigned = uuid::Uuid::now_v7();
    let server = fake_server(Some(assigned)).await;
    let s = app
        .enrol(request(&server, "zhang", "right"))
        .await
        .expect("enrol");
    assert_eq!(s.device_id, assigned);
    assert_eq!(app.store().device_id(), assigned);
}

#[tokio::test]
async fn enrol_errors_say_what_to_do() {
    let (_dir, _clock, mut app) = fresh_app();
    let server = fake_server(None).await;

    let e = app
        .enrol(request(&server, "zhang", "wrong"))
        .await
        .expect_err("refused");
    assert_eq!(e.code(), "auth_bad_credentials");
    assert!(e.message_zh().contains("请核对"));

    let e = app
        .enrol(request(&server, "busy", "x"))
        .await
        .expect_err("refused");
    assert_eq!(e.code(), "auth_slow_down");
    assert_eq!(e.body().retry_after_s, Some(42));

    let e = app
        .enrol(request(&server, "revoked", "x"))
        .await
        .expect_err("refused");
    assert_eq!(e.code(), "auth_device_revoked");
    assert!(e.message_zh().contains("已被管理员停用"));

    // Nothing listens on port 9 of loopback: offline.
    let e = app
        .enrol(request("http://127.0.0.1:9", "zhang", "right"))
        .await
        .expect_err("refused");
    assert_eq!(e.code(), "offline");
    assert!(e.message_zh().contains("检查网络"));

    // Bad input: every wrong field at once, nothing sent.
    let e = app
        .enrol(EnrolRequest {
            server_url: "bangfu.example".into(),
            username: " ".into(),
            password: String::new(),
            pin: "12ab".into(),
            device_name: None,
        })
        .await
        .expect_err("refused");
    assert_eq!(e.code(), "invalid");
    let fields: Vec<(String, String)> = e
        .body()
        .fields
        .into_iter()
        .map(|f| (f.field, f.code))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("server_url".into(), "bad_server_url".into()),
            ("username".into(), "required".into()),
            ("password".into(), "required".into()),
            ("pin".into(), "pin_format".into()),
        ]
    );
    for bad in [
        "ftp://x.cn",
        "https://",
        "https://user:pw@x.cn",
        "https://x.cn/?a=1",
    ] {
        let e = app
            .enrol(request(bad, "zhang", "right"))
            .await
            .expect_err("refused");
        assert_eq!(e.body().fields[0].code, "bad_server_url", "{bad}");
    }
    assert!(!app.session().expect("session").enrolled);
}

#[test]
fn wrong_pins_are_slowed_down_and_survive_a_restart() {
    let mut f = common::fixture(Who::Cadre);
    f.app.lock().expect("lock");
    assert!(matches!(
        f.app.my_tasks(Default::default()),
        Err(AppError::Locked)
    ));
    for left in (1..=4).rev() {
        let e = f
            .app
            .unlock(UnlockRequest {
                pin: "000000".into(),
            })
            .expect_err("refused");
        assert_eq!(e.code(), "pin_wrong");
        assert!(
            e.message_zh().contains(&format!("再错 {left} 次")),
            "{}",
            e.message_zh()
        );
    }
    // The 5th wrong PIN starts the waits.
    let e = f
        .app
        .unlock(UnlockRequest {
            pin: "000000".into(),
        })
        .expect_err("refused");
    assert_eq!(
        (e.code().as_str(), e.body().retry_after_s),
        ("pin_locked", Some(30))
    );
    // Even the right PIN waits; and killing the app does not reset the count.
    let app = App::open_with_clock(f.dir.path(), f.clock.clone()).expect("reopen");
    f.app = app;
    assert_eq!(f.app.session().expect("s").pin_wait_s, Some(30));
    let e = f
        .app
        .unlock(UnlockRequest { pin: PIN.into() })
        .expect_err("refused");
    assert_eq!(e.code(), "pin_locked");
    f.clock.advance(Duration::seconds(31));
    // The 6th wrong one doubles the wait.
    let e = f
        .app
        .unlock(UnlockRequest {
            pin: "111111".into(),
        })
        .expect_err("refused");
    assert_eq!(e.body().retry_after_s, Some(60));
    f.clock.advance(Duration::seconds(61));
    let s = f
        .app
        .unlock(UnlockRequest { pin: PIN.into() })
        .expect("right PIN");
    assert!(s.unlocked);
    // A right PIN resets the count.
    f.app.lock().expect("lock");
    let e = f
        .app
        .unlock(UnlockRequest {
            pin: "000000".into(),
        })
        .expect_err("refused");
    assert_eq!(e.code(), "pin_wrong");
    assert_eq!(
        bangfu_app::session::pin_wait_s(30),
        bangfu_app::session::MAX_PIN_WAIT_S
    );
}

/// Five wrong PINs: the first wait (30 s) starts.
fn five_wrong_pins(f: &mut common::Fixture) {
    f.app.lock().expect("lock");
    for _ in 0..5 {
        let _ = f.app.unlock(UnlockRequest {
            pin: "000000".into(),
        });
    }
    assert_eq!(f.app.session().expect("s").pin_wait_s, Some(30));
}

#[test]
fn setting_the_phones_clock_forward_does_not_shorten_the_pin_wait() {
    let mut f = common::fixture(Who::Cadre);
    five_wrong_pins(&mut f);
    // The user sets the phone's clock a day ahead (no time passes): still waiting, also after a
    // restart.
    let now = bangfu_app::Clock::now(f.clock.as_ref());
    f.clock.set(now + Duration::days(1));
    let e = f
        .app
        .unlock(UnlockRequest { pin: PIN.into() })
        .expect_err("still waiting");
    assert_eq!(
        (e.code().as_str(), e.body().retry_after_s),
        ("pin_locked", Some(30))
    );
    f.app = App::open_with_clock(f.dir.path(), f.clock.clone()).expect("reopen");
    assert_eq!(f.app.session().expect("s").pin_wait_s, Some(30));
    // Time really passes (the clock's monotonic time): the wait is served, and no more.
    f.clock.advance(Duration::seconds(20));
    assert_eq!(f.app.session().expect("s").pin_wait_s, Some(10));
    f.clock.advance(Duration::seconds(10));
    assert!(
        f.app
            .unlock(UnlockRequest { pin: PIN.into() })
            .expect("served")
            .unlocked
    );
}

#[test]
fn setting_the_phones_clock_back_does_not_lock_the_user_out() {
    let mut f = common::fixture(Who::Cadre);
    five_wrong_pins(&mut f);
    let now = bangfu_app::Clock::now(f.clock.as_ref());
    f.clock.set(now - Duration::days(3650));
    f.app = App::open_with_clock(f.dir.path(), f.clock.clone()).expect("reopen");
    assert_eq!(f.app.session().expect("s").pin_wait_s, Some(30));
    f.clock.advance(Duration::seconds(30));
    assert_eq!(f.app.session().expect("s").pin_wait_s, None);
    assert!(
        f.app
            .unlock(UnlockRequest { pin: PIN.into() })
            .expect("after 30 s of real time")
            .unlocked
    );
}

#[test]
fn the_pin_can_be_changed_with_the_current_one() {
    let mut f = common::fixture(Who::Cadre);
    let e = f
        .app
        .set_pin(SetPinRequest {
            current_pin: PIN.into(),
            new_pin: "12345".into(),
        })
        .expect_err("refused");
    assert_eq!(e.body().fields[0].field, "new_pin");
    let e = f
        .app
        .set_pin(SetPinRequest {
            current_pin: "999999".into(),
            new_pin: "135790".into(),
        })
        .expect_err("refused");
    assert_eq!(e.code(), "pin_wrong");
    f.app
        .set_pin(SetPinRequest {
            current_pin: PIN.into(),
            new_pin: "135790".into(),
        })
        .expect("changed");
    f.app.lock().expect("lock");
    assert!(f.app.unlock(UnlockRequest { pin: PIN.into() }).is_err());
    assert!(
        f.app
            .unlock(UnlockRequest {
                pin: "135790".into()
            })
            .is_ok()
    );
}

/// The shell runs `enrol` as an async Tauri command: its future must be `Send`, and the app
/// must move between threads (behind the shell's mutex).
#[test]
fn enrol_future_is_send_and_the_app_moves_between_threads() {
    fn send<T: Send>(_: &T) {}
    let (_dir, _clock, mut app) = fresh_app();
    let fut = app.enrol(request("http://127.0.0.1:9", "zhang", "right"));
    send(&fut);
    drop(fut);
    let app = std::thread::spawn(move || app).join().expect("thread");
    assert!(!app.session().expect("session").enrolled);
}

/// On the server a device id belongs to the account that enrolled it: when another account
/// enrols on a phone that has made no record yet, the phone signs in with a fresh device id (the
/// old one would be refused `auth_device_taken`); the same account again keeps its id.
#[tokio::test]
async fn another_account_enrolling_on_this_phone_gets_a_fresh_device_id() {
    use bangfu_server::auth::{AccessStorage, NewAccount, Role};
    let storage = Arc::new(bangfu_server::SqliteStorage::open_in_memory().expect("storage"));
    for username in ["wangwu", "lisi"] {
        storage
            .create_account(
                &NewAccount {
                    username: username.into(),
                    display_name: "队员".into(),
                    role: Role::TeamMember,
                    person_id: None,
                    unit_id: None,
                    area_path: Some("360722/360722100/360722100201".into()),
                    password: "password-1".into(),
                },
                "test",
                1_700_000_000_000,
            )
            .expect("account");
    }
    let router = bangfu_server::router(storage.clone(), bangfu_server::ServerConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let server = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });

    let (_dir, _clock, mut app) = fresh_app();
    let first = app
        .enrol(request(&server, "wangwu", "password-1"))
        .await
        .expect("enrol")
        .device_id;
    let second = app
        .enrol(request(&server, "lisi", "password-1"))
        .await
        .expect("another account enrols on the same phone")
        .device_id;
    assert_ne!(first, second);
    assert_eq!(app.store().device_id(), second);
    let again = app
        .enrol(request(&server, "lisi", "password-1"))
        .await
        .expect("the same account again")
        .device_id;
    assert_eq!(again, second);
    let owners: Vec<(uuid::Uuid, String)> = storage
        .devices(None)
        .expect("devices")
        .into_iter()
        .map(|d| (d.device_id, d.username))
        .collect();
    assert!(owners.contains(&(first, "wangwu".to_owned())), "{owners:?}");
    assert!(owners.contains(&(second, "lisi".to_owned())), "{owners:?}");
}
