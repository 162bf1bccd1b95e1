//! `bangfu-app`: the field app on a desktop (a first secretary's or a township's computer). On a
//! phone the same code starts from `bangfu_tauri::run` as the mobile entry point.

// No console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    bangfu_tauri::run();
}
