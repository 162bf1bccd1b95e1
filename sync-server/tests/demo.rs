//! `bangfu-server demo`: the demo county goes in whole (every operation accepted by the same
//! checks as a device's push), each demo account has a non-empty scope, and a database that
//! already holds data is refused.

use bangfu_server::auth::{AccessStorage, Role};
use bangfu_server::demo_seed::seed;
use bangfu_server::{SqliteStorage, SyncStorage};

#[test]
fn the_demo_county_and_its_accounts_load_into_an_empty_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("demo.sqlite");
    seed(&db, 300).expect("demo");
    let storage = SqliteStorage::open(&db).expect("open");
    assert!(
        storage.rejected(None).expect("rejected").is_empty(),
        "every record accepted"
    );
    let ops = storage.health().expect("health").last_server_seq;
    assert!(ops > 1_000, "{ops}");
    let accounts = storage.accounts().expect("accounts");
    let roles: Vec<Role> = accounts.iter().map(|a| a.role).collect();
    for role in [
        Role::CountyOffice,
        Role::FirstSecretary,
        Role::Cadre,
        Role::TownshipStation,
    ] {
        assert!(roles.contains(&role), "{role:?} in {roles:?}");
    }
    let today = bangfu_server::http::auth::china_today(bangfu_server::now_ms());
    for a in &accounts {
        let scope = storage.scope_of(a, today).expect("scope");
        assert!(!scope.is_empty(), "{} has a scope", a.username);
    }
    drop(storage);
    let again = seed(&db, 300).expect_err("not twice");
    assert!(
        again.to_string().contains("already holds operations"),
        "{again}"
    );
}
