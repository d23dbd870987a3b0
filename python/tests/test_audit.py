"""radaudit.audit: the robustness audit from Python runs the job `radaudit audit` runs (the
same stability table, byte for byte, as the command line on the same protocol), returns the
summary and the report, and refuses bad input with radaudit's message."""

import json
import os
import pathlib
import subprocess

import pytest

import radaudit

ROOT = pathlib.Path(__file__).resolve().parents[2]


def reduced_protocol(folder):
    """tests/suite/audit_common's reduced protocol: 3 small phantoms, two axes, ComBat."""
    spec = ROOT / "tests" / "data" / "small_vertebra.yaml"
    text = f"""name: "python"
seed: 5
cases:
  synthetic_vertebra:
    count: 3
    vbmd: [60, 240]
    spec: {spec}
features:
  params:
    setting:
      binWidth: 25
perturbations:
  - axis: scanner
    levels: ["scanner:smooth", "scanner:sharp"]
  - axis: segmentation
    levels: ["volume:fraction=0.9"]
stability:
  acceptance:
    metric: icc1_ci_low
    threshold: 0.75
    required_features: [original_firstorder_Mean]
harmonization:
  axis: scanner
  covariates: [vbmd]
"""
    path = folder / "reduced.yaml"
    path.write_text(text)
    return path


def test_audit_runs_the_command_lines_job(tmp_path):
    protocol = reduced_protocol(tmp_path)
    out = radaudit.audit(protocol, out=tmp_path / "py", threads=2)
    run_dir = pathlib.Path(out["run_dir"])
    assert out["summary"] == json.loads((run_dir / "summary.json").read_text())
    assert isinstance(out["passed"], bool)
    assert out["report"] is not None and pathlib.Path(out["report"]).read_text().startswith("<!DOCTYPE html>")
    binary = ROOT / "target" / "release" / "radaudit"
    if not binary.is_file():
        pytest.skip(f"{binary} is not built: the comparison with the command line needs it")
    subprocess.run([str(binary), "audit", str(protocol), "--out", str(tmp_path / "cli"), "--threads", "1"],
                   capture_output=True, check=False)
    for table in ("stability.csv", "harmonized_stability.csv"):
        assert (run_dir / table).read_bytes() == (tmp_path / "cli" / table).read_bytes(), table


def test_audit_refuses_bad_input(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.yaml"):
        radaudit.audit(tmp_path / "missing.yaml", out=tmp_path / "a")
    bad = tmp_path / "bad.yaml"
    bad.write_text(reduced_protocol(tmp_path).read_text().replace("seed: 5", "seed: 5\ncolour: red"))
    with pytest.raises(ValueError, match="colour"):
        radaudit.audit(bad, out=tmp_path / "b")
    for threads in (0, 2000, 1.5, True):
        with pytest.raises(ValueError, match="threads"):
            radaudit.audit(reduced_protocol(tmp_path), out=tmp_path / "c", threads=threads)
