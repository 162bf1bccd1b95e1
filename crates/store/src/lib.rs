//! bangfu-store
