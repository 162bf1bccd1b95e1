//! Convergence property test: 3–5 phones (real stores) make random offline changes — new
//! households, edits of the same few household fields (so that phones often write the same field
//! at once), visits, income records — and sync in random orders, in several rounds, against the
//! real server storage through a transport that drops requests, drops answers after the server
//! applied them, delivers requests twice, replays stale pushes later, goes offline in the middle
//! of a sync, or never answers (the sync is abandoned: its future dropped mid-way); sometimes two
//! phones sync at once. Supervisors settle some conflicts. A last round syncs every phone twice
//! without faults. Then every phone shows
//! exactly the server's state, every operation any phone made is in the server's feed exactly
//! once, and every value ever written is kept in every replica's history.
//!
//! Cases: 256 by default (`PROPTEST_CASES` overrides); the RNG seed is fixed unless
//! `PROPTEST_RNG_SEED` is set, so a run is reproducible.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bangfu_core::Record;
use bangfu_server::SqliteStorage;
use bangfu_sync_client::sync;
use bangfu_tests::check::assert_converged;
use bangfu_tests::fixtures::{
    HouseholdField, Phone, T0_MS, household, household_scope, income_record, seed_household_id,
    visit,
};
use bangfu_tests::inproc::{FaultCounts, FaultPlan, FaultyTransport};
use bangfu_tests::quick_sync_options;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use uuid::Uuid;

const SEED_HOUSEHOLDS: usize = 3;
const MAX_PHONES: usize = 5;
const DEFAULT_CASES: u32 = 256;
const DEFAULT_SEED: u64 = 0x0bad_5eed_2025;

#[derive(Debug, Clone)]
enum Action {
    NewHousehold {
        phone: usize,
        name: u8,
    },
    /// `household` below [`SEED_HOUSEHOLDS`]: that seed household (every phone has it); above:
    /// one of the households the phone holds.
    Edit {
        phone: usize,
        household: usize,
        field: usize,
        value: u8,
    },
    Visit {
        phone: usize,
        household: usize,
    },
    Income {
        phone: usize,
        household: usize,
        quarter: u8,
        wage: u16,
    },
    /// Settle conflict number `which` on the phone with value `pick` of its heads.
    Settle {
        phone: usize,
        which: usize,
        pick: usize,
    },
}

#[derive(Debug, Clone)]
struct SyncStep {
    phone: usize,
    /// Another phone syncing at the same time.
    with: Option<usize>,
    batch: usize,
    page: u32,
    plan: FaultPlan,
}

#[derive(Debug, Clone)]
struct Round {
    actions: Vec<Action>,
    syncs: Vec<SyncStep>,
    /// Replay the stale pushes the transport kept, at the end of the round.
    replay_stale: bool,
}

#[derive(Debug, Clone)]
struct Scenario {
    phones: usize,
    /// Each phone's clock error, ms.
    skews: Vec<i64>,
    rounds: Vec<Round>,
}

fn household_pick() -> impl Strategy<Value = usize> {
    prop_oneof![3 => 0..SEED_HOUSEHOLDS, 1 => SEED_HOUSEHOLDS..1000]
}

fn action() -> impl Strategy<Value = Action> {
    let phone = 0..MAX_PHONES;
    prop_oneof![
        1 => (phone.clone(), any::<u8>()).prop_map(|(phone, name)| Action::NewHousehold { phone, name }),
        6 => (phone.clone(), household_pick(), 0..HouseholdField::ALL.len(), 0..6u8)
            .prop_map(|(phone, household, field, value)| Action::Edit { phone, household, field, value }),
        2 => (phone.clone(), household_pick()).prop_map(|(phone, household)| Action::Visit { phone, household }),
        1 => (phone, household_pick(), 1..=4u8, any::<u16>())
            .prop_map(|(phone, household, quarter, wage)| Action::Income { phone, household, quarter, wage }),
        1 => (0..MAX_PHONES, any::<usize>(), any::<usize>())
            .prop_map(|(phone, which, pick)| Action::Settle { phone, which, pick }),
    ]
}

fn fault_plan() -> impl Strategy<Value = FaultPlan> {
    (
        any::<u64>(),
        prop_oneof![1 => Just(0u8), 3 => 10..=45u8],
        prop::option::weighted(0.2, 1..10u32),
        prop::option::weighted(0.15, 1..10u32),
    )
        .prop_map(|(seed, percent, offline_after, hang_at)| FaultPlan {
            seed,
            percent,
            offline_after,
            hang_at,
        })
}

fn sync_step() -> impl Strategy<Value = SyncStep> {
    (
        0..MAX_PHONES,
        prop::option::weighted(0.2, 0..MAX_PHONES),
        1..=12usize,
        1..=10u32,
        fault_plan(),
    )
        .prop_map(|(phone, with, batch, page, plan)| SyncStep {
            phone,
            with,
            batch,
            page,
            plan,
        })
}

fn round() -> impl Strategy<Value = Round> {
    (
        prop::collection::vec(action(), 3..=24),
        prop::collection::vec(sync_step(), 1..=8),
        any::<bool>(),
    )
        .prop_map(|(actions, syncs, replay_stale)| Round {
            actions,
            syncs,
            replay_stale,
        })
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        3..=MAX_PHONES,
        prop::collection::vec(-3_000i64..=3_000, MAX_PHONES),
        prop::collection::vec(round(), 2..=5),
    )
        .prop_map(|(phones, skews, rounds)| Scenario {
            phones,
            skews,
            rounds,
        })
}

/// What one case did, for the report.
#[derive(Debug, Default, Clone, Copy)]
struct Stats {
    ops: usize,
    conflicts_at_end: usize,
    /// Operations that settled a conflict (named two or more heads of one field).
    settling_ops: usize,
    failed_syncs: usize,
    abandoned_syncs: usize,
    concurrent_syncs: usize,
    faults: FaultCounts,
}

/// Runs a sync, abandoning it (dropping the future mid-way) if it waits for an answer that never
/// comes: `None`. Paused time makes the wait instant.
async fn bounded<F: std::future::Future>(sync: F) -> Option<F::Output> {
    tokio::time::timeout(std::time::Duration::from_secs(3600), sync)
        .await
        .ok()
}

/// Two distinct phones, mutably.
fn two_mut(phones: &mut [Phone], i: usize, j: usize) -> (&mut Phone, &mut Phone) {
    assert_ne!(i, j);
    if i < j {
        let (l, r) = phones.split_at_mut(j);
        (&mut l[i], &mut r[0])
    } else {
        let (l, r) = phones.split_at_mut(i);
        (&mut r[0], &mut l[j])
    }
}

/// The households phone `p` holds, in creation order.
fn held(p: &Phone, households: &[Uuid]) -> Vec<Uuid> {
    households
        .iter()
        .copied()
        .filter(|h| p.store.get_household(*h).expect("read").is_some())
        .collect()
}

fn pick_household(p: &Phone, households: &[Uuid], pick: usize) -> Uuid {
    if pick < SEED_HOUSEHOLDS {
        return seed_household_id(pick);
    }
    let own = held(p, &households[SEED_HOUSEHOLDS..]);
    if own.is_empty() {
        seed_household_id(pick % SEED_HOUSEHOLDS)
    } else {
        own[pick % own.len()]
    }
}

fn new_id(counter: &mut u128) -> Uuid {
    *counter += 1;
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0100_0000_0000 | *counter)
}

fn run(sc: &Scenario) -> Stats {
    // Paused time: retry waits and abandoned requests take no real time, and timers fire in a
    // deterministic order.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    let storage = Arc::new(SqliteStorage::open_in_memory().expect("server storage"));
    let mut now = T0_MS;
    let clock = Arc::new(AtomicU64::new(now));
    let transport = FaultyTransport::new(storage.clone(), clock.clone());
    // The second of two phones syncing at once goes through its own link (its own faults).
    let second = FaultyTransport::new(storage.clone(), clock.clone());
    let mut phones: Vec<Phone> = (0..sc.phones).map(|n| Phone::new(n, sc.skews[n])).collect();
    let mut stats = Stats::default();

    // The seed, made on phone 0 and synced to every phone before anything else.
    phones[0].record_seed(sc.phones, SEED_HOUSEHOLDS, now);
    let mut households: Vec<Uuid> = (0..SEED_HOUSEHOLDS).map(seed_household_id).collect();
    let clean = quick_sync_options(50, 50, 2, 1);
    for p in &mut phones {
        transport.set_plan(FaultPlan::NONE);
        rt.block_on(sync(&mut p.store, &transport, &clean, &mut |_| {}))
            .expect("seed sync");
    }

    let mut ids = 0u128;
    for round in &sc.rounds {
        for a in &round.actions {
            now += 997;
            clock.store(now, Ordering::SeqCst);
            match *a {
                Action::NewHousehold { phone, name } => {
                    let p = &mut phones[phone % sc.phones];
                    let id = new_id(&mut ids);
                    let h = household(id, &format!("新户{}", name % 7));
                    p.record(&Record::Household(h), &household_scope(id), now)
                        .expect("a new household is a change");
                    households.push(id);
                }
                Action::Edit {
                    phone,
                    household,
                    field,
                    value,
                } => {
                    let p = &mut phones[phone % sc.phones];
                    let h = pick_household(p, &households, household);
                    p.edit_household(h, HouseholdField::ALL[field], value, now);
                }
                Action::Visit { phone, household } => {
                    let p = &mut phones[phone % sc.phones];
                    let h = pick_household(p, &households, household);
                    let v = visit(new_id(&mut ids), h, p.author, now);
                    p.record(&Record::Visit(v), &household_scope(h), now)
                        .expect("a visit is a change");
                }
                Action::Income {
                    phone,
                    household,
                    quarter,
                    wage,
                } => {
                    let p = &mut phones[phone % sc.phones];
                    let h = pick_household(p, &households, household);
                    let r = income_record(
                        new_id(&mut ids),
                        h,
                        p.author,
                        quarter,
                        i64::from(wage) * 100,
                    );
                    p.record(&Record::IncomeRecord(r), &household_scope(h), now)
                        .expect("an income record is a change");
                }
                Action::Settle { phone, which, pick } => {
                    let p = &mut phones[phone % sc.phones];
                    let conflicts = p.store.conflicts().expect("conflicts");
                    if let Some(c) = conflicts.get(which % conflicts.len().max(1)) {
                        let value = c.heads[pick % c.heads.len()].value.clone();
                        p.resolve(&c.entity, c.entity_id, &c.field, value, now);
                    }
                }
            }
        }
        for s in &round.syncs {
            now += 311;
            clock.store(now, Ordering::SeqCst);
            transport.set_plan(s.plan);
            second.set_plan(FaultPlan {
                seed: s.plan.seed ^ 0x5555,
                ..s.plan
            });
            let options = quick_sync_options(s.batch, s.page, 4, 1);
            let i = s.phone % sc.phones;
            let j = s.with.map(|w| w % sc.phones).filter(|j| *j != i);
            let outcomes = match j {
                None => {
                    let p = &mut phones[i];
                    vec![(
                        i,
                        rt.block_on(bounded(sync(
                            &mut p.store,
                            &transport,
                            &options,
                            &mut |_| {},
                        ))),
                    )]
                }
                Some(j) => {
                    stats.concurrent_syncs += 1;
                    let (a, b) = two_mut(&mut phones, i, j);
                    let (mut pa, mut pb) = (|_| {}, |_| {});
                    let (ra, rb) = rt.block_on(async {
                        tokio::join!(
                            bounded(sync(&mut a.store, &transport, &options, &mut pa)),
                            bounded(sync(&mut b.store, &second, &options, &mut pb)),
                        )
                    });
                    vec![(i, ra), (j, rb)]
                }
            };
            for (n, outcome) in outcomes {
                match outcome {
                    None => {
                        assert!(
                            s.plan.hang_at.is_some(),
                            "phone {n}: a sync hung without a hang planned"
                        );
                        stats.abandoned_syncs += 1;
                    }
                    Some(Ok(report)) => {
                        assert!(report.rejected.is_empty(), "refused: {:?}", report.rejected);
                    }
                    Some(Err(e)) => {
                        assert!(
                            s.plan.offline_after.is_some() && e.code() == "offline",
                            "phone {n} sync failed without the link going down: {e}"
                        );
                        stats.failed_syncs += 1;
                    }
                }
            }
        }
        if round.replay_stale {
            transport.replay_stale();
            second.replay_stale();
        }
    }

    // The last round: no faults, every phone twice (the second pass brings the first phones what
    // the later ones pushed).
    transport.set_plan(FaultPlan::NONE);
    transport.replay_stale();
    second.replay_stale();
    for _ in 0..2 {
        for p in &mut phones {
            now += 311;
            clock.store(now, Ordering::SeqCst);
            let report = rt
                .block_on(sync(&mut p.store, &transport, &clean, &mut |_| {}))
                .unwrap_or_else(|e| panic!("phone {} final sync: {e}", p.n));
            assert!(report.rejected.is_empty(), "refused: {:?}", report.rejected);
        }
    }
    // Stale copies arriving after everything change nothing.
    transport.replay_stale();
    second.replay_stale();

    stats.conflicts_at_end = assert_converged(&phones, storage.as_ref(), now);
    stats.ops = phones.iter().map(|p| p.made.len()).sum();
    stats.settling_ops = phones
        .iter()
        .flat_map(|p| &p.made)
        .filter(|op| op.base.values().any(|b| b.len() >= 2))
        .count();
    let (c1, c2) = (transport.counts(), second.counts());
    stats.faults = FaultCounts {
        requests: c1.requests + c2.requests,
        dropped_requests: c1.dropped_requests + c2.dropped_requests,
        dropped_responses: c1.dropped_responses + c2.dropped_responses,
        duplicated: c1.duplicated + c2.duplicated,
        replayed: c1.replayed + c2.replayed,
        offline: c1.offline + c2.offline,
        hung: c1.hung + c2.hung,
    };
    stats
}

#[test]
fn phones_and_server_converge_whatever_the_order_and_the_faults() {
    let mut config = Config::default(); // reads PROPTEST_CASES, PROPTEST_RNG_SEED …
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = DEFAULT_CASES;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(DEFAULT_SEED);
    }
    config.failure_persistence = None;
    config.max_shrink_time = 300_000;
    let cases = config.cases;
    let mut runner = TestRunner::new(config);
    let totals = std::cell::RefCell::new(Vec::new());
    let started = Instant::now();
    let result = runner.run(&scenario(), |sc| {
        let stats = run(&sc);
        totals.borrow_mut().push(stats);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let totals = totals.into_inner();
    let sum = |f: fn(&Stats) -> usize| totals.iter().map(f).sum::<usize>();
    let with_conflicts = totals
        .iter()
        .filter(|s| s.conflicts_at_end + s.settling_ops > 0)
        .count();
    let faults = |f: fn(&FaultCounts) -> u64| totals.iter().map(|s| f(&s.faults)).sum::<u64>();
    eprintln!(
        "convergence: {cases} cases in {:.1} s; {} operations; {} cases with concurrent edits \
         ({} conflicts left, {} settled); {} syncs cut off, {} abandoned, {} run two at once; \
         faults: {} requests, {} dropped, {} answers dropped, {} duplicated, {} stale replays, \
         {} offline, {} never answered",
        started.elapsed().as_secs_f64(),
        sum(|s| s.ops),
        with_conflicts,
        sum(|s| s.conflicts_at_end),
        sum(|s| s.settling_ops),
        sum(|s| s.failed_syncs),
        sum(|s| s.abandoned_syncs),
        sum(|s| s.concurrent_syncs),
        faults(|f| f.requests),
        faults(|f| f.dropped_requests),
        faults(|f| f.dropped_responses),
        faults(|f| f.duplicated),
        faults(|f| f.replayed),
        faults(|f| f.offline),
        faults(|f| f.hung),
    );
    // The property is only interesting if phones really edited the same fields at once.
    assert!(
        with_conflicts * 2 >= totals.len(),
        "too few cases with concurrent edits: {with_conflicts} of {}",
        totals.len()
    );
}
