//! Times radaudit's volume reader on one file: `cargo run --release --example read_timing --
//! FILE [REPEATS]`. Prints one line per repeat (seconds) and the median, for side-by-side
//! comparison with SimpleITK in `benches/read_vs_simpleitk.sh`.

use std::path::PathBuf;
use std::time::Instant;

use radaudit::volume::io::{ReadOptions, read_volume};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next().map(PathBuf::from) else {
        eprintln!("usage: read_timing FILE [REPEATS]");
        std::process::exit(2);
    };
    let repeats: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let start = Instant::now();
        match read_volume(&path, &ReadOptions::default()) {
            Ok(v) => std::hint::black_box(v),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(2);
            }
        };
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "radaudit read: median {:.3} s over {repeats} (min {:.3}, max {:.3})",
        times[repeats / 2],
        times[0],
        times[repeats - 1]
    );
}
