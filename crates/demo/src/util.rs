//! Small helpers: random choices, dates in China Standard Time, deterministic UUIDv7 ids.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeDelta};
use rand::{Rng, RngCore};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

/// The one random generator type of the demo (seeded, so the output is deterministic).
pub(crate) type DemoRng = ChaCha8Rng;

/// A date that exists (callers pass valid months and days; a bad one falls back to `NaiveDate::MIN`).
pub(crate) fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

/// `day` moved by `n` days (unchanged if that leaves chrono's range).
pub(crate) fn add_days(day: NaiveDate, n: i64) -> NaiveDate {
    day.checked_add_signed(TimeDelta::days(n)).unwrap_or(day)
}

/// Days from `a` to `b` (negative if `b` is earlier).
pub(crate) fn days_between(a: NaiveDate, b: NaiveDate) -> i64 {
    (b - a).num_days()
}

/// A day uniformly in `lo..=hi` (`lo` if the range is empty).
pub(crate) fn day_in(rng: &mut DemoRng, lo: NaiveDate, hi: NaiveDate) -> NaiveDate {
    let span = days_between(lo, hi);
    if span <= 0 {
        return lo;
    }
    add_days(lo, rng.random_range(0..=span))
}

/// China Standard Time, the offset every phone of the county records.
pub(crate) fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(utc)
}

fn utc() -> FixedOffset {
    chrono::Offset::fix(&chrono::Utc)
}

/// `day` at `hour:minute` local time (+08:00).
pub(crate) fn local(day: NaiveDate, hour: u32, minute: u32, second: u32) -> DateTime<FixedOffset> {
    let time = NaiveTime::from_hms_opt(hour, minute, second).unwrap_or(NaiveTime::MIN);
    let naive = day.and_time(time);
    let utc_naive = naive
        .checked_sub_signed(TimeDelta::hours(8))
        .unwrap_or(naive);
    DateTime::from_naive_utc_and_offset(utc_naive, cst())
}

/// A random working-hours instant on `day` (08:00–18:00 local).
pub(crate) fn working_time(rng: &mut DemoRng, day: NaiveDate) -> DateTime<FixedOffset> {
    local(
        day,
        rng.random_range(8..18),
        rng.random_range(0..60),
        rng.random_range(0..60),
    )
}

/// A UUIDv7 whose timestamp is `at` and whose random bits come from `rng`.
pub(crate) fn id_at(rng: &mut DemoRng, at: DateTime<FixedOffset>) -> Uuid {
    let mut bytes = [0u8; 10];
    rng.fill_bytes(&mut bytes);
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid()
}

/// A UUIDv7 for a record of `day` (a random instant of that working day).
pub(crate) fn id_on(rng: &mut DemoRng, day: NaiveDate) -> Uuid {
    let at = working_time(rng, day);
    id_at(rng, at)
}

/// True with probability `p` (clamped to 0..=1).
pub(crate) fn chance(rng: &mut DemoRng, p: f64) -> bool {
    rng.random_bool(p.clamp(0.0, 1.0))
}

/// One element of a non-empty constant list.
pub(crate) fn pick<'a, T>(rng: &mut DemoRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Up to `n` distinct elements of a list, in list order.
pub(crate) fn pick_some<T: Clone>(rng: &mut DemoRng, items: &[T], n: usize) -> Vec<T> {
    let mut idx: Vec<usize> = (0..items.len()).collect();
    for i in 0..idx.len() {
        let j = rng.random_range(i..idx.len());
        idx.swap(i, j);
    }
    let mut chosen: Vec<usize> = idx.into_iter().take(n).collect();
    chosen.sort_unstable();
    chosen.into_iter().map(|i| items[i].clone()).collect()
}

/// Fisher–Yates shuffle (kept here so the order never depends on a library's algorithm).
pub(crate) fn shuffle<T>(rng: &mut DemoRng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.random_range(0..=i);
        items.swap(i, j);
    }
}

/// A plausible mainland mobile number.
pub(crate) fn phone(rng: &mut DemoRng) -> String {
    const PREFIXES: [&str; 20] = [
        "133", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "180",
        "181", "182", "187", "188", "189", "198", "199",
    ];
    format!(
        "{}{:08}",
        pick(rng, &PREFIXES),
        rng.random_range(0..100_000_000u32)
    )
}

/// `x` rounded to 6 decimals (about 10 cm), so coordinates print short.
pub(crate) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// An amount in fen, rounded to whole yuan.
pub(crate) fn whole_yuan(fen: f64) -> i64 {
    ((fen / 100.0).round() as i64).max(0) * 100
}
