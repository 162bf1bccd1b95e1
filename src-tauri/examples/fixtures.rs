//! Fixtures for the end-to-end test and the start-up measurement (not part of the app):
//!
//! - `fixtures photo OUT.jpg`: a 3000×2000 camera-like JPEG (what a phone's camera gives intake).
//! - `fixtures county DIR HOUSEHOLDS PIN`: an app data directory holding the demo county of
//!   HOUSEHOLDS households (bangfu-demo, seed 1), enrolled as the county office's person with the
//!   PIN, as if it had synced: the start-up measurement opens the real app on it.

use std::path::PathBuf;

use bangfu_app::App;
use bangfu_app::session::{Account, Enrolment};
use bangfu_core::Role;
use bangfu_demo::DemoConfig;

fn photo(out: &str) -> Result<(), String> {
    // Smooth gradients with some texture, like a photo (a flat image would compress to nothing).
    let img = image::RgbImage::from_fn(3000, 2000, |x, y| {
        let n = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(2_246_822_519)) >> 27;
        image::Rgb([
            (80 + x / 25 + n) as u8,
            (60 + y / 12) as u8,
            (140u32.saturating_sub(x / 40) + n) as u8,
        ])
    });
    img.save(out)
        .map_err(|e| format!("cannot write {out}: {e}"))
}

fn county(dir: &str, households: &str, pin: &str) -> Result<(), String> {
    let households: usize = households
        .parse()
        .map_err(|_| format!("not a number of households: {households}"))?;
    let config = DemoConfig {
        households,
        seed: 1,
        ..DemoConfig::default()
    };
    let ds = bangfu_demo::generate(&config);
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    {
        let mut store = bangfu_store::Store::open(dir.join(bangfu_app::STORE_FILE))
            .map_err(|e| format!("store: {e}"))?;
        store.save_dataset(&ds).map_err(|e| format!("store: {e}"))?;
    }
    let today = chrono::Local::now().date_naive();
    let office = ds
        .people
        .iter()
        .find(|p| p.has_role_on(Role::CountyOffice, today))
        .ok_or("the demo has no county office person today")?;
    let mut app = App::open(&dir).map_err(|e| format!("app: {e}"))?;
    let device_id = app.store().device_id();
    app.install_enrolment(Enrolment {
        server_url: "http://127.0.0.1:8080".into(),
        device_token: "not-a-real-token".into(),
        device_id,
        account: Account {
            username: "xianban".into(),
            display_name: "县巩固衔接办公室".into(),
            role: Role::CountyOffice,
            person_id: Some(office.id),
        },
        pin: pin.into(),
    })
    .map_err(|e| format!("enrol: {e}"))?;
    println!("{} households in {}", ds.households.len(), dir.display());
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["photo", out] => photo(out),
        ["county", dir, households, pin] => county(dir, households, pin),
        _ => Err("usage: fixtures photo OUT.jpg | fixtures county DIR HOUSEHOLDS PIN".into()),
    };
    if let Err(e) = result {
        eprintln!("fixtures: {e}");
        std::process::exit(2);
    }
}
