//! The command-line grammar holds across commands: every flag of every subcommand's `--help`
//! is in the README and every radaudit flag the README gives a command is in its `--help`;
//! long jobs report progress on stderr and keep stdout for results.

use std::collections::{BTreeMap, BTreeSet};

use crate::common;

/// Flags of other tools the README quotes (sbatch, kubectl, cargo).
const FOREIGN: [&str; 5] = [
    "--dependency",
    "--for",
    "--timeout",
    "--release",
    "--parsable",
];

/// The `--flags` in a text, as written (`--out`, `--max-failed-cases`).
fn flags_in(text: &str) -> BTreeSet<String> {
    let b = text.as_bytes();
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i + 2 < b.len() {
        let starts = b[i] == b'-'
            && b[i + 1] == b'-'
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric() && b[i - 1] != b'-');
        if starts && b[i + 2].is_ascii_lowercase() {
            let mut j = i + 2;
            while j < b.len()
                && (b[j].is_ascii_lowercase() || b[j].is_ascii_digit() || b[j] == b'-')
            {
                j += 1;
            }
            out.insert(text[i..j].trim_end_matches('-').to_string());
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// The subcommands (`phantom cohort` for nested ones) from the top-level help.
fn subcommands() -> Vec<String> {
    let commands = |args: &[&str]| -> Vec<String> {
        let mut args = args.to_vec();
        args.push("--help");
        let help = common::radaudit(&args).stdout;
        help.split("Commands:")
            .nth(1)
            .and_then(|t| t.split("Options:").next())
            .unwrap_or("")
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|c| *c != "help")
            .map(str::to_string)
            .collect()
    };
    let mut all = Vec::new();
    for c in commands(&[]) {
        let nested = commands(&[&c]);
        if nested.is_empty() {
            all.push(c);
        } else {
            all.extend(nested.into_iter().map(|n| format!("{c} {n}")));
        }
    }
    all
}

/// The flags each subcommand's `--help` lists in its options (not `--help` itself).
fn help_flags(command: &str) -> BTreeSet<String> {
    let mut args: Vec<&str> = command.split(' ').collect();
    args.push("--help");
    let help = common::radaudit(&args).stdout;
    help.split("Options:")
        .nth(1)
        .unwrap_or("")
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let l = l.strip_prefix("-h, ").unwrap_or(l);
            let l = if l.len() > 4 && l.as_bytes()[0] == b'-' && l.as_bytes()[2] == b',' {
                &l[4..]
            } else {
                l
            };
            l.starts_with("--")
                .then(|| flags_in(l.split_whitespace().next().unwrap_or("")))
        })
        .flatten()
        .chain(
            // Visible aliases (an old spelling), listed as `[aliases: --out-dir]`.
            help.match_indices("[aliases: ")
                .chain(help.match_indices("[alias: "))
                .flat_map(|(k, _)| flags_in(help[k..].split(']').next().unwrap_or(""))),
        )
        .filter(|f| f != "--help")
        .collect()
}

/// The README's text per subcommand: each `###` section goes to every command its heading
/// names as `` `radaudit CMD ``, and each bullet or paragraph starting `` `radaudit CMD `` to
/// that command as well.
fn readme_text() -> BTreeMap<String, String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let named = |line: &str| -> Vec<String> {
        let mut found = Vec::new();
        for (k, _) in line.match_indices("`radaudit ") {
            let words: Vec<&str> = line[k + 10..].split([' ', '`']).take(2).collect();
            let command = if words.first() == Some(&"phantom") {
                format!("phantom {}", words.get(1).unwrap_or(&""))
            } else {
                words[0].to_string()
            };
            found.push(command);
        }
        found
    };
    let mut text: BTreeMap<String, String> = BTreeMap::new();
    let mut section: Vec<String> = Vec::new();
    let mut block: Vec<String> = Vec::new();
    let mut previous_blank = true;
    for line in readme.lines() {
        let trimmed = line.trim_start();
        if line.starts_with('#') {
            section = named(line);
            block.clear();
        } else if trimmed.starts_with("- ") || (previous_blank && !trimmed.is_empty()) {
            // A bullet or paragraph belongs to the command it starts with, if any.
            let opening: String = trimmed.trim_start_matches("- ").chars().take(40).collect();
            block = if opening.starts_with("`radaudit ") {
                named(&opening)
            } else {
                Vec::new()
            };
        }
        previous_blank = trimmed.is_empty();
        for c in section.iter().chain(&block) {
            let t = text.entry(c.clone()).or_default();
            t.push_str(line);
            t.push('\n');
        }
    }
    text
}

/// Help -> README per command; README -> help per command, where a flag of a shared section
/// (e.g. the scale-out section) may belong to another command of it.
#[test]
fn every_flag_is_in_the_help_and_the_readme() {
    let readme = readme_text();
    let commands = subcommands();
    assert!(commands.len() >= 18, "{commands:?}");
    let mut problems = Vec::new();
    for c in &commands {
        let help = help_flags(c);
        let documented = readme.get(c).map(|t| flags_in(t)).unwrap_or_default();
        for f in help.difference(&documented) {
            problems.push(format!("radaudit {c} {f}: in --help, not in the README"));
        }
        // A README flag must belong to this command (or, in a shared section, another one).
        let mut others = BTreeSet::new();
        for o in &commands {
            others.extend(help_flags(o));
        }
        for f in documented.difference(&help) {
            if !others.contains(f) && !FOREIGN.contains(&f.as_str()) {
                problems.push(format!("radaudit {c} {f}: in the README, in no --help"));
            }
        }
        // Every flag has its help text (clap prints an empty line after the name otherwise).
        let mut args: Vec<&str> = c.split(' ').collect();
        args.push("--help");
        let text = common::radaudit(&args).stdout;
        for line in text.lines() {
            let l = line.trim();
            if l.starts_with("--") && !l.contains("  ") && l.split_whitespace().count() <= 2 {
                // clap puts long help on the next line; an empty next line means no help.
                let next = text.lines().skip_while(|x| *x != line).nth(1).unwrap_or("");
                if next.trim().is_empty() || next.trim_start().starts_with('-') {
                    problems.push(format!("radaudit {c}: {l} has no help text"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `phantom cohort` and `compare` in a pipe: plain progress lines on stderr, stdout empty.
#[test]
fn long_jobs_report_progress_on_stderr_and_nothing_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let cohort = dir.path().join("cohort");
    let r = common::radaudit([
        "phantom",
        "cohort",
        "--n",
        "30",
        "--out",
        cohort.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "", "stdout carries results only");
    // Lines at tenths of the work once the first second has passed, then the closing one.
    assert!(r.stderr.contains("/30 patients ("), "{}", r.stderr);
    assert!(r.stderr.contains("cohort: 30/30 patients"), "{}", r.stderr);
    assert!(
        !r.stderr.contains('\x1b') && !r.stderr.contains('\r'),
        "no terminal controls in a log"
    );

    // A wrong column among the cohort's 122 is answered with the closest names, not all.
    let bad_out = dir.path().join("bad");
    common::refuses(
        &[
            "compare",
            "--cohort",
            cohort.join("cohort.csv").to_str().unwrap(),
            "--outcome",
            "osteoporosis",
            "--t-score",
            "t_score",
            "--out",
            bad_out.to_str().unwrap(),
        ],
        "no column \"osteoporosis\"",
        "the closest of its 122 columns are osteoporosis_true,",
    );

    // compare on a synthetic cohort: the cohort's build is what takes its time.
    let protocol = dir.path().join("compare.yaml");
    std::fs::write(
        &protocol,
        "name: progress\nseed: 3\nsynthetic: {patients: 30}\nid: id\noutcome: osteoporosis_true\n\
         model: {name: radiomics, feature_prefix: original_, folds: 3, inner_folds: 3}\n\
         references:\n  - {name: DXA, column: t_score, direction: lower, scale: tscore, thresholds: [-2.5]}\n",
    )
    .unwrap();
    let out = dir.path().join("compare");
    let r = common::radaudit([
        "compare",
        protocol.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "", "stdout carries results only");
    assert!(r.stderr.contains("/30 patients ("), "{}", r.stderr);
    assert!(r.stderr.contains("cohort: 30/30 patients"), "{}", r.stderr);
    assert!(
        r.stderr.contains("AUC"),
        "the summary is on stderr: {}",
        r.stderr
    );
}
