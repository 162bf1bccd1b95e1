//! Prints the size of a generated demo and how long it took:
//! `cargo run --release -p bangfu-demo --example demo_stats -- 25000 [seed] [year]`.

use std::time::Instant;

use std::collections::BTreeMap;

use bangfu_core::rules::{alerts, obligations};
use bangfu_core::validate::validate_dataset;
use bangfu_core::{Assistance, Role};
use bangfu_demo::{DemoConfig, demo_as_of, generate};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: u64| {
        args.get(i)
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(default)
    };
    let config = DemoConfig {
        households: usize::try_from(arg(0, 25_000)).unwrap_or(25_000),
        seed: arg(1, 2023),
        year: i32::try_from(arg(2, 2025)).unwrap_or(2025),
        today: None,
    };
    let t = Instant::now();
    let ds = generate(&config);
    let took = t.elapsed();
    println!("{config:?}: generated in {took:.2?}");
    println!(
        "areas {} units {} posts {} people {} households {} members {} pairings {}",
        ds.areas.len(),
        ds.units.len(),
        ds.posts.len(),
        ds.people.len(),
        ds.households.len(),
        ds.members.len(),
        ds.pairings.len()
    );
    println!(
        "visits {} contacts {} income {} evaluations {} plans {} measures {} signs {} purchases {} events {} ledgers {}",
        ds.visits.len(),
        ds.contacts.len(),
        ds.income_records.len(),
        ds.evaluations.len(),
        ds.plans.len(),
        ds.measures.len(),
        ds.sign_replacements.len(),
        ds.consumption_purchases.len(),
        ds.purchase_events.len(),
        ds.ledger_submissions.len()
    );
    let as_of = demo_as_of(&config);
    let cadres = ds
        .people
        .iter()
        .filter(|p| p.roles.iter().any(|g| g.role == Role::Cadre))
        .count();
    let monitored = ds
        .households
        .iter()
        .filter(|h| h.assistance_on(as_of) == Some(Assistance::Monitored))
        .count();
    println!("cadres {cadres}, households monitored on {as_of}: {monitored}");
    let t = Instant::now();
    let json = serde_json::to_string(&ds).unwrap_or_default();
    println!("JSON {} MB in {:.2?}", json.len() / 1_000_000, t.elapsed());

    let t = Instant::now();
    match validate_dataset(&ds) {
        Ok(()) => println!("valid ({:.2?})", t.elapsed()),
        Err(e) => println!("{} validation errors, first: {}", e.len(), e[0]),
    }
    let t = Instant::now();
    let obs = obligations(&ds, as_of);
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for o in &obs {
        let late = if o.late { " late" } else { "" };
        *by.entry(format!("{:?} {:?}{late}", o.rule, o.status))
            .or_default() += 1;
    }
    println!("obligations on {as_of} ({:.2?}):", t.elapsed());
    for (k, v) in by {
        println!("  {k}: {v}");
    }
    let t = Instant::now();
    let al = alerts(&ds, as_of);
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for a in &al {
        let kind = serde_json::to_value(&a.detail)
            .ok()
            .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
            .unwrap_or_default();
        let open = if a.open { "open" } else { "closed" };
        *by.entry(format!("{:?} {kind} {open}", a.rule)).or_default() += 1;
    }
    println!("alerts ({:.2?}):", t.elapsed());
    for (k, v) in by {
        println!("  {k}: {v}");
    }
}
