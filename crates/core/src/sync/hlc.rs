//! Hybrid logical clock (HLC): timestamps that order every operation of every device, stay
//! monotonic whatever the phone's clock says, and absorb the server's clock at every sync.
//!
//! Why not the `uhlc` crate: its clock source is a plain `fn()` reading the system time, so a test
//! (or the no-I/O core) cannot inject a per-device clock without global state, and its timestamps
//! carry a 128-bit id we keep separately (`origin_device`). The algorithm is the standard one
//! (Kulkarni et al., 2014); it is small enough to own.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bits of the packed value that hold the logical counter.
const COUNTER_BITS: u32 = 16;
const COUNTER_MAX: u64 = (1 << COUNTER_BITS) - 1;
/// Largest wall time representable: 2^48 ms after the epoch (year 10889).
const WALL_MAX: u64 = (1 << (64 - COUNTER_BITS)) - 1;

/// One HLC timestamp: milliseconds since the Unix epoch (48 bits) and a logical counter (16 bits),
/// packed in a `u64` so that integer order is timestamp order. JSON: 16 lowercase hex digits
/// (a string, because JavaScript numbers lose precision above 2^53).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hlc(u64);

impl Hlc {
    pub const ZERO: Hlc = Hlc(0);

    pub fn new(wall_ms: u64, counter: u16) -> Hlc {
        Hlc((wall_ms.min(WALL_MAX) << COUNTER_BITS) | u64::from(counter))
    }

    pub fn from_packed(v: u64) -> Hlc {
        Hlc(v)
    }

    pub fn packed(self) -> u64 {
        self.0
    }

    /// Milliseconds since the Unix epoch.
    pub fn wall_ms(self) -> u64 {
        self.0 >> COUNTER_BITS
    }

    pub fn counter(self) -> u16 {
        (self.0 & COUNTER_MAX) as u16
    }

    /// The next timestamp after `self` (counter + 1, carrying into the wall time).
    fn tick(self) -> Hlc {
        if self.0 == u64::MAX {
            self
        } else {
            Hlc(self.0 + 1)
        }
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Why an HLC string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an HLC timestamp (16 lowercase hex digits)")]
pub struct BadHlc(pub String);

impl FromStr for Hlc {
    type Err = BadHlc;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 16
            || !s
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(BadHlc(s.to_owned()));
        }
        u64::from_str_radix(s, 16)
            .map(Hlc)
            .map_err(|_| BadHlc(s.to_owned()))
    }
}

impl Serialize for Hlc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hlc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A device's clock. The physical time is passed in (the core reads no clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HlcClock {
    last: Hlc,
}

impl HlcClock {
    /// A clock that has issued or seen `last` (restored from storage).
    pub fn resume(last: Hlc) -> HlcClock {
        HlcClock { last }
    }

    /// The latest timestamp issued or observed.
    pub fn last(&self) -> Hlc {
        self.last
    }

    /// A timestamp for a local event at physical time `now_ms`: greater than every timestamp this
    /// clock issued or observed before, and at least `now_ms` when the clock is not ahead.
    pub fn now(&mut self, now_ms: u64) -> Hlc {
        let physical = Hlc::new(now_ms, 0);
        self.last = if physical > self.last {
            physical
        } else {
            self.last.tick()
        };
        self.last
    }

    /// Absorbs a timestamp seen from elsewhere (the server's, at every sync; a remote operation's).
    /// Afterwards every local timestamp is greater than `remote`.
    pub fn observe(&mut self, remote: Hlc) {
        if remote > self.last {
            self.last = remote;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_when_the_phone_clock_goes_backwards() {
        let mut c = HlcClock::default();
        let a = c.now(1_000_000);
        let b = c.now(999_000); // clock set back
        let d = c.now(999_000);
        assert!(a < b && b < d);
        assert_eq!(b.wall_ms(), 1_000_000);
    }

    #[test]
    fn absorbs_the_server_clock() {
        let ten_years_ms = 10 * 365 * 24 * 3600 * 1000_u64;
        let server_now = 1_800_000_000_000_u64;
        let mut phone = HlcClock::default();
        let early = phone.now(server_now - ten_years_ms);
        phone.observe(Hlc::new(server_now, 3));
        let next = phone.now(server_now - ten_years_ms + 5);
        assert!(next > Hlc::new(server_now, 3) && next > early);
    }

    #[test]
    fn counter_overflow_carries_into_wall_time() {
        let mut c = HlcClock::resume(Hlc::new(5, u16::MAX));
        let t = c.now(0);
        assert_eq!((t.wall_ms(), t.counter()), (6, 0));
    }

    #[test]
    fn text_form_sorts_like_the_value_and_round_trips() {
        let a = Hlc::new(1_700_000_000_000, 1);
        let b = Hlc::new(1_700_000_000_001, 0);
        assert!(a.to_string() < b.to_string());
        assert_eq!(a.to_string().parse::<Hlc>(), Ok(a));
        assert!("xyz".parse::<Hlc>().is_err());
        assert!("0000000000000000a".parse::<Hlc>().is_err());
        assert!("ABCDEF0123456789".parse::<Hlc>().is_err());
    }
}
