//! A seeded mutation harness (issue 20), run by `cargo test` within a bounded budget: for each
//! front end that reads what a user gives (the volume readers, the settings and protocol
//! files, the perturbation chains), valid fixtures are mutated by a seeded generator (bit
//! flips, hostile integers and floats written into headers, truncation, hostile numbers such as
//! `1e-300`, `1e308`, `NaN` and `1e9` put in place of a YAML number, lines cut, duplicated or
//! re-indented) and fed to the real code. Every case must end in success or an error of exit
//! code 2: a panic, an internal error (exit 3) or a case slower than [`SLOW_CASE`] fails the
//! test, which names the target, the case and the file the input was saved to.
//!
//! `RADAUDIT_FUZZ_CASES` sets the cases per target (default per target below) and
//! `RADAUDIT_FUZZ_SEED` the generator's seed (default fixed, so CI is reproducible).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::Result;

/// A case slower than this is a failure (a hang in the making). Generous: the slowest valid
/// case (an IBSI grid of 160k voxels from a 0.001 mm spacing, every family) takes 1.6 s alone
/// and twice that on a loaded CI machine.
const SLOW_CASE: Duration = Duration::from_secs(10);
/// A target that has not finished after this long fails, naming the case it was on.
const TARGET_DEADLINE: Duration = Duration::from_secs(240);

/// Numbers that pass a type check and not a sanity check, put in place of a YAML number.
const HOSTILE_NUMBERS: [&str; 30] = [
    "0",
    "-0",
    "-1",
    "1e-300",
    "-1e-300",
    "1e308",
    "-1e308",
    "1e400",
    "1e9",
    "1000000000",
    "4294967296",
    "18446744073709551616",
    "-2147483649",
    "65535",
    "NaN",
    ".nan",
    ".inf",
    "-.inf",
    "inf",
    "1e-45",
    "3.5e38",
    "0.001",
    "2.5",
    "~",
    "null",
    "[]",
    "{}",
    "\"\"",
    "1e5",
    "100001",
];

/// Integers written into binary headers (sizes, lengths, offsets, counts).
const HOSTILE_INTS: [u64; 14] = [
    0,
    1,
    2,
    0x7F,
    0x80,
    0xFF,
    0xFFFF,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFF0,
    0xFFFF_FFFF,
    65_535 * 65_535,
    u64::MAX,
    i64::MAX as u64,
];

/// Floats written into binary headers (spacings, slopes, positions).
const HOSTILE_FLOATS: [f64; 12] = [
    0.0,
    -0.0,
    -1.0,
    1e-300,
    1e308,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    1e9,
    3.5e38,
    1e-45,
    f64::MIN_POSITIVE,
];

/// Characters that change a YAML document's structure.
const YAML_CHARS: &[u8] = b":-[]{},#&*!|>'\"\n \t0123456789.eE+";

/// The seeded mutator.
struct Mutator {
    rng: ChaCha8Rng,
}

impl Mutator {
    /// A position, biased towards the first `head` bytes (where headers are).
    fn position(&mut self, len: usize, head: usize) -> usize {
        if len == 0 {
            return 0;
        }
        if self.rng.random_bool(0.8) {
            self.rng.random_range(0..len.min(head).max(1))
        } else {
            self.rng.random_range(0..len)
        }
    }

    /// One to four mutations of a binary file whose header is its first `head` bytes.
    fn binary(&mut self, bytes: &mut Vec<u8>, head: usize) {
        for _ in 0..self.rng.random_range(1..=4) {
            let at = self.position(bytes.len(), head);
            match self.rng.random_range(0..9) {
                0 if !bytes.is_empty() => bytes[at] ^= 1 << self.rng.random_range(0..8),
                1 if !bytes.is_empty() => bytes[at] = self.rng.random(),
                2 | 3 => {
                    let v = HOSTILE_INTS[self.rng.random_range(0..HOSTILE_INTS.len())];
                    let width = [2, 4, 8][self.rng.random_range(0..3)];
                    let big = self.rng.random_bool(0.5);
                    let raw = if big {
                        v.to_be_bytes()
                    } else {
                        v.to_le_bytes()
                    };
                    let field = if big {
                        &raw[8 - width..]
                    } else {
                        &raw[..width]
                    };
                    self.overwrite(bytes, at, field);
                }
                4 => {
                    let v = HOSTILE_FLOATS[self.rng.random_range(0..HOSTILE_FLOATS.len())];
                    let big = self.rng.random_bool(0.5);
                    if self.rng.random_bool(0.5) {
                        let raw = if big {
                            v.to_be_bytes()
                        } else {
                            v.to_le_bytes()
                        };
                        self.overwrite(bytes, at, &raw);
                    } else {
                        let f = v as f32;
                        let raw = if big {
                            f.to_be_bytes()
                        } else {
                            f.to_le_bytes()
                        };
                        self.overwrite(bytes, at, &raw);
                    }
                }
                5 => bytes.truncate(at),
                6 => {
                    let end = (at + self.rng.random_range(1..64)).min(bytes.len());
                    bytes.drain(at..end);
                }
                7 => {
                    let end = (at + self.rng.random_range(1..64)).min(bytes.len());
                    let chunk = bytes[at..end].to_vec();
                    bytes.splice(at..at, chunk);
                }
                _ => {
                    let extra: Vec<u8> = (0..self.rng.random_range(1..32))
                        .map(|_| self.rng.random())
                        .collect();
                    bytes.splice(at..at, extra);
                }
            }
        }
    }

    fn overwrite(&self, bytes: &mut [u8], at: usize, field: &[u8]) {
        for (k, b) in field.iter().enumerate() {
            if let Some(slot) = bytes.get_mut(at + k) {
                *slot = *b;
            }
        }
    }

    /// One to four mutations of a text document (YAML, a NRRD header, a chain).
    fn text(&mut self, bytes: &mut Vec<u8>) {
        for _ in 0..self.rng.random_range(1..=4) {
            let lines: Vec<Vec<u8>> = bytes.split(|&b| b == b'\n').map(|l| l.to_vec()).collect();
            let at = self.position(bytes.len(), usize::MAX);
            match self.rng.random_range(0..10) {
                0..=3 => {
                    // A number (or any token) replaced by a hostile one.
                    let numbers = number_spans(bytes);
                    let new = HOSTILE_NUMBERS[self.rng.random_range(0..HOSTILE_NUMBERS.len())];
                    if numbers.is_empty() {
                        bytes.splice(at..at, new.bytes());
                    } else {
                        let (s, e) = numbers[self.rng.random_range(0..numbers.len())];
                        bytes.splice(s..e, new.bytes());
                    }
                }
                4 if !bytes.is_empty() => {
                    bytes[at] = YAML_CHARS[self.rng.random_range(0..YAML_CHARS.len())];
                }
                5 => {
                    let end = (at + self.rng.random_range(1..12)).min(bytes.len());
                    bytes.drain(at..end);
                }
                6..=8 if !lines.is_empty() => {
                    let mut lines = lines;
                    let k = self.rng.random_range(0..lines.len());
                    match self.rng.random_range(0..4) {
                        0 => {
                            lines.remove(k);
                        }
                        1 => {
                            let copy = lines[k].clone();
                            lines.insert(self.rng.random_range(0..lines.len()), copy);
                        }
                        2 => {
                            let indent = self.rng.random_range(0..6);
                            let mut moved = vec![b' '; indent];
                            moved.extend(lines[k].iter().skip_while(|b| **b == b' '));
                            lines[k] = moved;
                        }
                        _ => {
                            let j = self.rng.random_range(0..lines.len());
                            lines.swap(k, j);
                        }
                    }
                    *bytes = lines.join(&b'\n');
                }
                _ => {
                    let new = HOSTILE_NUMBERS[self.rng.random_range(0..HOSTILE_NUMBERS.len())];
                    bytes.splice(at..at, new.bytes());
                }
            }
        }
    }
}

/// The byte spans of the numbers in a text.
fn number_spans(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut k = 0;
    while k < bytes.len() {
        if bytes[k].is_ascii_digit() {
            let start = if k > 0 && bytes[k - 1] == b'-' {
                k - 1
            } else {
                k
            };
            let mut end = k;
            while end < bytes.len()
                && (bytes[end].is_ascii_digit() || b".eE+-".contains(&bytes[end]))
            {
                end += 1;
            }
            spans.push((start, end));
            k = end;
        } else {
            k += 1;
        }
    }
    spans
}

/// How a target's inputs are mutated.
#[derive(Clone, Copy)]
enum Kind {
    /// Binary, header in the first N bytes.
    Binary(usize),
    /// Text.
    Text,
}

/// One front end under test.
struct Target {
    name: &'static str,
    kind: Kind,
    /// Valid inputs to mutate (each must succeed unmutated).
    seeds: Vec<Vec<u8>>,
    /// Cases to run unless `RADAUDIT_FUZZ_CASES` says otherwise.
    cases: usize,
    /// The file name (in a scratch folder) the input is written to.
    file: &'static str,
    /// Feeds one input (already written at the path) to the code under test.
    run: fn(&Path) -> Result<()>,
}

/// What a target's run found.
#[derive(Debug, Default)]
struct Tally {
    cases: usize,
    ok: usize,
    refused: usize,
    failures: Vec<String>,
    seconds: f64,
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Runs `target`'s cases on a thread of its own; fails past [`TARGET_DEADLINE`] naming the
/// case it was on.
fn fuzz(target: Target) -> Tally {
    let name = target.name;
    let (done_tx, done_rx) = mpsc::channel();
    let current = std::sync::Arc::new(std::sync::Mutex::new((String::new(), Vec::new())));
    let on = current.clone();
    std::thread::spawn(move || {
        let _ = done_tx.send(run_cases(&target, &on));
    });
    match done_rx.recv_timeout(TARGET_DEADLINE) {
        Ok(tally) => {
            eprintln!(
                "fuzz {name}: {} cases in {:.1} s, {} succeeded, {} refused (exit 2), {} failures",
                tally.cases,
                tally.seconds,
                tally.ok,
                tally.refused,
                tally.failures.len()
            );
            tally
        }
        Err(_) => {
            let (case, input) = current.lock().map(|c| c.clone()).unwrap_or_default();
            let saved = failures_dir().join(format!("{name}-hang"));
            let _ = std::fs::create_dir_all(failures_dir());
            let _ = std::fs::write(&saved, input);
            panic!(
                "fuzz {name}: not finished after {TARGET_DEADLINE:?}; on {case}, input saved to {}",
                saved.display()
            )
        }
    }
}

/// Where failing inputs are saved.
fn failures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures")
}

/// Runs the seeds, then the mutated cases; `current` holds the case running (for a hang).
fn run_cases(target: &Target, current: &std::sync::Mutex<(String, Vec<u8>)>) -> Tally {
    let scratch = tempfile::tempdir().expect("a scratch folder");
    let path = scratch.path().join(target.file);
    let failures_dir = failures_dir();
    let seed = env_number("RADAUDIT_FUZZ_SEED").unwrap_or(20_261_127);
    let cases = env_number("RADAUDIT_FUZZ_CASES").map_or(target.cases, |n| n as usize);
    let mut mutator = Mutator {
        rng: ChaCha8Rng::seed_from_u64(seed ^ fxhash(target.name)),
    };
    let mut tally = Tally::default();
    let started = Instant::now();
    for (k, s) in target.seeds.iter().enumerate() {
        std::fs::write(&path, s).expect("write a seed");
        if let Err(e) = (target.run)(&path) {
            tally
                .failures
                .push(format!("seed {k} of {} is refused: {e}", target.name));
        }
    }
    for case in 0..cases {
        let mut input = target.seeds[mutator.rng.random_range(0..target.seeds.len())].clone();
        match target.kind {
            Kind::Binary(head) => mutator.binary(&mut input, head),
            Kind::Text => mutator.text(&mut input),
        }
        std::fs::write(&path, &input).expect("write a case");
        if let Ok(mut c) = current.lock() {
            *c = (
                format!("case {case} (RADAUDIT_FUZZ_SEED={seed})"),
                input.clone(),
            );
        }
        let t = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| (target.run)(&path)));
        let took = t.elapsed();
        let problem = match outcome {
            Ok(Ok(())) => {
                tally.ok += 1;
                None
            }
            Ok(Err(e)) if e.exit_code() == 2 => {
                tally.refused += 1;
                None
            }
            Ok(Err(e)) => Some(format!("exit {}: {e}", e.exit_code())),
            Err(_) => Some("panic".to_string()),
        };
        let problem = problem.or_else(|| (took > SLOW_CASE).then(|| format!("took {took:?}")));
        if let Some(p) = problem {
            eprintln!("fuzz {}: case {case}: {p}", target.name);
            let _ = std::fs::create_dir_all(&failures_dir);
            let saved = failures_dir.join(format!("{}-{case}-{}", target.name, target.file));
            let _ = std::fs::write(&saved, &input);
            tally.failures.push(format!(
                "{} case {case} (RADAUDIT_FUZZ_SEED={seed}): {p}; input saved to {}",
                target.name,
                saved.display()
            ));
        }
        tally.cases += 1;
    }
    tally.seconds = started.elapsed().as_secs_f64();
    tally
}

/// A stable per-target seed offset (FNV-1a of its name).
fn fxhash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Asserts a target's run found nothing, listing the first failures.
fn assert_clean(t: Tally) {
    assert!(
        t.failures.is_empty(),
        "{} failures, first ones:\n{}",
        t.failures.len(),
        t.failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A file of the project.
fn project_file(rel: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

mod targets;
