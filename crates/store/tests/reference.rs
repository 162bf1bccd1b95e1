//! `Store::set_reference`: the county's settings and monitoring lines replaced in one
//! transaction, every record kept; a refused line changes nothing.

mod common;

use bangfu_core::{MonitoringLine, Settings};
use bangfu_store::Store;
use common::{complete_dataset, d};

fn line(year: i32, yuan: i64) -> MonitoringLine {
    MonitoringLine {
        year,
        region_code: "360000".into(),
        yuan_per_person: yuan,
        source: "测试文件".into(),
    }
}

#[test]
fn the_reference_is_replaced_and_the_records_stay() {
    let mut store = Store::open_in_memory().expect("store");
    let ds = complete_dataset();
    store.save_dataset(&ds).expect("save");
    let households = store.load_dataset().expect("load").households.len();
    assert!(households > 0);

    let settings = Settings::with_tracking_start(d("2025-01-01"));
    store
        .set_reference(&settings, &[line(2025, 7_500), line(2026, 7_800)])
        .expect("set");
    let back = store.load_dataset().expect("load");
    assert_eq!(back.settings, settings);
    assert_eq!(
        back.monitoring_lines,
        vec![line(2025, 7_500), line(2026, 7_800)]
    );
    assert_eq!(back.households.len(), households, "records kept");

    // A line the schema refuses (a negative amount): nothing changes.
    let other = Settings::with_tracking_start(d("2026-01-01"));
    store
        .set_reference(&other, &[line(2027, 8_000), line(2028, -1)])
        .expect_err("a negative line is refused");
    let after = store.load_dataset().expect("load");
    assert_eq!(after.settings, settings, "settings unchanged");
    assert_eq!(after.monitoring_lines.len(), 2, "lines unchanged");
}
