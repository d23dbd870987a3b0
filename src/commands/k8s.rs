//! `radaudit k8s`: an audit as a Kubernetes Indexed Job of shards (the shard from
//! `JOB_COMPLETION_INDEX`) plus a merge Job, on a volume every pod mounts.

use std::path::{Path, PathBuf};

use super::Outcome;
use super::scheduler::{quote, shell_word};
use crate::error::{Error, Result};
use crate::output::write_bytes;

/// Write an audit as a Kubernetes Indexed Job of N shards (the shard from
/// JOB_COMPLETION_INDEX) plus the merge Job, on a PersistentVolumeClaim all pods mount.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The protocol's path as the pods see it (on the volume).
    protocol: PathBuf,
    /// Number of shards (pods of the Indexed Job), 1 to 100000.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    shards: u32,
    /// The container image holding radaudit (on its PATH, or at --bin).
    #[arg(long)]
    image: String,
    /// The PersistentVolumeClaim holding the inputs and the run folder.
    #[arg(long)]
    pvc: String,
    /// Where the pods mount the volume (an absolute path).
    #[arg(long, default_value = "/data")]
    mount: String,
    /// The run folder as the pods see it, under --mount [default: MOUNT/runs/audit].
    #[arg(long)]
    run_dir: Option<String>,
    /// CPUs per pod, also the shard's worker threads (1 to 1024).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1024))]
    cpus: u16,
    /// Name prefix of the Jobs: lowercase letters, digits and '-', starting and ending with a
    /// letter or digit (a Kubernetes DNS label), so that NAME-shards-INDEX fits 63 characters.
    #[arg(long, default_value = "radaudit")]
    name: String,
    /// The radaudit binary inside the image [default: radaudit, found on the image's PATH].
    #[arg(long, default_value = "radaudit")]
    bin: String,
    /// The manifest file to write.
    #[arg(long, value_name = "FILE", default_value = "radaudit-k8s.yaml")]
    out: PathBuf,
}

/// Runs `radaudit k8s`.
pub fn run(a: Args) -> Result<Outcome> {
    let text = write_manifest(&a)?;
    eprint!("{text}");
    Ok(Outcome::Done)
}

/// Checks `--name` against Kubernetes' rules: a DNS label (RFC 1123: lowercase letters,
/// digits and '-', a letter or digit at both ends), short enough that the pods' host names
/// `NAME-shards-INDEX` stay within 63 characters.
fn check_name(name: &str, shards: usize) -> Result<()> {
    let label = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    let longest = format!("{name}-shards-{}", shards.saturating_sub(1)).len();
    if !label {
        return Err(Error::Usage(format!(
            "--name {name}: Kubernetes names take lowercase letters, digits and '-', starting and ending with a letter or digit"
        )));
    }
    if longest > 63 {
        return Err(Error::Usage(format!(
            "--name {name}: too long; the pods' names ({name}-shards-INDEX) would have {longest} characters, Kubernetes allows 63"
        )));
    }
    Ok(())
}

/// Writes the Indexed Job and the merge Job (two YAML documents) to `out`.
fn write_manifest(a: &Args) -> Result<String> {
    check_name(&a.name, a.shards as usize)?;
    let mount = Path::new(&a.mount);
    if !mount.is_absolute() {
        return Err(Error::Usage(format!(
            "--mount {}: give an absolute path",
            a.mount
        )));
    }
    let run_dir = a
        .run_dir
        .clone()
        .unwrap_or_else(|| mount.join("runs/audit").display().to_string());
    // The pods run elsewhere: a relative path would be read from their working folder, and a
    // path off the volume would not be shared between the pods.
    for (flag, path) in [
        ("PROTOCOL", a.protocol.as_path()),
        ("--run-dir", Path::new(&run_dir)),
    ] {
        if !path.is_absolute() || !path.starts_with(mount) {
            return Err(Error::Usage(format!(
                "{flag} {}: give the absolute path the pods see, under --mount {}",
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
                "exec {} audit {} --out {} --shard \"$JOB_COMPLETION_INDEX/{}\" --threads {} --resume",
                shell_word(&a.bin),
                quote(&protocol),
                quote(&run_dir),
                a.shards,
                a.cpus
            )
        ),
        merge = pod(
            "merge",
            format!(
                "exec {} merge {} --threads {}",
                shell_word(&a.bin),
                quote(&run_dir),
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
