//! `radaudit k8s`: an audit as a Kubernetes Indexed Job of shards (the shard from
//! `JOB_COMPLETION_INDEX`) plus a merge Job, on a volume every pod mounts.

use std::path::PathBuf;

use super::Outcome;
use super::scheduler::quote;
use crate::error::{Error, Result};
use crate::output::write_bytes;

/// Write an audit as a Kubernetes Indexed Job of N shards (the shard from
/// JOB_COMPLETION_INDEX) plus the merge Job, on a PersistentVolumeClaim all pods mount.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The protocol's path as the pods see it (on the volume).
    protocol: PathBuf,
    #[arg(long)]
    shards: usize,
    /// The container image with radaudit on its PATH.
    #[arg(long)]
    image: String,
    /// The PersistentVolumeClaim holding the inputs and the run folder.
    #[arg(long)]
    pvc: String,
    /// Where the pods mount the volume.
    #[arg(long, default_value = "/data")]
    mount: String,
    /// The run folder as the pods see it.
    #[arg(long, default_value = "/data/runs/audit")]
    run_dir: String,
    /// CPUs per pod (and threads per shard).
    #[arg(long, default_value_t = 1)]
    cpus: usize,
    /// Name prefix of the Jobs.
    #[arg(long, default_value = "radaudit")]
    name: String,
    /// The manifest file to write.
    #[arg(long, default_value = "radaudit-k8s.yaml")]
    out: PathBuf,
}

/// Runs `radaudit k8s`.
pub fn run(a: Args) -> Result<Outcome> {
    let text = write_manifest(&a)?;
    eprint!("{text}");
    Ok(Outcome::Done)
}

/// Writes the Indexed Job and the merge Job (two YAML documents) to `out`.
fn write_manifest(a: &Args) -> Result<String> {
    if a.shards == 0 {
        return Err(Error::Usage("--shards must be at least 1".into()));
    }
    // The pods run elsewhere: a relative path would be read from their working folder.
    for (flag, path) in [
        ("PROTOCOL", a.protocol.as_path()),
        ("--run-dir", std::path::Path::new(&a.run_dir)),
    ] {
        if !path.is_absolute() {
            return Err(Error::Usage(format!(
                "{flag} {}: give the absolute path the pods see (under --mount {})",
                path.display(),
                a.mount
            )));
        }
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
