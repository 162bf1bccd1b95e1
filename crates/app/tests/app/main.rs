//! The app's functions on a real store holding a demo county (bangfu-demo), one module per screen.

mod arrange;
mod common;
mod contact_income;
mod correction;
mod evaluation;
mod lists;
mod scale;
mod session;
mod sign;
mod sync_now;
mod sync_status;
mod village;
mod visit;
