//! Calendar facts the rules depend on: quarters, months, the income window (D3) and working days
//! with China's statutory holidays and 调休 make-up working days (R7).
//!
//! Holiday data comes from the `chinese_holiday` crate (State Council notices, embedded at build
//! time, never fetched). Outside the years it covers, working days fall back to Monday–Friday and
//! [`WorkingDays::is_covered`] says so.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar quarter, written `2024-Q1` in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quarter {
    pub year: i32,
    /// 1–4.
    pub q: u8,
}

fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    // Every caller passes a month 1–12 and a day that exists in it (1, 5, 25 or a month's last day).
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

fn last_day_of_month(year: i32, month: u32) -> NaiveDate {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    ymd(y, m, 1).pred_opt().unwrap_or(NaiveDate::MIN)
}

impl Quarter {
    /// `None` unless `q` is 1–4.
    pub fn new(year: i32, q: u8) -> Option<Quarter> {
        (1..=4).contains(&q).then_some(Quarter { year, q })
    }

    pub fn of(day: NaiveDate) -> Quarter {
        Quarter {
            year: day.year(),
            q: ((day.month() - 1) / 3 + 1) as u8,
        }
    }

    pub fn first_day(self) -> NaiveDate {
        ymd(self.year, u32::from(self.q) * 3 - 2, 1)
    }

    pub fn last_day(self) -> NaiveDate {
        last_day_of_month(self.year, u32::from(self.q) * 3)
    }

    pub fn contains(self, day: NaiveDate) -> bool {
        Quarter::of(day) == self
    }

    pub fn next(self) -> Quarter {
        if self.q == 4 {
            Quarter {
                year: self.year + 1,
                q: 1,
            }
        } else {
            Quarter {
                year: self.year,
                q: self.q + 1,
            }
        }
    }

    pub fn prev(self) -> Quarter {
        if self.q == 1 {
            Quarter {
                year: self.year - 1,
                q: 4,
            }
        } else {
            Quarter {
                year: self.year,
                q: self.q - 1,
            }
        }
    }

    /// The same quarter one year earlier.
    pub fn year_before(self) -> Quarter {
        Quarter {
            year: self.year - 1,
            q: self.q,
        }
    }

    /// D3: the income window, from the 25th of the quarter's last month to the 5th of the next
    /// month (both inclusive). Q4's runs into the next year: Dec 25 – Jan 5.
    pub fn income_window(self) -> (NaiveDate, NaiveDate) {
        let last_month = u32::from(self.q) * 3;
        let open = ymd(self.year, last_month, 25);
        let next = self.next();
        let close = ymd(next.year, u32::from(next.q) * 3 - 2, 5);
        (open, close)
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-Q{}", self.year, self.q)
    }
}

/// Why a quarter string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a quarter: write it as YYYY-Qn, for example 2024-Q3")]
pub struct BadQuarter(pub String);

impl FromStr for Quarter {
    type Err = BadQuarter;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadQuarter(s.to_owned());
        let (y, q) = s.split_once("-Q").ok_or_else(bad)?;
        if y.len() != 4 || q.len() != 1 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let q: u8 = q.parse().map_err(|_| bad())?;
        Quarter::new(year, q).ok_or_else(bad)
    }
}

impl Serialize for Quarter {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Quarter {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A calendar month, written `2024-03` in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    pub year: i32,
    /// 1–12.
    pub month: u8,
}

impl Month {
    pub fn of(day: NaiveDate) -> Month {
        Month {
            year: day.year(),
            month: day.month() as u8,
        }
    }

    pub fn first_day(self) -> NaiveDate {
        ymd(self.year, u32::from(self.month), 1)
    }

    pub fn last_day(self) -> NaiveDate {
        last_day_of_month(self.year, u32::from(self.month))
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.year, self.month)
    }
}

/// Working days by China's holiday notices.
#[derive(Debug, Clone, Copy, Default)]
pub struct WorkingDays;

impl WorkingDays {
    /// The first and last day the embedded holiday data covers (the `chinese_holiday` crate's
    /// documented range; it panics outside it, so it is never asked about other days).
    pub fn covered_range() -> (NaiveDate, NaiveDate) {
        (ymd(2004, 1, 1), ymd(2026, 12, 25))
    }

    /// Whether `day` is covered by the holiday data. When it is not, working days are
    /// Monday–Friday and callers should say so.
    pub fn is_covered(day: NaiveDate) -> bool {
        let (lo, hi) = Self::covered_range();
        lo <= day && day <= hi
    }

    /// Whether `day` is a working day: statutory holidays are off, 调休 weekend days are on.
    pub fn is_working_day(day: NaiveDate) -> bool {
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        if !Self::is_covered(day) {
            return !weekend;
        }
        let (Ok(y), Ok(m), Ok(d)) = (
            u16::try_from(day.year()),
            u8::try_from(day.month()),
            u8::try_from(day.day()),
        ) else {
            return !weekend;
        };
        chinese_holiday::chinese_holiday(chinese_holiday::Ymd::new(y, m, d)).is_workday()
    }

    /// The `n`th working day strictly after `day` (R7: "within 7 working days" of a change).
    pub fn add(day: NaiveDate, n: u32) -> NaiveDate {
        let mut d = day;
        let mut left = n;
        while left > 0 {
            d = match d.checked_add_days(Days::new(1)) {
                Some(next) => next,
                None => return NaiveDate::MAX,
            };
            if Self::is_working_day(d) {
                left -= 1;
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("test date")
    }

    #[test]
    fn quarter_bounds_and_leap_year() {
        let q = Quarter::of(d("2024-02-29"));
        assert_eq!(q, Quarter { year: 2024, q: 1 });
        assert_eq!(q.first_day(), d("2024-01-01"));
        assert_eq!(q.last_day(), d("2024-03-31"));
        assert_eq!(Month::of(d("2024-02-10")).last_day(), d("2024-02-29"));
        assert_eq!(Month::of(d("2023-02-10")).last_day(), d("2023-02-28"));
        assert_eq!(Quarter { year: 2024, q: 4 }.last_day(), d("2024-12-31"));
    }

    #[test]
    fn d3_income_windows_of_each_quarter() {
        let w = |y, q| Quarter { year: y, q }.income_window();
        assert_eq!(w(2024, 1), (d("2024-03-25"), d("2024-04-05")));
        assert_eq!(w(2024, 2), (d("2024-06-25"), d("2024-07-05")));
        assert_eq!(w(2024, 3), (d("2024-09-25"), d("2024-10-05")));
        assert_eq!(w(2024, 4), (d("2024-12-25"), d("2025-01-05")));
    }

    #[test]
    fn quarter_text_round_trip_and_refusal() {
        let q: Quarter = "2025-Q4".parse().expect("valid");
        assert_eq!(q.to_string(), "2025-Q4");
        for bad in ["2025-Q5", "2025Q1", "25-Q1", "2025-Q0", "2025-Q12", ""] {
            assert!(bad.parse::<Quarter>().is_err(), "{bad}");
        }
    }

    #[test]
    fn r7_seven_working_days_match_the_glossary() {
        assert_eq!(WorkingDays::add(d("2023-09-27"), 7), d("2023-10-12"));
        assert_eq!(WorkingDays::add(d("2023-01-19"), 7), d("2023-02-02"));
        assert_eq!(WorkingDays::add(d("2024-04-30"), 7), d("2024-05-13"));
        assert_eq!(WorkingDays::add(d("2025-09-26"), 7), d("2025-10-13"));
    }

    #[test]
    fn r7_make_up_working_days_count() {
        // 2023-10-07 and 2023-10-08 (Sat, Sun) were 调休 working days.
        assert!(WorkingDays::is_working_day(d("2023-10-07")));
        assert!(WorkingDays::is_working_day(d("2023-10-08")));
        assert!(!WorkingDays::is_working_day(d("2023-10-02")));
        // Spring Festival 2024: Feb 4 (Sun) and Feb 18 (Sun) worked, Feb 10–17 off.
        assert!(WorkingDays::is_working_day(d("2024-02-04")));
        assert!(WorkingDays::is_working_day(d("2024-02-18")));
        assert!(!WorkingDays::is_working_day(d("2024-02-12")));
    }

    #[test]
    fn calendar_covers_2021_to_2026_and_falls_back_outside() {
        let (lo, hi) = WorkingDays::covered_range();
        assert!(
            lo <= d("2021-01-01") && hi >= d("2026-12-25"),
            "covered {lo}–{hi}"
        );
        // 2026: Spring Festival Feb 15–23 off, Sat Feb 14 and Feb 28 worked.
        assert!(!WorkingDays::is_working_day(d("2026-02-16")));
        assert!(WorkingDays::is_working_day(d("2026-02-14")));
        assert!(WorkingDays::is_covered(d("2026-12-25")));
        assert!(!WorkingDays::is_covered(d("2026-12-26")));
        assert!(WorkingDays::is_working_day(d("2026-12-28")));
        let far = d("2099-10-01"); // a Thursday, National Day, but no data for 2099
        assert!(!WorkingDays::is_covered(far));
        assert!(WorkingDays::is_working_day(far));
        assert!(!WorkingDays::is_working_day(d("2099-10-03")));
    }
}
