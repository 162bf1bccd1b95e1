//! Test support of the SQLite storage's unit tests: the demo county as one device's operations.

use bangfu_core::sync::import::{ImportStamp, dataset_operations};
use bangfu_core::sync::op::Operation;
use bangfu_demo::{DemoConfig, generate};
use chrono::{FixedOffset, Utc};
use uuid::Uuid;

/// The device that made [`demo_ops`].
pub const DEMO_DEVICE: Uuid = Uuid::from_u128(7);

/// A demo county of `households` households as creations by [`DEMO_DEVICE`] (every record kind,
/// visits with photos and signatures), in dependency order, seqs from 1.
pub fn demo_ops(households: usize) -> Vec<Operation> {
    let ds = generate(&DemoConfig {
        households,
        ..DemoConfig::default()
    });
    let mut n = 0u128;
    dataset_operations(
        &ds,
        ImportStamp {
            device: DEMO_DEVICE,
            author: Uuid::nil(),
            first_seq: 1,
            wall_ms: 1_714_521_600_000,
            recorded_at: Utc::now().with_timezone(&FixedOffset::east_opt(8 * 3600).expect("tz")),
        },
        &mut || {
            n += 1;
            Uuid::from_u128(0x0b00_0000_0000_0000_0000_0000_0000_0000 | n)
        },
    )
}
