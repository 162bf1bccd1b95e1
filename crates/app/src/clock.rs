//! Time, injected: the app asks a [`Clock`] for "now", so tests put the clock where they like
//! (a quarter's last day, inside an income window, after a PIN lock-out).
//!
//! Two readings: the wall clock (dates, times shown and recorded), which the user can set to
//! anything, and monotonic time (how much time really passed in this process), which nobody
//! can set: waits that protect something (the PIN's) are served in monotonic time.

use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};

/// Where the app gets the current instant (with the phone's UTC offset).
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<FixedOffset>;

    /// Time elapsed since a fixed point of this process, never going back and unaffected by
    /// setting the wall clock (compare two readings of one process only).
    fn monotonic(&self) -> std::time::Duration;
}

/// The phone's own clock and time zone.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<FixedOffset> {
        chrono::Local::now().fixed_offset()
    }

    fn monotonic(&self) -> std::time::Duration {
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed()
    }
}

/// A clock that stands still until told to move (tests, screenshots). [`ManualClock::advance`]
/// is time passing (wall and monotonic time alike); [`ManualClock::set`] is the user setting the
/// phone's clock (the wall clock only).
#[derive(Debug)]
pub struct ManualClock(Mutex<(DateTime<FixedOffset>, std::time::Duration)>);

impl ManualClock {
    pub fn new(now: DateTime<FixedOffset>) -> Self {
        ManualClock(Mutex::new((now, std::time::Duration::ZERO)))
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

    /// Sets the wall clock (as a user setting the phone's clock): no time passes.
    pub fn set(&self, now: DateTime<FixedOffset>) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).0 = now;
    }

    /// Lets time pass: the wall clock and monotonic time both move on (a negative `by` moves
    /// the wall clock only).
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        t.0 += by;
        if let Ok(passed) = by.to_std() {
            t.1 += passed;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<FixedOffset> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).0
    }

    fn monotonic(&self) -> std::time::Duration {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).1
    }
}

/// Milliseconds since the Unix epoch (0 before it: a clock that far off is caught elsewhere).
pub(crate) fn epoch_ms(t: DateTime<FixedOffset>) -> u64 {
    u64::try_from(t.timestamp_millis()).unwrap_or(0)
}
