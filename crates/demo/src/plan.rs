//! What happens to which household: the mix of classes, and the lapses planted on a few of them.
//! Rare events are handed out by quota (not by chance), so even a small demo has each of them.

use bangfu_core::MonitoredKind;

use crate::util::shuffle;
use crate::world::{Category, Gen, IncomeStory, Quirk, World};

/// `share` of `n`, rounded, at least `min`.
fn quota(n: usize, share: f64, min: usize) -> usize {
    ((n as f64 * share).round() as usize).max(min)
}

/// The category of each of `n` households, shuffled. About 10% are monitored on "today".
pub(crate) fn categories(g: &mut Gen, n: usize) -> Vec<Category> {
    use MonitoredKind::{Marginal, SuddenHardship, UnstableLifted};
    let mut out = Vec::with_capacity(n);
    let mut add = |count: usize, c: Category| out.extend(std::iter::repeat_n(c, count));
    let unpaired = if n >= 10_000 { 2 } else { 1 };
    add(unpaired, Category::Unpaired(SuddenHardship));
    add(quota(n, 0.004, 1), new(Marginal, false));
    add(quota(n, 0.004, 1), new(SuddenHardship, false));
    add(quota(n, 0.008, 1), new(UnstableLifted, true));
    add(quota(n, 0.003, 0), new(SuddenHardship, true));
    add(quota(n, 0.055, 1), Category::MonitoredOld(UnstableLifted));
    add(quota(n, 0.02, 1), Category::MonitoredOld(Marginal));
    add(quota(n, 0.005, 0), Category::MonitoredOld(SuddenHardship));
    add(quota(n, 0.008, 1), Category::Eliminated(UnstableLifted));
    add(quota(n, 0.003, 1), Category::Eliminated(Marginal));
    out.truncate(n);
    out.resize(n, Category::Lifted);
    shuffle(&mut g.rng, &mut out);
    out
}

fn new(kind: MonitoredKind, from_lifted: bool) -> Category {
    Category::MonitoredNew { kind, from_lifted }
}

/// Plants income stories, uninsured members and record quirks, once cadres are known (the
/// households chosen keep one cadre all year, so what is planted shows where it should).
pub(crate) fn flags(g: &mut Gen, world: &mut World) {
    let stable = |w: &World, i: usize| {
        w.plans[i]
            .cadre
            .is_some_and(|c| w.cadres[c].leave.is_none() && !w.cadres[c].lax)
    };

    // D3 stories on households monitored since before the year (they have a full income history).
    let mut old: Vec<usize> = (0..world.plans.len())
        .filter(|&i| matches!(world.plans[i].category, Category::MonitoredOld(_)))
        .collect();
    shuffle(&mut g.rng, &mut old);
    let monitored = old.len();
    let stories = [
        (IncomeStory::Drop, quota(monitored, 0.03, 1)),
        (IncomeStory::Jump, quota(monitored, 0.03, 1)),
        (IncomeStory::BelowLine, quota(monitored, 0.04, 1)),
    ];
    let mut it = old.iter().copied();
    for (story, count) in stories {
        for i in it.by_ref().take(count) {
            world.plans[i].story = story;
        }
    }
    // One income record with a typo, corrected (on a household with a normal story).
    if let Some(i) = it.next() {
        world.plans[i].quirk = Quirk::CorrectedIncome;
    }

    // Uninsured members and visit quirks on lifted households of steady cadres.
    let mut lifted: Vec<usize> = (0..world.plans.len())
        .filter(|&i| world.plans[i].category == Category::Lifted && stable(world, i))
        .collect();
    shuffle(&mut g.rng, &mut lifted);
    let n = world.plans.len();
    let mut it = lifted.into_iter();
    for i in it.by_ref().take(quota(n, 0.001, 1)) {
        world.plans[i].uninsured = true;
    }
    let quirks = [
        Quirk::WrongClock { corrected: false },
        Quirk::WrongClock { corrected: true },
        Quirk::CorrectedVisit,
    ];
    for (quirk, i) in quirks.into_iter().zip(it) {
        world.plans[i].quirk = quirk;
    }
}
