//! `radaudit slurm` and `radaudit k8s`: an audit as shards run by an existing scheduler, then
//! merged. radaudit grows no scheduler of its own: it writes an sbatch array plus a merge job
//! that waits for it (`--dependency=afterok`), or a Kubernetes Indexed Job (the shard from
//! `JOB_COMPLETION_INDEX`) plus a merge Job; shards read and write the shared run folder.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::audit::shard::missing_shards;
use crate::error::{Error, Result};
use crate::output::write_bytes;

/// What `radaudit slurm` was asked to do.
#[derive(Debug, Clone)]
pub struct SlurmArgs {
    pub protocol: PathBuf,
    pub out: PathBuf,
    pub shards: usize,
    pub partition: Option<String>,
    pub time: String,
    pub cpus_per_task: usize,
    pub submit: bool,
    pub only_missing: bool,
}

fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).map_err(|e| Error::input(p, e.to_string()))
}

/// Quotes a word for a POSIX shell.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn path_text(p: &Path) -> String {
    quote(&p.display().to_string())
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
pub fn slurm(a: &SlurmArgs) -> Result<String> {
    if a.shards == 0 {
        return Err(Error::Usage("--shards must be at least 1".into()));
    }
    // Checks the protocol before anything is written or submitted.
    crate::protocol::load(&a.protocol)?;
    let protocol = absolute(&a.protocol)?;
    let run_dir = absolute(&a.out)?;
    let dir = run_dir.join("slurm");
    std::fs::create_dir_all(&dir).map_err(|e| Error::output(&dir, e.to_string()))?;
    let exe = std::env::current_exe().map_err(|e| Error::Internal(e.to_string()))?;
    let n = a.shards;
    let c = a.cpus_per_task.max(1);
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
        "{}#SBATCH --array=0-{}\n# One shard per array task; --resume continues a shard that was killed.\nexec {} audit {} --out {} --shard \"${{SLURM_ARRAY_TASK_ID}}/{n}\" --threads {c} --resume\n",
        header("radaudit-shards", "shard-%a.log"),
        n - 1,
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
    let todo: Vec<usize> = if a.only_missing {
        missing_shards(&run_dir, n)
    } else {
        (0..n).collect()
    };
    let mut text = format!(
        "wrote {} and {}\n",
        shards_path.display(),
        merge_path.display()
    );
    if a.only_missing && todo.is_empty() {
        return Ok(text + "no shard is missing\n");
    }
    if !a.submit {
        return Ok(text
            + &format!(
                "submit with: sbatch --parsable shards.sbatch, then sbatch --dependency=afterok:<id> merge.sbatch (in {})\n",
                dir.display()
            ));
    }
    let array: Vec<String> = todo.iter().map(usize::to_string).collect();
    let array_id = sbatch(&[
        format!("--array={}", array.join(",")),
        shards_path.display().to_string(),
    ])?;
    let merge_id = sbatch(&[
        format!("--dependency=afterok:{array_id}"),
        merge_path.display().to_string(),
    ])?;
    text += &format!(
        "submitted shards {} as job {array_id}; merge as job {merge_id} (after the array succeeds)\n",
        array.join(",")
    );
    println!("{array_id} {merge_id}");
    Ok(text)
}

/// What `radaudit k8s` was asked to do.
#[derive(Debug, Clone)]
pub struct K8sArgs {
    pub protocol: PathBuf,
    pub shards: usize,
    pub image: String,
    pub pvc: String,
    pub mount: String,
    pub run_dir: String,
    pub cpus: usize,
    pub name: String,
    pub out: PathBuf,
}

/// Writes the Indexed Job and the merge Job (two YAML documents) to `out`.
pub fn k8s(a: &K8sArgs) -> Result<String> {
    if a.shards == 0 {
        return Err(Error::Usage("--shards must be at least 1".into()));
    }
    let yaml = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let protocol = a.protocol.display().to_string();
    let pod = |container: &str, command: String| {
        format!(
            r#"  template:
    spec:
      restartPolicy: Never
      containers:
        - name: {container}
          image: {}
          command: ["sh", "-c", {}]
          resources:
            requests: {{cpu: "{}"}}
          volumeMounts:
            - {{name: data, mountPath: {}}}
      volumes:
        - name: data
          persistentVolumeClaim: {{claimName: {}}}
"#,
            yaml(&a.image),
            yaml(&command),
            a.cpus,
            yaml(&a.mount),
            yaml(&a.pvc)
        )
    };
    let text = format!(
        r#"# radaudit audit of {protocol} as {n} shards (a Kubernetes Indexed Job; each pod runs shard
# $JOB_COMPLETION_INDEX) and the merge Job. Paths are as the pods see them on the volume.
#   kubectl apply -f THIS_FILE -l radaudit/step=shards
#   kubectl wait --for=condition=complete job/{name}-shards --timeout=48h
#   kubectl apply -f THIS_FILE -l radaudit/step=merge
apiVersion: batch/v1
kind: Job
metadata:
  name: {name}-shards
  labels: {{radaudit/step: shards}}
spec:
  completionMode: Indexed
  completions: {n}
  parallelism: {n}
  backoffLimit: {retries}
{shards}---
apiVersion: batch/v1
kind: Job
metadata:
  name: {name}-merge
  labels: {{radaudit/step: merge}}
spec:
  backoffLimit: 1
{merge}"#,
        n = a.shards,
        name = a.name,
        retries = 2 * a.shards,
        shards = pod(
            "shard",
            format!(
                "exec radaudit audit {} --out {} --shard \"$JOB_COMPLETION_INDEX/{}\" --threads {} --resume",
                quote(&protocol),
                quote(&a.run_dir),
                a.shards,
                a.cpus
            )
        ),
        merge = pod(
            "merge",
            format!(
                "exec radaudit merge {} --threads {}",
                quote(&a.run_dir),
                a.cpus
            )
        ),
    );
    write_bytes(&a.out, text.as_bytes())?;
    Ok(format!(
        "wrote {} (Indexed Job of {} shards and the merge Job)\n",
        a.out.display(),
        a.shards
    ))
}
