//! Sync primitives shared by devices and servers (no I/O): the hybrid logical clock, operations
//! and the per-field merge.

pub mod check;
pub mod device;
mod fields;
pub mod hlc;
pub mod import;
pub mod merge;
pub mod op;
pub mod outgoing;
pub mod scope;
pub mod wire;

pub use device::DeviceStore;
pub use hlc::{Hlc, HlcClock};
pub use merge::{EntityState, FieldState, Head};
pub use op::{OP_SCHEMA_VERSION, Operation};
pub use scope::Scope;
