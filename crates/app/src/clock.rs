//! Time, injected: the app asks a [`Clock`] for "now", so tests put the clock where they like
//! (a quarter's last day, inside an income window, after a PIN lock-out).

use std::sync::Mutex;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};

/// Where the app gets the current instant (with the phone's UTC offset).
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<FixedOffset>;
}

/// The phone's own clock and time zone.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<FixedOffset> {
        chrono::Local::now().fixed_offset()
    }
}

/// A clock that stands still until told to move (tests, screenshots).
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<FixedOffset>>);

impl ManualClock {
    pub fn new(now: DateTime<FixedOffset>) -> Self {
        ManualClock(Mutex::new(now))
    }

    /// A clock at 09:00 +08:00 of `day`.
    pub fn at_day(day: NaiveDate) -> Self {
        let tz = FixedOffset::east_opt(8 * 3600).unwrap_or(FixedOffset::east_opt(0).expect("utc"));
        let naive = day.and_hms_opt(9, 0, 0).unwrap_or_default();
        let now = naive
            .and_local_timezone(tz)
            .single()
            .unwrap_or_else(|| DateTime::<FixedOffset>::from_naive_utc_and_offset(naive, tz));
        ManualClock::new(now)
    }

    pub fn set(&self, now: DateTime<FixedOffset>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = now;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<FixedOffset> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Milliseconds since the Unix epoch (0 before it: a clock that far off is caught elsewhere).
pub(crate) fn epoch_ms(t: DateTime<FixedOffset>) -> u64 {
    u64::try_from(t.timestamp_millis()).unwrap_or(0)
}
