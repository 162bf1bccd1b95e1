//! A demo county in a fresh data directory, and an app signed in as one of its people.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use bangfu_app::session::{Account, Enrolment};
use bangfu_app::{App, ManualClock};
use bangfu_core::{Dataset, Role};
use bangfu_demo::DemoConfig;
use bangfu_store::Store;
use chrono::NaiveDate;
use uuid::Uuid;

pub const PIN: &str = "246810";

pub fn config() -> DemoConfig {
    DemoConfig {
        households: 300,
        seed: 2023,
        year: 2025,
        today: None,
    }
}

/// The demo's "today", 2025-12-20.
pub fn as_of() -> NaiveDate {
    bangfu_demo::demo_as_of(&config())
}

pub fn d(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

pub fn demo() -> &'static Dataset {
    static DS: OnceLock<Dataset> = OnceLock::new();
    DS.get_or_init(|| bangfu_demo::generate(&config()))
}

/// Who the app is signed in as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The cadre with the most households paired on `as_of`.
    Cadre,
    /// A first secretary of a village on `as_of`.
    FirstSecretary,
    CountyOffice,
}

pub fn person(ds: &Dataset, who: Who) -> Uuid {
    let day = as_of();
    match who {
        Who::Cadre => {
            let mut count: HashMap<Uuid, usize> = HashMap::new();
            for p in ds.pairings.iter().filter(|p| p.active_on(day)) {
                *count.entry(p.cadre_id).or_default() += 1;
            }
            let mut best: Vec<(usize, Uuid)> = count.into_iter().map(|(k, v)| (v, k)).collect();
            best.sort();
            best.last().expect("a cadre").1
        }
        Who::FirstSecretary => {
            ds.people
                .iter()
                .find(|p| p.has_role_on(Role::FirstSecretary, day))
                .expect("a first secretary")
                .id
        }
        Who::CountyOffice => {
            ds.people
                .iter()
                .find(|p| p.has_role_on(Role::CountyOffice, day))
                .expect("county office")
                .id
        }
    }
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub clock: Arc<ManualClock>,
    pub app: App,
    pub me: Uuid,
}

impl Fixture {
    /// Closes the app (as if killed) and opens it again from the same directory, unlocked.
    pub fn reopen(&mut self) {
        let app = App::open_with_clock(self.dir.path(), self.clock.clone()).expect("reopen");
        self.app = app;
        self.app
            .unlock(bangfu_app::session::UnlockRequest { pin: PIN.into() })
            .expect("unlock");
    }

    pub fn ds(&self) -> &'static Dataset {
        demo()
    }
}

/// A data directory holding the demo county, an app signed in as `who`, the clock at `day`.
pub fn fixture_on(who: Who, day: NaiveDate) -> Fixture {
    let ds = demo();
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let mut store = Store::open(dir.path().join(bangfu_app::STORE_FILE)).expect("store");
        store.save_dataset(ds).expect("demo saves");
    }
    let clock = Arc::new(ManualClock::at_day(day));
    let mut app = App::open_with_clock(dir.path(), clock.clone()).expect("open");
    let me = person(ds, who);
    let device_id = app.store().device_id();
    app.install_enrolment(Enrolment {
        server_url: "https://bangfu.example.gov.cn".into(),
        device_token: "token-for-tests".into(),
        device_id,
        account: Account {
            username: "tester".into(),
            display_name: "测试".into(),
            role: match who {
                Who::Cadre => Role::Cadre,
                Who::FirstSecretary => Role::FirstSecretary,
                Who::CountyOffice => Role::CountyOffice,
            },
            person_id: Some(me),
        },
        pin: PIN.into(),
    })
    .expect("enrol");
    Fixture {
        dir,
        clock,
        app,
        me,
    }
}

pub fn fixture(who: Who) -> Fixture {
    fixture_on(who, as_of())
}

/// A household paired with `cadre` on `as_of`.
pub fn paired_household(ds: &Dataset, cadre: Uuid) -> Uuid {
    ds.pairings
        .iter()
        .find(|p| p.cadre_id == cadre && p.active_on(as_of()))
        .expect("a paired household")
        .household_id
}

/// A household no pairing of `cadre` ever touched, outside the villages where `cadre` holds a grant.
pub fn foreign_household(ds: &Dataset, cadre: Uuid) -> Uuid {
    let mine: Vec<Uuid> = ds
        .pairings
        .iter()
        .filter(|p| p.cadre_id == cadre)
        .map(|p| p.household_id)
        .collect();
    let person = ds.people.iter().find(|p| p.id == cadre).expect("person");
    let villages: Vec<Uuid> = person.roles.iter().filter_map(|g| g.area_id).collect();
    ds.households
        .iter()
        .find(|h| !mine.contains(&h.id) && !villages.contains(&h.village_id))
        .expect("a foreign household")
        .id
}

/// A small real JPEG (64×48, its colours from `seed`): `add_photo` runs it through intake.
pub fn jpeg(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([seed.wrapping_mul(37), (x * 4) as u8, (y * 5) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("encode");
    out.into_inner()
}

/// Lowercase hex SHA-256.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn png(seed: u8) -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    b.extend(std::iter::repeat_n(seed, 100));
    b
}

/// From now on, records the store connection's `synchronous` level (0 OFF, 1 NORMAL, 2 FULL,
/// 3 EXTRA) inside every transaction that stores a local operation (every user's change).
pub fn watch_synchronous(app: &App) {
    app.store()
        .connection()
        .execute_batch(
            "CREATE TEMP TABLE sync_levels (entity TEXT, level INTEGER);
             CREATE TEMP TRIGGER sync_level AFTER INSERT ON ops WHEN NEW.local = 1 BEGIN
                 INSERT INTO sync_levels SELECT NEW.entity, synchronous FROM pragma_synchronous;
             END;",
        )
        .expect("trigger");
}

/// What [`watch_synchronous`] saw: `(entity, level)` in commit order.
pub fn synchronous_levels(app: &App) -> Vec<(String, i64)> {
    let mut st = app
        .store()
        .connection()
        .prepare("SELECT entity, level FROM sync_levels ORDER BY rowid")
        .expect("select");
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("levels")
}

/// The village of the first village grant (first secretary or team member) `person` holds on `day`.
pub fn village_of_staff(ds: &Dataset, person: Uuid, day: NaiveDate) -> Uuid {
    ds.people
        .iter()
        .find(|p| p.id == person)
        .and_then(|p| {
            p.roles
                .iter()
                .find(|g| {
                    matches!(g.role, Role::FirstSecretary | Role::TeamMember) && g.holds_on(day)
                })
                .and_then(|g| g.area_id)
        })
        .expect("a village grant")
}

/// Stores (as if pulled) a 脱贫户 of `village` that became a 突发严重困难户 on `monitored_from`,
/// with no pairing.
pub fn new_monitored_household(app: &mut App, village: Uuid, monitored_from: NaiveDate) -> Uuid {
    use bangfu_core::{ClassPeriod, Household, HouseholdClass, MonitoredKind, Record, Risk};
    let id = Uuid::now_v7();
    let h = Household {
        id,
        village_id: village,
        group: Some("3组".into()),
        head_name: "测试户主".into(),
        address: None,
        phone: None,
        class_history: vec![
            ClassPeriod {
                from: d("2021-01-01"),
                class: HouseholdClass::Lifted,
                kind: None,
            },
            ClassPeriod {
                from: monitored_from,
                class: HouseholdClass::Monitored,
                kind: Some(MonitoredKind::SuddenHardship),
            },
        ],
        risks: vec![Risk::Illness],
    };
    app.store_mut()
        .save_record(&Record::Household(h))
        .expect("household saves");
    id
}

/// Stores (as if pulled) a pairing of `household` with `cadre` from `start`.
pub fn store_pairing(app: &mut App, household: Uuid, cadre: Uuid, start: NaiveDate) -> Uuid {
    let id = Uuid::now_v7();
    app.store_mut()
        .save_record(&bangfu_core::Record::Pairing(bangfu_core::Pairing {
            id,
            household_id: household,
            cadre_id: cadre,
            start,
            end: None,
            end_reason: None,
            successor_id: None,
            arranged_by: None,
        }))
        .expect("pairing saves");
    id
}

/// Every local operation not yet pushed (what "nothing saved" is checked against).
pub fn unsynced(app: &App) -> u64 {
    app.store().unsynced_count().expect("unsynced")
}
