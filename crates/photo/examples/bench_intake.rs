//! Time and output size of intake for a 12-megapixel camera photo.
//!
//! Run: `cargo run --release -p bangfu-photo --example bench_intake [RUNS]` (default 15 runs).
//! Builds a 4000×3000 camera-like JPEG (quality 92, 4:2:0, EXIF orientation 6 with time and GPS,
//! ≈ 4 MB), runs `intake` RUNS times without and RUNS times with a watermark, and prints one JSON
//! line per case. Wall time is what the cadre waits; CPU time (this thread, 10 ms resolution) is
//! shown too because this build machine is shared and its wall clock is noisy.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use bangfu_photo::{IntakeOptions, Watermark, WatermarkFont, intake};
use common::{ExifSpec, exif_tiff, jpeg, photo_like, with_exif};

/// CPU time (user + system) of this thread so far, from /proc on Linux; zero elsewhere.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn run(name: &str, input: &[u8], opts: &IntakeOptions, runs: usize) {
    let Ok(warm) = intake(input, opts) else {
        eprintln!("intake failed on the benchmark photo");
        std::process::exit(1);
    };
    let (mut wall, mut cpu_s) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let (t, c) = (Instant::now(), cpu());
        let out = intake(input, opts);
        wall.push(t.elapsed().as_secs_f64());
        cpu_s.push((cpu() - c).as_secs_f64());
        assert_eq!(
            out.as_ref().map(|o| o.jpeg.len()).ok(),
            Some(warm.jpeg.len())
        );
    }
    let max = wall.iter().copied().fold(0.0, f64::max);
    println!(
        "{{\"bench\":\"{name}\",\"megapixels\":12,\"input_bytes\":{},\"runs\":{runs},\
         \"seconds_median\":{:.4},\"seconds_max\":{:.4},\"cpu_seconds_median\":{:.3},\
         \"output_bytes\":{},\"thumb_bytes\":{},\"long_edge\":{},\"width\":{},\"height\":{},\
         \"watermark\":{},\"font\":\"{}\"}}",
        input.len(),
        median(&mut wall),
        max,
        median(&mut cpu_s),
        warm.jpeg.len(),
        warm.thumb_jpeg.len(),
        opts.long_edge,
        warm.width,
        warm.height,
        opts.watermark.is_some(),
        opts.watermark
            .as_ref()
            .and_then(|w| w.font.as_ref())
            .map_or("built-in bitmap", |f| f.name()),
    );
}

fn main() {
    let runs = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(15);
    let tiff = exif_tiff(&ExifSpec {
        orientation: Some(6),
        date_time_original: Some("2026:05:08 14:32:05".into()),
        offset_time_original: Some("+08:00".into()),
        gps: Some((25.8312, 114.9331)),
    });
    let input = with_exif(&jpeg(&photo_like(4000, 3000, 7), 92), &tiff);

    let opts = IntakeOptions::default();
    run("photo_intake", &input, &opts, runs);

    let Some(at) =
        chrono::NaiveDate::from_ymd_opt(2026, 5, 8).and_then(|d| d.and_hms_opt(14, 32, 5))
    else {
        return;
    };
    let font = WatermarkFont::system_cjk();
    if font.is_none() {
        eprintln!("no system CJK font: the watermark run uses the built-in bitmap font");
    }
    let opts = IntakeOptions {
        watermark: Some(Watermark::visit(at, "张三（上坪村）", "李四", font)),
        ..IntakeOptions::default()
    };
    run("photo_intake_watermark", &input, &opts, runs);
}
