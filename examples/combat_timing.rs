//! Times `stats::combat::fit` alone (no CSV I/O), as the ComBat benchmark
//! (benches/stats_vs_peers.py) times the `neuroCombat()` call alone.
//!
//! Usage: combat_timing WIDE.csv ROUNDS [--nonparametric] [--out HARMONIZED.csv]
//! WIDE.csv has columns subject,batch,age,sex,<features>. Prints one JSON line per round.

use std::path::PathBuf;
use std::time::Instant;

use radaudit::stats::combat::{self, CombatData, CombatOptions, Covariate};
use radaudit::table::{Table, format_number};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let input = PathBuf::from(&args[1]);
    let rounds: usize = args[2].parse().expect("ROUNDS");
    let nonparametric = args.iter().any(|a| a == "--nonparametric");
    let out = args
        .iter()
        .position(|a| a == "--out")
        .map(|k| PathBuf::from(&args[k + 1]));
    let t = Table::read(&input).expect("table");
    let features: Vec<String> = t.headers()[4..].to_vec();
    let values: Vec<Vec<f64>> = features
        .iter()
        .map(|f| t.numbers(f).expect("numbers"))
        .collect();
    let subjects: Vec<String> = t
        .text("subject")
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let batch: Vec<String> = t
        .text("batch")
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let covariates = vec![
        Covariate::Categorical {
            name: "sex".into(),
            values: t
                .text("sex")
                .unwrap()
                .iter()
                .map(|s| s.to_string())
                .collect(),
        },
        Covariate::Continuous {
            name: "age".into(),
            values: t.numbers("age").unwrap(),
        },
    ];
    let data = CombatData {
        feature_names: &features,
        values: &values,
        subjects: &subjects,
        batch: &batch,
        covariates: &covariates,
    };
    let options = CombatOptions {
        parametric: !nonparametric,
        ..Default::default()
    };
    let mut last = None;
    for round in 0..rounds {
        let start = Instant::now();
        let fit = combat::fit(&data, &options).expect("fit");
        let seconds = start.elapsed().as_secs_f64();
        let non_finite = fit
            .harmonized
            .iter()
            .flatten()
            .filter(|v| !v.is_finite())
            .count();
        println!("{{\"round\": {round}, \"seconds\": {seconds}, \"non_finite\": {non_finite}}}");
        last = Some(fit);
    }
    if let (Some(path), Some(fit)) = (out, last) {
        let mut text = String::new();
        for row in &fit.harmonized {
            let cells: Vec<String> = row.iter().map(|v| format_number(*v)).collect();
            text += &cells.join(",");
            text.push('\n');
        }
        std::fs::write(path, text).expect("write");
    }
}
