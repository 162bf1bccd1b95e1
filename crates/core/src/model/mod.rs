//! The domain model: plain data, serialisable, no behaviour beyond simple queries.

pub mod area;
pub mod dataset;
pub mod household;
pub mod income;
pub mod json;
pub mod record;
pub mod visit;
pub mod work;
