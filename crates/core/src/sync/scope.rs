//! The part of the county an account reads and writes, as sets of `scope_path`s. The server
//! computes it (bangfu-server's `auth`); a device receives it from `GET /v1/me` and drops the
//! households that left it.
//!
//! A `scope_path` is `county/township/village` codes, and `/h:<household id>` for everything that
//! belongs to one household. By [`crate::Role`]:
//! - county office: everything on this server;
//! - township station: its township's subtree; first secretary and team member: their village's;
//! - cadre: the households she is paired with today (exact household paths);
//! - unit admin: the households its unit's cadres are paired with today.
//!
//! Every account also *reads* (never writes) the records on the paths above its own — the county,
//! township and village records (areas, people, settings) its households need to be shown.
//!
//! A pairing that ended less than [`ENDED_GRACE_DAYS`] ago (by the server's date) is listed in
//! `ended`: work done while paired, on a phone that was offline when the pairing ended, must reach
//! the server. The server decides that grace from what it had served the device, never from a date
//! the device claims (bangfu-server's `authz`).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Days after a pairing's end during which the cadre's earlier changes are still accepted.
pub const ENDED_GRACE_DAYS: i64 = 90;

/// What a device reads and writes. Sorted and deduplicated.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Scope {
    /// Everything (the county office).
    pub all: bool,
    /// Paths whose whole subtree is in scope (`a/b` covers `a/b` and `a/b/…`).
    pub subtrees: Vec<String>,
    /// Household paths in scope (exactly).
    pub households: Vec<String>,
    /// Paths read but not written (exactly): the areas above the scope.
    pub ancestors: Vec<String>,
    /// Households whose pairing ended lately, with the last day: nothing of them is read; the
    /// server may still accept field records a device made while it held them.
    pub ended: Vec<(String, NaiveDate)>,
}

fn under(path: &str, root: &str) -> bool {
    path == root
        || (path.len() > root.len()
            && path.starts_with(root)
            && path.as_bytes().get(root.len()) == Some(&b'/'))
}

impl Scope {
    /// The whole server.
    pub fn all() -> Scope {
        Scope {
            all: true,
            ..Scope::default()
        }
    }

    /// A scope of subtrees and households; the ancestors are derived.
    pub fn of(
        subtrees: impl IntoIterator<Item = String>,
        households: impl IntoIterator<Item = String>,
        ended: impl IntoIterator<Item = (String, NaiveDate)>,
    ) -> Scope {
        let subtrees: BTreeSet<String> = subtrees.into_iter().collect();
        let households: BTreeSet<String> = households.into_iter().collect();
        let mut ancestors = BTreeSet::new();
        for p in subtrees.iter().chain(&households) {
            let mut end = 0;
            while let Some(i) = p[end..].find('/') {
                ancestors.insert(p[..end + i].to_owned());
                end += i + 1;
            }
        }
        let mut ended: Vec<(String, NaiveDate)> = ended
            .into_iter()
            .filter(|(p, _)| !households.contains(p))
            .collect();
        ended.sort();
        ended.dedup_by(|a, b| a.0 == b.0);
        Scope {
            all: false,
            ancestors: ancestors
                .into_iter()
                .filter(|a| !subtrees.iter().any(|s| under(a, s)))
                .collect(),
            subtrees: subtrees.into_iter().collect(),
            households: households.into_iter().collect(),
            ended,
        }
    }

    /// Whether the device reads an operation on `path`.
    pub fn reads(&self, path: &str) -> bool {
        self.writes(path)
            || self
                .ancestors
                .binary_search_by(|a| a.as_str().cmp(path))
                .is_ok()
    }

    /// Whether the device may write on `path` today. (A pairing that ended lately is not
    /// writable by this test: the server's grace for it depends on what it served the device,
    /// see `bangfu_server::authz`, never on a date the device claims.)
    pub fn writes(&self, path: &str) -> bool {
        self.all
            || self.subtrees.iter().any(|s| under(path, s))
            || self
                .households
                .binary_search_by(|h| h.as_str().cmp(path))
                .is_ok()
    }

    /// Whether `path` is a household whose pairing ended lately (within [`ENDED_GRACE_DAYS`]).
    pub fn ended_includes(&self, path: &str) -> bool {
        self.ended.iter().any(|(p, _)| p == path)
    }

    /// Whether `path` is one of the scope's households (exactly, not by a subtree).
    pub fn holds_household(&self, path: &str) -> bool {
        self.households
            .binary_search_by(|h| h.as_str().cmp(path))
            .is_ok()
    }

    /// Whether everything `other` reads, `self` reads too (so a device that was sent `self` from
    /// the start of the feed holds all of `other`'s history).
    pub fn covers(&self, other: &Scope) -> bool {
        if self.all {
            return true;
        }
        if other.all {
            return false;
        }
        other
            .subtrees
            .iter()
            .all(|s| self.subtrees.iter().any(|t| under(s, t)))
            && other
                .households
                .iter()
                .chain(&other.ancestors)
                .all(|p| self.reads(p))
    }

    /// Whether the scope reads nothing at all.
    pub fn is_empty(&self) -> bool {
        !self.all && self.subtrees.is_empty() && self.households.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn a_village_reads_its_subtree_and_the_areas_above() {
        let s = Scope::of(["c/t/v".to_owned()], [], []);
        assert!(s.reads("c/t/v"));
        assert!(s.reads("c/t/v/h:1"));
        assert!(s.reads("c/t") && s.reads("c"));
        assert!(!s.reads("c/t/v2") && !s.reads("c/t/vv") && !s.reads("c/t2"));
        assert!(s.writes("c/t/v/h:1"));
        assert!(!s.writes("c/t"), "ancestors are read only");
    }

    #[test]
    fn a_cadre_reads_her_households_only() {
        let s = Scope::of(
            [],
            ["c/t/v/h:1".to_owned()],
            [("c/t/v/h:2".to_owned(), d("2026-03-31"))],
        );
        assert!(s.reads("c/t/v/h:1") && s.reads("c/t/v"));
        assert!(!s.reads("c/t/v/h:2"), "an ended pairing is not read");
        assert!(
            !s.writes("c/t/v/h:2"),
            "an ended pairing is not written by date"
        );
        assert!(s.ended_includes("c/t/v/h:2") && !s.ended_includes("c/t/v/h:1"));
        assert!(s.holds_household("c/t/v/h:1") && !s.holds_household("c/t/v"));
        assert!(!s.writes("c/t/v/h:3"));
    }

    #[test]
    fn a_grown_scope_is_not_covered_by_the_old_one() {
        let old = Scope::of([], ["c/t/v/h:1".to_owned()], []);
        let new = Scope::of([], ["c/t/v/h:1".to_owned(), "c/t/v/h:2".to_owned()], []);
        assert!(!old.covers(&new));
        assert!(new.covers(&old));
        let village = Scope::of(["c/t/v".to_owned()], [], []);
        assert!(village.covers(&new));
        assert!(Scope::all().covers(&village) && !village.covers(&Scope::all()));
    }
}
