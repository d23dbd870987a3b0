//! `radaudit claims`: checks whether a study's reported numbers are consistent with each other
//! and with its sample (GRIM-style), for reviewers: counts and subsets that must add up,
//! percentages against whole counts, rates against one confusion matrix, AUC CIs against the
//! Hanley-McNeil width and their shape, an AUC's p-value, an operating point against its AUC,
//! p-values against their statistics, ICC CIs against subjects and raters, events per feature
//! (`checks`); a value reported twice, one rounding convention (`reporting`); a split or a
//! set's positives inferred from the rates, negatives in subgroups (`design`). Each finding
//! carries the file's `source:` for the numbers it checks. Writes claims.json and report.html;
//! the exit code is 1 when any claim is impossible.

pub mod checks;
pub mod design;
pub mod reporting;
pub mod spec;

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::output::{Tool, write_json};
use checks::{ClaimVerdict, Finding, Rates};
use reporting::Conventions;
use spec::{ClaimsFile, DataSet, Proportion, Reported, Study, Written};

/// The largest count (patients, images, features) a claims file may give: ten times the
/// largest imaging cohorts (UK Biobank imaging, 1e5-1e6); beyond it a count is a typing error.
const MAX_COUNT: i64 = 10_000_000;

/// What `radaudit claims` was asked to do.
#[derive(Debug, Clone)]
pub struct ClaimsArgs {
    pub file: PathBuf,
    pub out: PathBuf,
}

/// One finding, placed.
#[derive(Debug, Clone, Serialize)]
pub struct Placed {
    pub study: String,
    pub set: String,
    /// Where the publication gives the numbers checked (the file's `source:`), or empty.
    pub source: String,
    #[serde(flatten)]
    pub finding: Finding,
}

/// claims.json: every finding and their tally. The report reads this same value.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimsResults {
    pub name: String,
    pub file: String,
    pub tool: Tool,
    pub tally: Tally,
    pub findings: Vec<Placed>,
}

/// Findings per verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Tally {
    pub consistent: usize,
    pub implausible: usize,
    pub impossible: usize,
    pub cannot_check: usize,
}

/// The outcome of a run: the results and lines for the terminal.
pub struct ClaimsChecked {
    pub results: ClaimsResults,
    pub summary: String,
}

/// Where an error is: the study (by name) and the field.
struct Place<'a> {
    file: &'a Path,
    study: &'a str,
    set: Option<&'a str>,
}

impl Place<'_> {
    fn error(&self, field: &str, problem: impl std::fmt::Display) -> Error {
        let set = self.set.map_or(String::new(), |s| format!(", set {s:?}"));
        Error::input(
            self.file,
            format!("study {:?}{set}, field {field}: {problem}", self.study),
        )
    }

    fn count(&self, field: &str, v: Option<i64>) -> Result<Option<u64>> {
        match v {
            Some(c) if c < 0 => Err(self.error(field, format!("a negative count ({c})"))),
            // More patients, images or features than any study reports: a typing error.
            Some(c) if c > MAX_COUNT => Err(self.error(
                field,
                format!("{c} is beyond the counts a study reports (at most {MAX_COUNT})"),
            )),
            other => Ok(other.map(|c| c as u64)),
        }
    }

    fn number(&self, field: &str, w: &Written, proportion: bool) -> Result<Reported> {
        let r = Reported::read(w, proportion).map_err(|e| self.error(field, e))?;
        if proportion {
            if r.percent && r.value > 1.0 + 1e-12 {
                return Err(self.error(field, format!("{} is above 100%", checks::show(&r))));
            }
            if !r.percent && r.value > 1.0 {
                return Err(self.error(
                    field,
                    format!("{} is above 1: write a percentage with its % sign", r.value),
                ));
            }
            if r.value < 0.0 {
                return Err(self.error(field, "a negative proportion"));
            }
        }
        Ok(r)
    }

    fn interval(
        &self,
        field: &str,
        ci: &Option<[Written; 2]>,
        proportion: bool,
    ) -> Result<Option<(Reported, Reported)>> {
        ci.as_ref()
            .map(|[a, b]| {
                Ok((
                    self.number(field, a, proportion)?,
                    self.number(field, b, proportion)?,
                ))
            })
            .transpose()
    }
}

/// A proportion read: its value (if any) and its count (if any).
type ReadProportion = (Option<Reported>, Option<(u64, u64)>);

fn proportion(
    place: &Place,
    field: &str,
    p: &Option<Proportion>,
) -> Result<Option<ReadProportion>> {
    let Some(p) = p else { return Ok(None) };
    let (value, count) = match p {
        Proportion::Value(w) => (Some(w), None),
        Proportion::Full { value, count, .. } => (value.as_ref(), count.as_ref()),
    };
    let count = match count {
        Some(&[k, n]) => {
            let k = place.count(field, Some(k))?.unwrap_or(0);
            let n = place.count(field, Some(n))?.unwrap_or(0);
            Some((k, n))
        }
        None => None,
    };
    let mut value = value.map(|w| place.number(field, w, true)).transpose()?;
    if value.is_none() {
        // A count alone is its own exact value.
        value = count.filter(|c| c.1 > 0).map(|(k, n)| {
            let v = k as f64 / n as f64;
            Reported {
                value: v,
                low: v,
                high: v,
                decimals: 6,
                percent: false,
            }
        });
    }
    Ok(Some((value, count)))
}

/// A set's findings, each with the source of the numbers it checks, and which printing
/// conventions fit its rates.
struct SetChecked {
    findings: Vec<(Finding, Option<String>)>,
    conventions: Option<Conventions>,
}

/// The rates a data set reports, read (for the split search, before its checks).
fn set_rates(place: &Place, set: &DataSet) -> Result<Rates> {
    let value = |field: &str, p: &Option<Proportion>| -> Result<Option<Reported>> {
        Ok(proportion(place, field, p)?.and_then(|(v, _)| v))
    };
    Ok(Rates {
        sensitivity: value("sensitivity", &set.sensitivity)?,
        specificity: value("specificity", &set.specificity)?,
        accuracy: value("accuracy", &set.accuracy)?,
        ppv: value("ppv", &set.ppv)?,
        npv: value("npv", &set.npv)?,
        false_positive_rate: value("false_positive_rate", &set.false_positive_rate)?,
    })
}

/// Every check a data set's numbers allow; `inferred` is its (positives, negatives) when the
/// study's split was recovered from the rates.
fn check_set(
    file: &Path,
    study: &Study,
    set: &DataSet,
    inferred: Option<(u64, u64)>,
) -> Result<SetChecked> {
    let place = Place {
        file,
        study: &study.study,
        set: Some(&set.name),
    };
    let mut total = place.count("total", set.total)?;
    let mut pos = place.count("positives", set.positives)?;
    let mut neg = place.count("negatives", set.negatives)?;
    let mut out: Vec<(Finding, Option<String>)> = Vec::new();
    let mut push = |f: Finding, source: Option<&str>| out.push((f, source.map(str::to_string)));
    if let (Some(t), Some(p), Some(n)) = (total, pos, neg) {
        push(checks::counts(t, p, n), None);
    }
    if let (Some((p, n)), None, None) = (inferred, pos, neg) {
        (pos, neg) = (Some(p), Some(n));
        total = total.or(Some(p + n));
    }
    // Negatives given as subgroups are the negatives.
    let mut groups = Vec::new();
    for g in &set.negative_groups {
        let t = place
            .count("negative_groups.total", Some(g.total))?
            .unwrap_or(0);
        let fp = place.count("negative_groups.false_positives", g.false_positives)?;
        groups.push((g, t, fp));
    }
    if !groups.is_empty() && neg.is_none() {
        let sum: u64 = groups.iter().map(|g| g.1).sum();
        neg = Some(sum);
        if total.is_none() {
            total = pos.map(|p| p + sum);
        }
    }
    // A missing count follows from the other two (when they allow it).
    let (mut pos, mut neg, total) = match (total, pos, neg) {
        (Some(t), Some(p), None) if p <= t => (Some(p), Some(t - p), Some(t)),
        (Some(t), None, Some(n)) if n <= t => (Some(t - n), Some(n), Some(t)),
        (None, Some(p), Some(n)) => (Some(p), Some(n), Some(p + n)),
        (Some(t), Some(p), None) => {
            push(checks::counts(t, p, 0), None);
            (None, None, Some(t))
        }
        (t, p, n) => (p, n, t),
    };
    let mut rates = Rates::default();
    let mut true_positives = None;
    let fields: [(&str, &Option<Proportion>, Option<u64>); 6] = [
        ("sensitivity", &set.sensitivity, pos),
        ("specificity", &set.specificity, neg),
        ("accuracy", &set.accuracy, total),
        ("ppv", &set.ppv, None),
        ("npv", &set.npv, None),
        ("false_positive_rate", &set.false_positive_rate, neg),
    ];
    for (field, p, denominator) in fields {
        let Some((value, count)) = proportion(&place, field, p)? else {
            continue;
        };
        let source = p.as_ref().and_then(Proportion::source);
        if field == "sensitivity" {
            true_positives = count.map(|c| c.0);
        }
        if let Some(v) = &value
            && (denominator.is_some() || count.is_some())
        {
            push(checks::proportion(field, v, denominator, count), source);
        }
        let slot = match field {
            "sensitivity" => &mut rates.sensitivity,
            "specificity" => &mut rates.specificity,
            "accuracy" => &mut rates.accuracy,
            "ppv" => &mut rates.ppv,
            "npv" => &mut rates.npv,
            _ => &mut rates.false_positive_rate,
        };
        *slot = value;
        if let Some(Proportion::Full { ci: Some(ci), .. }) = p
            && let (Some(v), Some((lo, hi))) =
                (value, place.interval(field, &Some(ci.clone()), true)?)
        {
            push(Finding {
                check: format!("{field} CI contains it"),
                claim: format!("{field} {} ({}-{})", checks::show(&v), checks::show(&lo), checks::show(&hi)),
                computation: format!("{} <= {} <= {}", checks::show(&lo), checks::show(&v), checks::show(&hi)),
                verdict: ClaimVerdict::unless(lo.value <= v.value && v.value <= hi.value, ClaimVerdict::Impossible),
                question: "The confidence interval does not contain its estimate: which numbers are right?".into(),
            }, source);
        }
    }
    if !groups.is_empty() {
        for (g, t, fp) in &groups {
            if let Some((Some(v), count)) = proportion(
                &place,
                "negative_groups.false_positive_rate",
                &g.false_positive_rate,
            )? {
                let count = count.or(fp.map(|f| (f, *t)));
                push(
                    checks::proportion(
                        &format!("{} false-positive rate", g.name),
                        &v,
                        Some(*t),
                        count,
                    ),
                    g.source.as_deref(),
                );
            }
        }
        let fp = place.count("false_positives", set.false_positives)?;
        let list: Vec<design::Group> = groups
            .iter()
            .map(|(g, t, fp)| design::Group {
                name: &g.name,
                total: *t,
                false_positives: *fp,
            })
            .collect();
        push(
            design::negative_groups(total, pos, true_positives, fp, &list),
            None,
        );
    }
    let mut conventions = None;
    if let Some(t) = total {
        if let Some(f) = checks::confusion(t, pos, &rates) {
            push(f, None);
        }
        if let Some((c, counts)) = design::conventions(t, pos, &rates) {
            conventions = Some(c);
            // The rates leave one split: the AUC and event checks can use it.
            if pos.is_none() && counts.len() == 1 {
                let p = counts[0];
                push(
                    checks::finding(
                        "split inferred from the rates",
                        format!("{t} patients, split not stated"),
                        format!(
                            "only {p} positive and {} negative let the rates fit ({})",
                            t - p,
                            if c.rounded { "rounded" } else { "truncated" }
                        ),
                        ClaimVerdict::Consistent,
                        "",
                    ),
                    None,
                );
                (pos, neg) = (Some(p), Some(t - p));
            }
        }
    }
    for a in &set.auc {
        let source = a.source.as_deref();
        let value = place.number("auc", &a.value, false)?;
        let ci = place.interval("auc.ci", &a.ci, false)?;
        for f in checks::auc(&value, ci, pos, neg, total) {
            push(f, source);
        }
        if let Some((lo, hi)) = ci
            && let Some(f) = reporting::ci_shape(&value, &lo, &hi)
        {
            push(f, source);
        }
        if let Some(p) = &a.p {
            let p = place.number("auc.p", p, false)?;
            match (pos, neg) {
                (Some(np), Some(nn)) if np > 0 && nn > 0 => {
                    push(checks::auc_p_value(&value, &p, np, nn), source)
                }
                _ => {}
            }
        }
        for other in &a.also_reported {
            let v = place.number("auc.also_reported", &other.value, false)?;
            push(
                reporting::conflicting_reports(
                    "AUC",
                    (&value, source.unwrap_or("as given first")),
                    (&v, other.source.as_deref().unwrap_or("elsewhere")),
                ),
                other.source.as_deref(),
            );
        }
        if set.auc.len() == 1
            && let (Some(s), Some(sp)) = (rates.sensitivity, rates.specificity)
        {
            push(checks::operating_point(&value, &s, &sp), source);
        }
    }
    for icc in &set.icc {
        let value = place.number("icc", &icc.value, false)?;
        let ci = place.interval("icc.ci", &icc.ci, false)?;
        let n = place
            .count("icc.subjects", Some(icc.subjects))?
            .unwrap_or(0);
        let k = place.count("icc.raters", Some(icc.raters))?.unwrap_or(0);
        // A reliability study of more than 1e6 subjects or 1000 raters is no study; the F
        // quantiles behind the CI would take minutes.
        if !(2..=1_000_000).contains(&n) {
            return Err(place.error("icc.subjects", format!("2 to 1000000, got {n}")));
        }
        if !(2..=1000).contains(&k) {
            return Err(place.error("icc.raters", format!("2 to 1000, got {k}")));
        }
        let model = icc.model.to_ascii_lowercase();
        if !["icc1", "icc2", "icc3"].contains(&model.as_str()) {
            return Err(place.error(
                "icc.model",
                format!("{:?}: use icc1, icc2 or icc3", icc.model),
            ));
        }
        for f in checks::icc(&value, ci, n, k, &model) {
            push(f, None);
        }
    }
    for pv in &set.p_values {
        let p = place.number("p_values.p", &pv.p, false)?;
        if p.value > 1.0 || p.value < 0.0 {
            return Err(place.error("p_values.p", format!("{} is not a probability", p.value)));
        }
        let s = place.number("p_values.statistic", &pv.statistic, false)?;
        let label = pv
            .label
            .as_ref()
            .map_or(String::new(), |l| format!("{l}: "));
        push(
            checks::p_value(&label, &pv.test, &s, pv.df, pv.df2, &p, pv.one_sided),
            None,
        );
    }
    let candidates = place.count("candidate_features", set.candidate_features)?;
    let selected = place.count("selected_features", set.selected_features)?;
    if let (Some(p), Some(n)) = (pos, neg) {
        for f in checks::events_per_feature(p.min(n), candidates, selected) {
            push(f, None);
        }
    }
    Ok(SetChecked {
        findings: out,
        conventions,
    })
}

/// Every check of one study.
pub(crate) fn check_study(file: &Path, study: &Study) -> Result<Vec<Placed>> {
    let place = Place {
        file,
        study: &study.study,
        set: None,
    };
    let mut placed = Vec::new();
    let mut add = |set: &str, source: Option<&str>, findings: Vec<Finding>| {
        placed.extend(findings.into_iter().map(|finding| Placed {
            study: study.study.clone(),
            set: set.to_string(),
            source: source.or(study.source.as_deref()).unwrap_or("").to_string(),
            finding,
        }))
    };
    let total = place.count("total", study.total)?;
    let pos = place.count("positives", study.positives)?;
    let neg = place.count("negatives", study.negatives)?;
    if let (Some(t), Some(p), Some(n)) = (total, pos, neg) {
        add("whole study", None, vec![checks::counts(t, p, n)]);
    }
    let mut inferred: Vec<(&str, (u64, u64))> = Vec::new();
    if !study.partition.is_empty() {
        let mut sets = Vec::new();
        for name in &study.partition {
            let set = study
                .sets
                .iter()
                .find(|s| s.name == *name)
                .ok_or_else(|| place.error("partition", format!("no set named {name:?}")))?;
            sets.push(set);
        }
        let unsized_sets = sets.iter().filter(|s| s.total.is_none()).count();
        if unsized_sets == 0 {
            let mut parts = Vec::new();
            for set in &sets {
                let t = place.count("total", set.total)?.unwrap_or(0);
                parts.push((
                    set.name.clone(),
                    t,
                    place.count("positives", set.positives)?,
                ));
            }
            let (t, pos) = match place.count("partition_of", study.partition_of)? {
                Some(of) => (of, None),
                None => (
                    total.ok_or_else(|| place.error("partition", "the study states no total"))?,
                    pos,
                ),
            };
            add("whole study", None, vec![checks::partition(t, pos, &parts)]);
        } else if let ([a, b], Some(p), Some(n)) = (sets.as_slice(), pos, neg)
            && unsized_sets == 2
            && study.partition_of.is_none()
        {
            // Neither set's size is stated: the split their rates allow.
            let rates = [set_rates(&place, a)?, set_rates(&place, b)?];
            let (f, split) =
                design::infer_split(p, n, [(&a.name, &rates[0]), (&b.name, &rates[1])]);
            add("whole study", None, vec![f]);
            if let Some([x, y]) = split {
                inferred.push((&a.name, x));
                inferred.push((&b.name, y));
            }
        } else {
            return Err(place.error(
                "partition",
                "every set of a partition needs its total, unless the partition is two sets of a study that states its positives and negatives (the split is then inferred from their rates)",
            ));
        }
    }
    let mut conventions = Vec::new();
    for set in &study.sets {
        let split = inferred
            .iter()
            .find(|(name, _)| *name == set.name)
            .map(|(_, s)| *s);
        let checked = check_set(file, study, set, split)?;
        if let Some(c) = checked.conventions {
            conventions.push((set.name.clone(), c));
        }
        for (finding, source) in checked.findings {
            add(
                &set.name,
                source.as_deref().or(set.source.as_deref()),
                vec![finding],
            );
        }
    }
    if let Some(f) = reporting::one_rounding_convention(&conventions) {
        add("whole study", None, vec![f]);
    }
    Ok(placed)
}

/// Names the study of a parse error: `studies[2].sets[0].x` becomes `study "Name", ...`.
fn locate(text: &str, message: String) -> String {
    let Some(rest) = message.strip_prefix("studies[") else {
        return message;
    };
    let Some((index, _)) = rest.split_once(']') else {
        return message;
    };
    let name = index.parse::<usize>().ok().and_then(|i| {
        let value: Value = serde_saphyr::from_str(text).ok()?;
        value["studies"][i]["study"].as_str().map(str::to_string)
    });
    match name {
        Some(n) => format!("study {n:?}: {message}"),
        None => message,
    }
}

/// Reads a claims file; errors name the study and field.
pub fn load(path: &Path) -> Result<ClaimsFile> {
    let text = crate::yaml::read_text(path)?;
    crate::yaml::parse(path, &text).map_err(|e| match e {
        Error::Input { path, problem } => Error::Input {
            problem: locate(&text, problem),
            path,
        },
        other => other,
    })
}

/// Runs every check and writes DIR/claims.json (the report is the command's).
pub fn run(args: &ClaimsArgs) -> Result<ClaimsChecked> {
    let file = load(&args.file)?;
    let mut findings = Vec::new();
    for study in &file.studies {
        findings.extend(check_study(&args.file, study)?);
    }
    let count = |v: ClaimVerdict| findings.iter().filter(|f| f.finding.verdict == v).count();
    let tally = Tally {
        consistent: count(ClaimVerdict::Consistent),
        implausible: count(ClaimVerdict::Implausible),
        impossible: count(ClaimVerdict::Impossible),
        cannot_check: count(ClaimVerdict::CannotCheck),
    };
    let mut summary = format!(
        "wrote {}: {} checks, {} consistent, {} implausible, {} impossible, {} cannot be checked\n",
        args.out.display(),
        findings.len(),
        tally.consistent,
        tally.implausible,
        tally.impossible,
        tally.cannot_check
    );
    // Name what a reviewer has to raise: every impossible, then implausible, finding.
    for (wanted, word) in [
        (ClaimVerdict::Impossible, "impossible"),
        (ClaimVerdict::Implausible, "implausible"),
    ] {
        for f in findings.iter().filter(|f| f.finding.verdict == wanted) {
            summary += &format!(
                "  {word}: {} ({}, {}): {}\n",
                f.study, f.set, f.finding.check, f.finding.claim
            );
        }
    }
    let results = ClaimsResults {
        name: file.name,
        file: args.file.display().to_string(),
        tool: Tool::this(),
        tally,
        findings,
    };
    std::fs::create_dir_all(&args.out).map_err(|e| Error::output(&args.out, e.to_string()))?;
    write_json(&args.out.join("claims.json"), &results)?;
    Ok(ClaimsChecked { results, summary })
}
