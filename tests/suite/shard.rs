//! Issue 11: sharded audits. Shards merged byte for byte into the single-process tables
//! (the premise of every cluster run); a missing or damaged shard named by `merge` (exit 2)
//! and rerun; shards of another protocol or tool version refused; the job plan; and the
//! Kubernetes manifest. The run on a real SLURM cluster is `tests/slurm.sh` (run by .ci/run).

use crate::audit_common;
use crate::common;

use std::path::Path;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn same(a: &Path, b: &Path, files: &[&str]) {
    for f in files {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f} differs"
        );
    }
}

const TABLES: [&str; 5] = [
    "features.csv",
    "stability.csv",
    "harmonized_stability.csv",
    "errors.csv",
    "summary.json",
];

fn shard(protocol: &Path, run: &Path, spec: &str) {
    let r = common::radaudit([
        "audit",
        s(protocol),
        "--out",
        s(run),
        "--shard",
        spec,
        "--threads",
        "1",
    ]);
    assert_eq!(r.code, 0, "{spec}: {}", r.stderr);
}

#[test]
fn shards_merge_into_the_single_run_byte_for_byte_and_bad_shards_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let protocol = audit_common::reduced_protocol(dir.path(), 7, "sharded");
    let single = dir.path().join("single");
    let r = common::radaudit(["audit", s(&protocol), "--out", s(&single), "--threads", "2"]);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    let run = dir.path().join("sharded");
    for i in 0..3 {
        shard(&protocol, &run, &format!("{i}/3"));
    }
    let merged = common::radaudit(["merge", s(&run)]);
    assert_eq!(merged.code, r.code, "{}", merged.stderr);
    same(&single, &run, &TABLES);
    // A finished shard leaves its table and manifest, not its resume journal.
    let left: Vec<String> = std::fs::read_dir(run.join("shards"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".work"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");

    // A shard whose manifest is missing (killed before it finished, or deleted).
    let shards = run.join("shards");
    std::fs::remove_file(shards.join("1.json")).unwrap();
    common::refuses(&["merge", s(&run)], "shard(s) 1/3", "missing");
    shard(&protocol, &run, "1/3");
    assert_eq!(common::radaudit(["merge", s(&run)]).code, r.code);
    same(&single, &run, &TABLES);

    // A table cut short.
    let table = shards.join("2.parquet");
    let bytes = std::fs::read(&table).unwrap();
    std::fs::write(&table, &bytes[..bytes.len() / 2]).unwrap();
    common::refuses(
        &["merge", s(&run)],
        "shard 2/3",
        "does not match its manifest",
    );
    std::fs::write(&table, &bytes).unwrap();

    // Another protocol, another tool version.
    let manifest = shards.join("0.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let m: serde_json::Value = serde_json::from_str(&text).unwrap();
    let sha = m["protocol_sha256"].as_str().unwrap();
    std::fs::write(&manifest, text.replace(sha, &"0".repeat(64))).unwrap();
    common::refuses(&["merge", s(&run)], "shard 0/3", "another protocol");
    let version = m["tool_version"].as_str().unwrap();
    std::fs::write(
        &manifest,
        text.replace(
            &format!("\"tool_version\": \"{version}\""),
            "\"tool_version\": \"0.0.1\"",
        ),
    )
    .unwrap();
    common::refuses(&["merge", s(&run)], "shard 0/3", "radaudit 0.0.1");
    std::fs::write(&manifest, text).unwrap();

    // A shard of the same protocol run with a different shard count.
    shard(&protocol, &run, "0/2");
    common::refuses(&["merge", s(&run)], "0.json", "shards");
    // A bad shard spec (clap's usage error: exit 2 with the reason).
    let bad = common::radaudit(["audit", s(&protocol), "--out", s(&run), "--shard", "3/3"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("I 0 to N-1"), "{}", bad.stderr);
}

#[test]
fn the_plan_lists_jobs_and_shards() {
    let dir = tempfile::tempdir().unwrap();
    let protocol = audit_common::reduced_protocol(dir.path(), 10, "plan");
    let r = common::radaudit(["audit", s(&protocol), "--plan", "--shards", "4"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // 10 cases x (baseline + 2 scanner levels + 1 segmentation level).
    assert!(
        r.stdout.contains("10 cases x 4 jobs per case = 40 jobs"),
        "{}",
        r.stdout
    );
    for line in [
        "shard 0/4: 2 cases",
        "shard 1/4: 3 cases",
        "shard 3/4: 3 cases",
    ] {
        assert!(r.stdout.contains(line), "{line}: {}", r.stdout);
    }
}

#[test]
fn the_kubernetes_manifest_is_an_indexed_job_and_a_merge_job() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("k8s.yaml");
    let r = common::radaudit([
        "k8s",
        "/data/protocols/vertebra-ct.yaml",
        "--shards",
        "6",
        "--image",
        "registry.example/radaudit:1",
        "--pvc",
        "audit-data",
        "--run-dir",
        "/data/runs/site-a",
        "--out",
        s(&out),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    let docs: Vec<serde_json::Value> = text
        .split("\n---\n")
        .map(|d| serde_saphyr::from_str(d).unwrap())
        .collect();
    assert_eq!(docs.len(), 2);
    let (shards, merge) = (&docs[0], &docs[1]);
    assert_eq!(shards["kind"], "Job");
    assert_eq!(shards["spec"]["completionMode"], "Indexed");
    assert_eq!(shards["spec"]["completions"], 6);
    let pod = &shards["spec"]["template"]["spec"];
    let command = pod["containers"][0]["command"][2].as_str().unwrap();
    assert!(
        command.contains("--shard \"$JOB_COMPLETION_INDEX/6\""),
        "{command}"
    );
    assert!(command.contains("'/data/protocols/vertebra-ct.yaml'"));
    assert_eq!(
        pod["volumes"][0]["persistentVolumeClaim"]["claimName"],
        "audit-data"
    );
    assert_eq!(pod["containers"][0]["image"], "registry.example/radaudit:1");
    assert!(
        merge["spec"]["template"]["spec"]["containers"][0]["command"][2]
            .as_str()
            .unwrap()
            .contains("radaudit merge '/data/runs/site-a'")
    );
}

/// The scheduler scripts refuse what the scheduler would refuse or misread: a time limit
/// sbatch does not take, and a relative path the pods would read from their own folder.
#[test]
fn slurm_time_limits_and_k8s_paths_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let protocol = audit_common::reduced_protocol(dir.path(), 3, "checked");
    let run = dir.path().join("run");
    common::refuses(
        &[
            "slurm",
            s(&protocol),
            "--out",
            s(&run),
            "--shards",
            "2",
            "--time",
            "banana",
        ],
        "--time banana",
        "not a SLURM time limit",
    );
    assert!(!run.join("slurm").exists(), "nothing written");
    let out = dir.path().join("k8s.yaml");
    common::refuses(
        &[
            "k8s",
            "protocols/vertebra-ct.yaml",
            "--shards",
            "2",
            "--image",
            "radaudit:1",
            "--pvc",
            "data",
            "--out",
            s(&out),
        ],
        "PROTOCOL protocols/vertebra-ct.yaml",
        "give the absolute path the pods see",
    );
    assert!(!out.exists());
}

/// Kubernetes' own rules: a Job name it would refuse, a volume mount the run folder follows,
/// paths off the volume, and the binary inside the image.
#[test]
fn k8s_names_mounts_and_binary_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("k8s.yaml");
    // The manifest of a protocol on a volume mounted at `mount`, with more flags.
    let on = |mount: &str, extra: &[&str]| {
        let protocol = format!("{mount}/p.yaml");
        let mut args = vec![
            "k8s",
            &protocol,
            "--shards",
            "3",
            "--image",
            "radaudit:1",
            "--pvc",
            "data",
            "--mount",
            mount,
            "--out",
            s(&out),
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let k8s = |extra: &[&str]| on("/mnt/vol", extra);
    let refuse = |extra: &[&str], needle: &str, reason: &str| {
        let args = k8s(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        common::refuses(&args, needle, reason);
        assert!(!out.exists(), "nothing written for {extra:?}");
    };
    refuse(
        &["--name", "Foo_Bar"],
        "--name Foo_Bar",
        "lowercase letters",
    );
    refuse(&["--name", "a-"], "--name a-", "starting and ending");
    let long = "a".repeat(60);
    refuse(&["--name", &long], "--name", "63");
    refuse(
        &["--run-dir", "/data/runs/x"],
        "--run-dir /data/runs/x",
        "under --mount /mnt/vol",
    );
    let relative = on("vol", &[]);
    let relative: Vec<&str> = relative.iter().map(String::as_str).collect();
    common::refuses(&relative, "--mount vol", "absolute");
    for shards in ["0", "100001", "1e9", "-1"] {
        let r = common::radaudit(k8s(&["--shards", shards]));
        assert_eq!(r.code, 2, "--shards {shards}: {}", r.stderr);
        assert!(r.stderr.contains("--shards"), "{}", r.stderr);
    }

    let r = common::radaudit(k8s(&["--bin", "/opt/radaudit/bin/radaudit"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("exec /opt/radaudit/bin/radaudit merge '/mnt/vol/runs/audit'"),
        "the run folder follows --mount: {text}"
    );
    assert!(text.contains(
        "exec /opt/radaudit/bin/radaudit audit '/mnt/vol/p.yaml' --out '/mnt/vol/runs/audit'"
    ));
}

/// `--only-missing` without `--submit` writes an array of the missing shards only, and
/// `--bin` is the binary the nodes run.
#[test]
fn slurm_only_missing_writes_the_missing_shards_and_bin_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let protocol = audit_common::reduced_protocol(dir.path(), 4, "missing");
    let run = dir.path().join("run");
    let slurm = |extra: &[&str]| {
        let mut args = vec!["slurm", s(&protocol), "--out", s(&run), "--shards", "4"];
        args.extend_from_slice(extra);
        let r = common::radaudit(args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let script = std::fs::read_to_string(run.join("slurm/shards.sbatch")).unwrap();
        (r, script)
    };
    let (_, script) = slurm(&["--bin", "/shared/bin/radaudit"]);
    assert!(script.contains("#SBATCH --array=0-3\n"), "{script}");
    assert!(
        script.contains("exec '/shared/bin/radaudit' audit"),
        "{script}"
    );
    shard(&protocol, &run, "1/4");
    shard(&protocol, &run, "2/4");
    let (r, script) = slurm(&["--only-missing"]);
    assert!(script.contains("#SBATCH --array=0,3\n"), "{script}");
    assert!(r.stderr.contains("(array 0,3)"), "{}", r.stderr);
    shard(&protocol, &run, "0/4");
    shard(&protocol, &run, "3/4");
    let (r, _) = slurm(&["--only-missing"]);
    assert!(
        r.stderr.contains("no shard of 4 is missing"),
        "{}",
        r.stderr
    );
}
