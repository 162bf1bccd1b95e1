//! The skeleton the records hang on: townships and villages, units and cadres, and what is planned
//! for each household before its records are written.

use std::collections::HashSet;

use bangfu_core::{Dataset, MonitoredKind, PairingEndReason, Settings};
use chrono::{Datelike, NaiveDate};
use rand::SeedableRng;
use uuid::Uuid;

use crate::DemoConfig;
use crate::util::{DemoRng, ymd};

/// The generator's state: the master random stream, the dataset being filled and the key dates.
#[derive(Debug)]
pub(crate) struct Gen {
    pub rng: DemoRng,
    pub ds: Dataset,
    /// The demo year (`DemoConfig::year`).
    pub year: i32,
    /// The demo's "today" ([`crate::demo_as_of`]).
    pub as_of: NaiveDate,
    /// Jan 1 of the demo year (tracking starts then).
    pub year_start: NaiveDate,
    /// Jan 1 of the year the programme's records begin (2021, the start of the transition
    /// period, or the year before the demo year if that is earlier).
    pub era_start: NaiveDate,
    /// First 17 digits of every ID number handed out (they must not repeat).
    pub id_numbers: HashSet<[u8; 17]>,
}

impl Gen {
    pub(crate) fn new(config: &DemoConfig) -> Gen {
        // The year of "today" (`DemoConfig::today` wins over a `year` that disagrees).
        let as_of = crate::demo_as_of(config);
        let year = as_of.year();
        let year_start = ymd(year, 1, 1);
        Gen {
            rng: DemoRng::seed_from_u64(config.seed),
            ds: Dataset::empty(Settings::with_tracking_start(year_start)),
            year,
            as_of,
            year_start,
            era_start: ymd(year.min(2022) - 1, 1, 1),
            id_numbers: HashSet::new(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Township {
    pub id: Uuid,
    pub name: &'static str,
}

/// A term of a first secretary in a village (`to` inclusive).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Term {
    pub person: Uuid,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

#[derive(Debug)]
pub(crate) struct Village {
    pub id: Uuid,
    pub township: usize,
    pub name: String,
    /// Latitude and longitude of the village centre.
    pub center: (f64, f64),
    /// Number of village groups (组).
    pub groups: u32,
    /// The unit whose cadres assist the village (挂点单位).
    pub unit: usize,
    /// Indices of its households in [`World::plans`].
    pub households: Vec<usize>,
    /// First secretaries, in order of their terms.
    pub first_secretaries: Vec<Term>,
    pub team: Vec<Uuid>,
    /// Share of monthly visits to monitored households the first secretary makes.
    pub fs_monthly: f64,
    /// Share of quarterly visits to lifted households the first secretary makes.
    pub fs_quarterly: f64,
}

impl Village {
    /// The first secretary in office on `day`.
    pub(crate) fn first_secretary_on(&self, day: NaiveDate) -> Option<Uuid> {
        self.first_secretaries
            .iter()
            .find(|t| t.from <= day && t.to.is_none_or(|to| day <= to))
            .map(|t| t.person)
    }

    /// Whoever of the resident team can act on `day`: the first secretary, else a team member.
    pub(crate) fn resident_on(&self, day: NaiveDate) -> Option<Uuid> {
        self.first_secretary_on(day)
            .or_else(|| self.team.first().copied())
    }
}

#[derive(Debug)]
pub(crate) struct UnitInfo {
    pub id: Uuid,
    pub villages: Vec<usize>,
    /// Indices into [`World::cadres`] (successors included).
    pub cadres: Vec<usize>,
}

/// A cadre leaving the unit (R5).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Leave {
    /// Last day in post and of the pairings.
    pub on: NaiveDate,
    pub reason: PairingEndReason,
    /// The successor put into the same post, and the day the successor's pairings start.
    pub successor: Option<(usize, NaiveDate)>,
}

#[derive(Debug)]
pub(crate) struct Cadre {
    pub id: Uuid,
    pub unit: usize,
    /// First day the cadre could be paired.
    pub start: NaiveDate,
    /// Misses many of the quarterly visits.
    pub lax: bool,
    pub leave: Option<Leave>,
}

/// How a household is assisted over the years (its class history follows from this).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Category {
    /// 脱贫户 throughout.
    Lifted,
    /// 监测对象 since before the demo year (脱贫不稳定户 had been lifted; the others are ordinary).
    MonitoredOld(MonitoredKind),
    /// Became 监测对象 during the demo year.
    MonitoredNew {
        kind: MonitoredKind,
        from_lifted: bool,
    },
    /// Became 监测对象 a few weeks before "today" and has no cadre yet (R6).
    Unpaired(MonitoredKind),
    /// Monitored, then risk eliminated (a 脱贫不稳定户 goes back to being assisted as lifted; an
    /// eliminated 边缘易致贫户 is no longer assisted).
    Eliminated(MonitoredKind),
}

impl Category {
    /// Whether the household was a 脱贫户 before anything else.
    pub(crate) fn was_lifted(self) -> bool {
        match self {
            Category::Lifted => true,
            Category::MonitoredOld(k) | Category::Eliminated(k) => {
                k == MonitoredKind::UnstableLifted
            }
            Category::MonitoredNew { from_lifted, .. } => from_lifted,
            Category::Unpaired(_) => false,
        }
    }

    /// Whether its cadre is chosen with the unit's first pairings (the others are paired later).
    pub(crate) fn paired_with_unit(self) -> bool {
        !matches!(
            self,
            Category::Unpaired(_)
                | Category::MonitoredNew {
                    from_lifted: false,
                    ..
                }
        )
    }
}

/// What the income records of a monitored household show (D3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IncomeStory {
    Normal,
    /// Net income drops sharply in the latest quarter.
    Drop,
    /// Rigid expense jumps in the latest quarter.
    Jump,
    /// Per-capita income below the monitoring line.
    BelowLine,
}

/// A data-quality lapse planted on one household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quirk {
    None,
    /// A visit dated 2036 by a phone with a wrong clock, corrected or not.
    WrongClock {
        corrected: bool,
    },
    /// A visit whose record was corrected afterwards.
    CorrectedVisit,
    /// An income record with a typo, corrected afterwards.
    CorrectedIncome,
}

#[derive(Debug)]
pub(crate) struct HouseholdPlan {
    pub village: usize,
    pub category: Category,
    /// Index into [`World::cadres`] of the first cadre it is paired with.
    pub cadre: Option<usize>,
    pub story: IncomeStory,
    /// A member has no medical insurance (found on a recent visit: an open D2 risk).
    pub uninsured: bool,
    pub quirk: Quirk,
}

#[derive(Debug)]
pub(crate) struct World {
    pub county: Uuid,
    pub townships: Vec<Township>,
    pub villages: Vec<Village>,
    pub units: Vec<UnitInfo>,
    pub cadres: Vec<Cadre>,
    pub plans: Vec<HouseholdPlan>,
}
