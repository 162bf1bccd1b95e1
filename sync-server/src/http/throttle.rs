//! Sign-ins without an account's password cost the attacker little and the server an argon2 check
//! (about 19 MiB and tens of milliseconds each): they are throttled here, in memory, before any
//! password is checked.
//!
//! - [`Throttle`]: failures counted by username — whether the name exists or not, so that a 429
//!   tells nothing about which names exist — and by client address (IPv6 by its /64). Each
//!   attempt is *reserved* under one mutex before its password is checked: it counts as a failure
//!   at once, so a burst of parallel guesses sees the ones before it (the free ones pass, the rest
//!   wait). A right password then clears its name's count and takes its reservation back from the
//!   address; an attempt that was not checked (the server busy, an error) takes both back. The
//!   waits are those of stored accounts ([`crate::auth::wait_after`]): after the free failures,
//!   1, 2, 4 … s after the last one, at most 15 min; a count left alone for an hour is forgotten.
//!   Both maps are bounded ([`MAX_ENTRIES`]): when full, forgotten entries go, then the older half.
//! - [`Gate`]: at most `slots` password checks at once (one per CPU), at most `queue` sign-ins
//!   waiting for one; beyond that a sign-in is answered 503 `signin_busy` at once instead of
//!   piling up.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::auth::{FORGET_AFTER_MS, FREE_FAILURES, wait_after};

/// Most names (and, apart, addresses) whose failures are remembered.
pub const MAX_ENTRIES: usize = 50_000;
/// Longest wait for a password-check slot before the sign-in is answered 503.
const GATE_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, Default)]
struct Count {
    failures: u32,
    last_ms: u64,
}

impl Count {
    fn live(self, now_ms: u64) -> Count {
        if now_ms.saturating_sub(self.last_ms) >= FORGET_AFTER_MS {
            Count::default()
        } else {
            self
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    names: HashMap<String, Count>,
    addresses: HashMap<IpAddr, Count>,
}

/// Failed sign-ins by username and by address.
#[derive(Debug)]
pub(crate) struct Throttle {
    free_per_address: u32,
    max_entries: usize,
    counts: Mutex<Counts>,
}

/// How a reserved attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The password was right (whatever else refused the sign-in).
    RightPassword,
    /// A wrong password (or a name that does not exist), or the stored count said wait.
    Failed,
}

/// One attempt counted as a failure until [`Reservation::finish`]; dropped unfinished (the
/// password was never checked), it is taken back.
#[derive(Debug)]
pub(crate) struct Reservation {
    throttle: Arc<Throttle>,
    name: String,
    address: IpAddr,
    finished: bool,
}

/// The address a client is counted under: IPv4 as is, IPv6 by its /64 (one subscriber's block).
pub(crate) fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
    }
}

fn lock(m: &Mutex<Counts>) -> MutexGuard<'_, Counts> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(), // counts stay usable
    }
}

/// Makes room for one more key: forgotten entries go, then the older half.
fn make_room<K: Eq + Hash>(map: &mut HashMap<K, Count>, max: usize, now_ms: u64) {
    if map.len() < max {
        return;
    }
    map.retain(|_, c| now_ms.saturating_sub(c.last_ms) < FORGET_AFTER_MS);
    if map.len() < max {
        return;
    }
    let mut times: Vec<u64> = map.values().map(|c| c.last_ms).collect();
    let mid = times.len() / 2;
    let (_, median, _) = times.select_nth_unstable(mid);
    let median = *median;
    map.retain(|_, c| c.last_ms > median);
}

fn bump<K: Eq + Hash>(map: &mut HashMap<K, Count>, key: K, max: usize, now_ms: u64) {
    if !map.contains_key(&key) {
        make_room(map, max, now_ms);
    }
    let c = map.entry(key).or_default();
    *c = c.live(now_ms);
    c.failures = c.failures.saturating_add(1);
    c.last_ms = now_ms;
}

fn take_back<K: Eq + Hash>(map: &mut HashMap<K, Count>, key: &K) {
    if let Some(c) = map.get_mut(key) {
        c.failures = c.failures.saturating_sub(1);
        if c.failures == 0 {
            map.remove(key);
        }
    }
}

impl Throttle {
    pub(crate) fn new(free_per_address: u32, max_entries: usize) -> Throttle {
        Throttle {
            free_per_address,
            max_entries: max_entries.max(2),
            counts: Mutex::default(),
        }
    }

    /// Reserves an attempt for `name` from `address`, or the seconds to wait first.
    pub(crate) fn reserve(
        self: &Arc<Self>,
        name: &str,
        address: IpAddr,
        now_ms: u64,
    ) -> Result<Reservation, u64> {
        let address = address_key(address);
        let mut counts = lock(&self.counts);
        let by_name = counts
            .names
            .get(name)
            .map_or_else(Count::default, |c| c.live(now_ms));
        let by_address = counts
            .addresses
            .get(&address)
            .map_or_else(Count::default, |c| c.live(now_ms));
        let wait =
            wait_after(by_name.failures, FREE_FAILURES, by_name.last_ms, now_ms).max(wait_after(
                by_address.failures,
                self.free_per_address,
                by_address.last_ms,
                now_ms,
            ));
        if wait > 0 {
            return Err(wait);
        }
        let max = self.max_entries;
        bump(&mut counts.names, name.to_owned(), max, now_ms);
        bump(&mut counts.addresses, address, max, now_ms);
        Ok(Reservation {
            throttle: self.clone(),
            name: name.to_owned(),
            address,
            finished: false,
        })
    }

    #[cfg(test)]
    fn len(&self) -> (usize, usize) {
        let c = lock(&self.counts);
        (c.names.len(), c.addresses.len())
    }
}

impl Reservation {
    /// Settles the attempt: a right password clears the name's count and is no failure of the
    /// address; a failure stays counted, as of `now_ms`.
    pub(crate) fn finish(mut self, outcome: Outcome, now_ms: u64) {
        self.finished = true;
        let mut counts = lock(&self.throttle.counts);
        match outcome {
            Outcome::RightPassword => {
                counts.names.remove(&self.name);
                take_back(&mut counts.addresses, &self.address);
            }
            Outcome::Failed => {
                if let Some(c) = counts.names.get_mut(&self.name) {
                    c.last_ms = c.last_ms.max(now_ms);
                }
                if let Some(c) = counts.addresses.get_mut(&self.address) {
                    c.last_ms = c.last_ms.max(now_ms);
                }
            }
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let mut counts = lock(&self.throttle.counts);
        take_back(&mut counts.names, &self.name);
        take_back(&mut counts.addresses, &self.address);
    }
}

/// Bounds the password checks running and waiting.
#[derive(Debug)]
pub(crate) struct Gate {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
}

/// One waiting sign-in, counted until dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Gate {
    pub(crate) fn new(slots: usize, queue: usize) -> Gate {
        Gate {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            waiting: AtomicUsize::new(0),
            queue,
        }
    }

    /// A slot to check a password in, or `None` when too many wait already (or the wait is
    /// too long): answer 503 then.
    pub(crate) async fn enter(&self) -> Option<OwnedSemaphorePermit> {
        if let Ok(p) = self.slots.clone().try_acquire_owned() {
            return Some(p);
        }
        let waiting = Waiting(&self.waiting);
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.queue {
            return None;
        }
        let slot = tokio::time::timeout(GATE_WAIT, self.slots.clone().acquire_owned()).await;
        drop(waiting);
        slot.ok()?.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn a_name_waits_after_its_free_failures_known_or_not_and_a_right_password_clears_it() {
        let t = Arc::new(Throttle::new(100, 1000));
        let held: Vec<_> = (0..FREE_FAILURES)
            .map(|_| t.reserve("x", A, 1_000).expect("free"))
            .collect();
        // Reserved but not yet checked: the next one already waits.
        assert_eq!(t.reserve("x", B, 1_000).err(), Some(1));
        for r in held {
            r.finish(Outcome::Failed, 1_500);
        }
        assert_eq!(t.reserve("x", A, 2_000).err(), Some(1));
        let r = t.reserve("x", A, 2_500).expect("waited");
        r.finish(Outcome::RightPassword, 2_600);
        assert!(t.reserve("x", A, 2_600).is_ok());
        // Forgotten after an hour.
        let t = Arc::new(Throttle::new(100, 1000));
        for _ in 0..FREE_FAILURES {
            t.reserve("y", A, 0)
                .expect("free")
                .finish(Outcome::Failed, 0);
        }
        assert!(t.reserve("y", A, 1).is_err());
        assert!(t.reserve("y", A, FORGET_AFTER_MS).is_ok());
    }

    #[test]
    fn an_address_waits_after_its_free_failures_over_many_names() {
        let t = Arc::new(Throttle::new(3, 1000));
        for i in 0..3 {
            t.reserve(&format!("n{i}"), A, 0)
                .expect("free")
                .finish(Outcome::Failed, 0);
        }
        assert_eq!(t.reserve("n9", A, 0).err(), Some(1));
        assert!(
            t.reserve("n9", B, 0).is_ok(),
            "another address is not held up"
        );
        // An attempt never checked is taken back.
        let t = Arc::new(Throttle::new(1, 1000));
        drop(t.reserve("z", A, 0).expect("free"));
        assert_eq!(t.len(), (0, 0));
        let held = t.reserve("z", A, 0).expect("free again");
        assert_eq!(t.len(), (1, 1));
        drop(held);
    }

    #[test]
    fn ipv6_counts_by_its_64_block_and_maps_stay_bounded() {
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ip");
        assert_eq!(address_key(a), address_key(b));
        let t = Arc::new(Throttle::new(1_000_000, 100));
        for i in 0..1_000u64 {
            t.reserve(&format!("name{i}"), A, i)
                .expect("free")
                .finish(Outcome::Failed, i);
        }
        let (names, addresses) = t.len();
        assert!(names <= 100 && addresses == 1, "{names}");
    }

    #[tokio::test]
    async fn the_gate_refuses_beyond_its_queue() {
        let g = Gate::new(1, 1);
        let first = g.enter().await.expect("a slot");
        let g = Arc::new(g);
        let g2 = g.clone();
        let second = tokio::spawn(async move { g2.enter().await.is_some() });
        tokio::task::yield_now().await;
        while g.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        assert!(g.enter().await.is_none(), "the queue is full");
        drop(first);
        assert!(second.await.expect("task"));
    }
}
