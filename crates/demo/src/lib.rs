//! bangfu-demo
