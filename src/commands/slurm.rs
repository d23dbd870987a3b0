//! `radaudit slurm`: an audit as a SLURM job array of shards plus a merge job that waits for
//! it (`--dependency=afterok`). radaudit grows no scheduler of its own; shards and the merge
//! read and write the shared run folder.

use std::path::PathBuf;
use std::process::Command;

use super::scheduler::{absolute, path_text};
use super::{Outcome, print_stdout};
use crate::audit::shard::missing_shards;
use crate::error::{Error, Result};
use crate::output::write_bytes;

/// Write (and with --submit, submit) an audit as a SLURM job array of N shards plus a
/// merge job that runs after the array succeeds (--dependency=afterok). Scripts go to
/// RUN_DIR/slurm/; shards and merge share RUN_DIR, which every node must see.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The audit protocol.
    protocol: PathBuf,
    /// The run folder (on a filesystem every node shares).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Number of shards (array tasks), 1 to 100000.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    shards: u32,
    /// The SLURM partition (sbatch --partition) [default: the cluster's default].
    #[arg(long)]
    partition: Option<String>,
    /// Time limit per task as sbatch takes it: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or
    /// D-HH:MM:SS.
    #[arg(long, default_value = "04:00:00")]
    time: String,
    /// CPUs per task, also the shard's worker threads (1 to 1024).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1024))]
    cpus_per_task: u16,
    /// The radaudit binary the nodes run, a path every node sees [default: this binary's
    /// absolute path].
    #[arg(long)]
    bin: Option<PathBuf>,
    /// Submit with sbatch and print the two job ids (array, merge) to stdout.
    #[arg(long)]
    submit: bool,
    /// Only the shards whose outputs are missing (after a failure): the array script lists
    /// just those, and --submit submits them, then the merge.
    #[arg(long)]
    only_missing: bool,
}

/// Runs `radaudit slurm`.
pub fn run(a: Args) -> Result<Outcome> {
    let text = write_and_submit(&a)?;
    eprint!("{text}");
    Ok(Outcome::Done)
}

/// Runs sbatch and returns the job id it prints (`--parsable`).
fn sbatch(args: &[String]) -> Result<String> {
    let out = Command::new("sbatch")
        .arg("--parsable")
        .args(args)
        .output()
        .map_err(|e| Error::Usage(format!("cannot run sbatch: {e}")))?;
    if !out.status.success() {
        return Err(Error::Usage(format!(
            "sbatch {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.trim().split(';').next().unwrap_or("").to_string())
}

/// Writes RUN_DIR/slurm/{shards,merge}.sbatch and, with `submit`, submits them.
fn write_and_submit(a: &Args) -> Result<String> {
    if !is_slurm_time(&a.time) {
        return Err(Error::Usage(format!(
            "--time {}: not a SLURM time limit (MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS)",
            a.time
        )));
    }
    // Checks the protocol before anything is written or submitted.
    crate::audit::protocol::load(&a.protocol)?;
    let protocol = absolute(&a.protocol)?;
    let run_dir = absolute(&a.out)?;
    let dir = run_dir.join("slurm");
    let exe = match &a.bin {
        Some(bin) => absolute(bin)?,
        None => std::env::current_exe().map_err(|e| Error::Internal(e.to_string()))?,
    };
    let n = a.shards as usize;
    let todo: Vec<usize> = if a.only_missing {
        missing_shards(&run_dir, n)
    } else {
        (0..n).collect()
    };
    if todo.is_empty() {
        return Ok(format!(
            "no shard of {n} is missing in {}: nothing written; run the merge (radaudit merge) if it has not run\n",
            run_dir.display()
        ));
    }
    std::fs::create_dir_all(&dir).map_err(|e| Error::output(&dir, e.to_string()))?;
    let c = a.cpus_per_task;
    let partition = a
        .partition
        .as_ref()
        .map_or(String::new(), |p| format!("#SBATCH --partition={p}\n"));
    let header = |name: &str, log: &str| {
        format!(
            "#!/bin/bash\n#SBATCH --job-name={name}\n#SBATCH --cpus-per-task={c}\n#SBATCH --time={}\n{partition}#SBATCH --output={}\n",
            a.time,
            dir.join(log).display()
        )
    };
    let shards = format!(
        "{}#SBATCH --array={}\n# One shard per array task; --resume continues a shard that was killed.\nexec {} audit {} --out {} --shard \"${{SLURM_ARRAY_TASK_ID}}/{n}\" --threads {c} --resume\n",
        header("radaudit-shards", "shard-%a.log"),
        array_spec(&todo),
        path_text(&exe),
        path_text(&protocol),
        path_text(&run_dir)
    );
    let merge = format!(
        "{}exec {} merge {} --threads {c}\n",
        header("radaudit-merge", "merge.log"),
        path_text(&exe),
        path_text(&run_dir)
    );
    let shards_path = dir.join("shards.sbatch");
    let merge_path = dir.join("merge.sbatch");
    write_bytes(&shards_path, shards.as_bytes())?;
    write_bytes(&merge_path, merge.as_bytes())?;
    let mut text = format!(
        "wrote {} (array {}) and {}\n",
        shards_path.display(),
        array_spec(&todo),
        merge_path.display()
    );
    if !a.submit {
        return Ok(text
            + &format!(
                "submit with: sbatch --parsable shards.sbatch, then sbatch --dependency=afterok:<id> merge.sbatch (in {})\n",
                dir.display()
            ));
    }
    let array_id = sbatch(&[shards_path.display().to_string()])?;
    let merge_id = sbatch(&[
        format!("--dependency=afterok:{array_id}"),
        merge_path.display().to_string(),
    ])?;
    text += &format!(
        "submitted shards {} as job {array_id}; merge as job {merge_id} (after the array succeeds)\n",
        array_spec(&todo)
    );
    print_stdout(&format!("{array_id} {merge_id}\n"))?;
    Ok(text)
}

/// The array indices as sbatch's --array takes them: `0-7` for all, else `1,4,5`.
fn array_spec(indices: &[usize]) -> String {
    let contiguous = indices.windows(2).all(|w| w[1] == w[0] + 1);
    match (indices.first(), indices.last()) {
        (Some(first), Some(last)) if contiguous && indices.len() > 1 => format!("{first}-{last}"),
        _ => indices
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// Whether `text` is a time limit sbatch accepts: `MM`, `MM:SS`, `HH:MM:SS`, `D-HH`,
/// `D-HH:MM` or `D-HH:MM:SS` (sbatch(1), --time), every part digits.
fn is_slurm_time(text: &str) -> bool {
    let digits = |p: &str| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit());
    let (days, rest) = match text.split_once('-') {
        Some((d, r)) => (Some(d), r),
        None => (None, text),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    days.is_none_or(digits) && (1..=3).contains(&parts.len()) && parts.iter().all(|p| digits(p))
}

#[cfg(test)]
mod tests {
    use super::is_slurm_time;

    #[test]
    fn time_limits_follow_sbatch() {
        for ok in ["30", "30:00", "04:00:00", "2-12", "2-12:30", "2-12:30:00"] {
            assert!(is_slurm_time(ok), "{ok}");
        }
        for bad in [
            "banana",
            "",
            "1:2:3:4",
            "-4",
            "2-",
            "4h",
            "04:00:00 ",
            "1-2:3:4:5",
        ] {
            assert!(!is_slurm_time(bad), "{bad}");
        }
    }
}
