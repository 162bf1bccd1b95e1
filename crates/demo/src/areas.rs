//! The county, its 16 townships and the villages (about one per 120 households).

use std::collections::HashSet;

use bangfu_core::{Area, AreaLevel};
use rand::Rng;

use crate::names::{COUNTY, TOWNSHIPS, village_name};
use crate::util::{id_on, round6, shuffle};
use crate::world::{Gen, Township, Village};

/// Households per village, on average.
const HOUSEHOLDS_PER_VILLAGE: usize = 120;

/// Adds the areas to the dataset and returns the county id, townships and villages (without
/// households, units or people yet).
pub(crate) fn build(g: &mut Gen, households: usize) -> (uuid::Uuid, Vec<Township>, Vec<Village>) {
    let day = g.era_start;
    let county = id_on(&mut g.rng, day);
    g.ds.areas.push(Area {
        id: county,
        code: COUNTY.1.to_owned(),
        name: COUNTY.0.to_owned(),
        level: AreaLevel::County,
        parent_id: None,
    });
    let mut townships = Vec::new();
    for (name, code) in TOWNSHIPS {
        let id = id_on(&mut g.rng, day);
        g.ds.areas.push(Area {
            id,
            code: code.to_owned(),
            name: name.to_owned(),
            level: AreaLevel::Township,
            parent_id: Some(county),
        });
        townships.push(Township { id, name });
    }

    // Villages go round the townships in a shuffled order, so a small county still spreads out.
    let n_villages = households.div_ceil(HOUSEHOLDS_PER_VILLAGE).max(1);
    let mut order: Vec<usize> = (0..townships.len()).collect();
    shuffle(&mut g.rng, &mut order);
    let mut per_township = vec![0u32; townships.len()];
    let mut taken = HashSet::new();
    let mut villages = Vec::with_capacity(n_villages);
    for i in 0..n_villages {
        let t = order[i % order.len()];
        per_township[t] += 1;
        let code = format!("{}{:03}", TOWNSHIPS[t].1, 200 + per_township[t]);
        let name = village_name(&mut g.rng, &mut taken);
        let id = id_on(&mut g.rng, day);
        g.ds.areas.push(Area {
            id,
            code,
            name: name.clone(),
            level: AreaLevel::Village,
            parent_id: Some(townships[t].id),
        });
        // Xinfeng lies around 25.1–25.7°N, 114.6–115.2°E.
        let center = (
            round6(g.rng.random_range(25.15..25.65)),
            round6(g.rng.random_range(114.65..115.15)),
        );
        villages.push(Village {
            id,
            township: t,
            name,
            center,
            groups: g.rng.random_range(6..=14),
            unit: 0,
            households: Vec::new(),
            first_secretaries: Vec::new(),
            team: Vec::new(),
            fs_monthly: 0.0,
            fs_quarterly: 0.0,
        });
    }
    (county, townships, villages)
}

/// Gives each of `n` households a village: village sizes vary by ±40% around the mean.
pub(crate) fn distribute(g: &mut Gen, villages: &mut [Village], n: usize) -> Vec<usize> {
    let weights: Vec<f64> = villages
        .iter()
        .map(|_| g.rng.random_range(0.6..1.4))
        .collect();
    let total: f64 = weights.iter().sum();
    let mut counts: Vec<usize> = weights
        .iter()
        .map(|w| ((w / total) * n as f64).floor() as usize)
        .collect();
    let mut left = n - counts.iter().sum::<usize>();
    let (mut i, len) = (0, counts.len());
    while left > 0 {
        counts[i % len] += 1;
        left -= 1;
        i += 1;
    }
    let mut village_of = Vec::with_capacity(n);
    for (v, &c) in counts.iter().enumerate() {
        for _ in 0..c {
            villages[v].households.push(village_of.len());
            village_of.push(v);
        }
    }
    village_of
}
