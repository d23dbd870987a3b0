//! Times the feature classes alone (image and mask read and prepared once, then the classes
//! run REPEATS times): `cargo run --release --example class_timing -- IMAGE MASK [REPEATS]
//! [PARAMS]`. Prints the median time per stage (a class or a filter, summed over the images
//! of every image type); used by `benches/extract_vs_pyradiomics.sh`. With a PyRadiomics
//! parameter file the filters it enables are timed too (run it with `RAYON_NUM_THREADS=1`).

use std::path::PathBuf;

use radaudit::features::Timings;
use radaudit::features::pyradiomics::extract;
use radaudit::features::pyradiomics::prepare::prepare_with;
use radaudit::features::pyradiomics::settings::Params;
use radaudit::volume::io::{ReadOptions, read_mask, read_volume};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: class_timing IMAGE MASK [REPEATS] [PARAMS]");
        std::process::exit(2);
    }
    let repeats: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(20);
    let read = ReadOptions::default();
    let run = || -> radaudit::Result<()> {
        let image = read_volume(&PathBuf::from(&args[0]), &read)?;
        let mask = read_mask(&PathBuf::from(&args[1]), &read)?;
        let params = match args.get(3) {
            Some(file) => Params::from_file(&PathBuf::from(file))?,
            None => Params::default(),
        };
        let prepared = prepare_with(&image, &mask, &params.settings, params.filters())
            .map_err(|e| radaudit::Error::Usage(e.to_string()))?;
        let mut per_stage: Vec<(String, Vec<f64>)> = Vec::new();
        for _ in 0..repeats {
            let mut t = Timings::default();
            std::hint::black_box(extract(&prepared, &params, &mut t).expect("features"));
            // One entry per stage name (a filter's images and a class's runs summed).
            let mut summed: Vec<(String, f64)> = Vec::new();
            for (stage, d) in &t.stages {
                // `filter wavelet-LLH` and `filter wavelet-HHH` are both `filter wavelet`.
                let stage = stage.split('-').next().unwrap_or(stage);
                match summed.iter_mut().find(|(s, _)| s == stage) {
                    Some((_, total)) => *total += d.as_secs_f64(),
                    None => summed.push((stage.to_string(), d.as_secs_f64())),
                }
            }
            for (k, (stage, d)) in summed.into_iter().enumerate() {
                if per_stage.len() <= k {
                    per_stage.push((stage, Vec::new()));
                }
                per_stage[k].1.push(d);
            }
        }
        let mut total = 0.0;
        for (stage, mut times) in per_stage {
            times.sort_by(f64::total_cmp);
            let median = times[times.len() / 2];
            total += median;
            println!("{stage:>12}: {:.2} ms", median * 1e3);
        }
        println!("classes total (medians): {:.2} ms", total * 1e3);
        Ok(())
    };
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}
