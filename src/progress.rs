//! Progress of long jobs on standard error: a bar (done/total, rate, ETA) on a terminal, and
//! on a pipe or log a plain line at each tenth of the work (and at least every 10 s), so a
//! batch log shows that a job is moving without control characters. Nothing is shown for the
//! first second, so quick jobs (and their one-line errors) stay uncluttered. Standard output
//! is never touched: it carries results only.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Reports how far a job has come. Safe to share between threads.
pub struct Progress {
    label: String,
    unit: String,
    total: u64,
    done: AtomicU64,
    bar: Option<indicatif::ProgressBar>,
    /// When not a terminal: the last line's time and tenth of the work, and whether any
    /// line was written.
    last_line: Mutex<(Instant, u64, bool)>,
    started: Instant,
}

/// The longest a pipe goes without a progress line.
const LINE_EVERY: Duration = Duration::from_secs(10);
/// How long a job runs before its progress shows.
const QUIET_START: Duration = Duration::from_secs(1);

impl Progress {
    /// Starts reporting `total` steps of `unit` (e.g. "patients") for the job `label`.
    pub fn new(label: &str, total: u64, unit: &str) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let bar = terminal.then(|| {
            let bar = indicatif::ProgressBar::new(total);
            let template =
                format!("{label}  {{bar:40}} {{pos}}/{{len}} {unit}  {{per_sec}}  ETA {{eta}}");
            bar.set_style(
                indicatif::ProgressStyle::with_template(&template)
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        Progress {
            label: label.into(),
            unit: unit.into(),
            total,
            done: AtomicU64::new(0),
            bar,
            last_line: Mutex::new((Instant::now(), 0, false)),
            started: Instant::now(),
        }
    }

    /// Records `n` more finished steps.
    pub fn inc(&self, n: u64) {
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        if let Some(bar) = &self.bar {
            bar.inc(n);
            return;
        }
        let tenth = (done.min(self.total) * 10)
            .checked_div(self.total)
            .unwrap_or(10);
        if self.started.elapsed() < QUIET_START {
            return;
        }
        if let Ok(mut last) = self.last_line.lock() {
            let (at, last_tenth, _) = *last;
            if done < self.total && (tenth > last_tenth || at.elapsed() >= LINE_EVERY) {
                *last = (Instant::now(), tenth, true);
                eprintln!(
                    "{}: {done}/{} {} ({:.0} s)",
                    self.label,
                    self.total,
                    self.unit,
                    self.started.elapsed().as_secs_f64()
                );
            }
        }
    }

    /// Sets the count of finished steps (e.g. those resumed from a journal).
    pub fn set_done(&self, done: u64) {
        self.done.store(done, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }

    /// Ends the report: clears the bar, or writes the closing line if a line was written.
    pub fn finish(self) {
        let shown = self.last_line.lock().map(|l| l.2).unwrap_or(true);
        match self.bar {
            Some(bar) => bar.finish_and_clear(),
            None if !shown => {}
            None => eprintln!(
                "{}: {}/{} {} ({:.1} s)",
                self.label,
                self.done.load(Ordering::Relaxed),
                self.total,
                self.unit,
                self.started.elapsed().as_secs_f64()
            ),
        }
    }
}
