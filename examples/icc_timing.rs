//! Times the six ICCs for many features (1000 features x 200 subjects x 30 raters by default),
//! the library call alone, for the ICC benchmark (benches/stats_vs_peers.py).
//!
//! Usage: icc_timing LONG.csv ROUNDS — LONG.csv has columns feature,subject,rater,value
//! sorted by feature, subject, rater (complete). Prints one JSON line per round.

use std::time::Instant;

use radaudit::stats::icc::icc;
use rayon::prelude::*;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rounds: usize = args[2].parse().expect("ROUNDS");
    let mut reader = csv::Reader::from_path(&args[1]).expect("csv");
    // feature -> subject -> ratings, relying on the sorted layout.
    let mut features: Vec<Vec<Vec<f64>>> = Vec::new();
    let (mut last_f, mut last_s) = (String::new(), String::new());
    for rec in reader.records() {
        let rec = rec.expect("row");
        let v: f64 = rec[3].parse().expect("value");
        if rec[0] != *last_f {
            features.push(Vec::new());
            last_f = rec[0].to_string();
            last_s.clear();
        }
        let f = features.last_mut().unwrap();
        if rec[1] != *last_s {
            f.push(Vec::new());
            last_s = rec[1].to_string();
        }
        f.last_mut().unwrap().push(v);
    }
    for round in 0..rounds {
        let start = Instant::now();
        let results: Vec<_> = features.par_iter().map(|r| icc(r).expect("icc")).collect();
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{{\"round\": {round}, \"seconds\": {seconds}, \"features\": {}, \"first_icc2\": {}}}",
            results.len(),
            results[0][1].icc
        );
    }
}
