"""Statistics benchmark, radaudit side by side with its peers on the same input, one run.

ComBat: 1000 features x 5000 subjects x 10 batches of 500, covariates age (continuous) and
sex (categorical), generated as PROVENANCE.md's big timing case describes (seed 41001). Times
the neuroCombat() call alone and radaudit's combat::fit alone (examples/combat_timing, no CSV
I/O), alternating rounds; also the whole `radaudit harmonize` process (CSV in and out), the
largest difference between the two outputs in pooled SDs, and the non-parametric run (finite
output). neuroCombat's non-parametric run (about 90 s, all NaN) only with PEER_NONPARAMETRIC=1.

ICC: 1000 features x 200 subjects x 30 raters. Times radaudit's six ICCs for all features
(examples/icc_timing, library call), the whole `radaudit icc` process on the 6-million-row
long CSV, and pingouin.intraclass_corr over the same features.

Usage: bash benches/stats_vs_peers.sh
"""
import json
import os
import pathlib
import subprocess
import sys
import time

import numpy as np
import pandas as pd

root = pathlib.Path(__file__).resolve().parent.parent
work = pathlib.Path(os.environ.get("BENCH_DIR", root / "target" / "bench"))
work.mkdir(parents=True, exist_ok=True)
rounds = int(os.environ.get("ROUNDS", "3"))
release = root / "target" / "release"


def make_combat_case(path):
    rng = np.random.default_rng(41001)
    n_feat, n_batch, per = 1000, 10, 500
    n = n_batch * per
    batch = np.repeat([f"site{b:02d}" for b in range(n_batch)], per)
    age = rng.integers(20, 81, n)
    sex = rng.integers(0, 2, n)
    m_b = rng.normal(0, 0.5, n_batch)
    l_b = rng.normal(0, 0.2, n_batch)
    mu = np.exp(rng.uniform(0, 7, n_feat))
    sigma = mu * rng.uniform(0.05, 0.3, n_feat)
    age_slope = sigma * rng.normal(0, 0.03, n_feat)
    sex_eff = sigma * rng.normal(0, 0.5, n_feat)
    add = sigma[:, None] * rng.normal(m_b[None, :], 0.3, (n_feat, n_batch))
    mult = np.exp(rng.normal(l_b[None, :], 0.15, (n_feat, n_batch)))
    b_idx = np.repeat(np.arange(n_batch), per)
    eps = rng.normal(0, 1, (n_feat, n))
    dat = (mu[:, None] + age_slope[:, None] * (age[None, :] - 50) + sex_eff[:, None] * sex[None, :]
           + add[:, b_idx] + sigma[:, None] * mult[:, b_idx] * eps)
    dat = np.round(dat, 6)
    covars = pd.DataFrame({"subject": [f"s{i:04d}" for i in range(n)], "batch": batch, "age": age, "sex": sex})
    wide = pd.concat([covars, pd.DataFrame(dat.T, columns=[f"f{f:04d}" for f in range(n_feat)])], axis=1)
    wide.to_csv(path, index=False, float_format="%.6f")
    return dat, covars


def run_ours_combat(path, extra):
    out = subprocess.run([str(release / "examples" / "combat_timing"), str(path), "1", *extra],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def combat_bench():
    from neuroCombat import neuroCombat
    path = work / "combat_big.csv"
    dat, covars = make_combat_case(path)
    kw = dict(covars=covars[["batch", "age", "sex"]], batch_col="batch", categorical_cols=["sex"],
              continuous_cols=["age"])
    peer, ours = [], []
    peer_out = None
    for r in range(rounds):
        t = time.perf_counter()
        res = neuroCombat(dat=dat.copy(), **kw)
        peer.append(time.perf_counter() - t)
        peer_out = res
        ours.append(run_ours_combat(path, [])["seconds"])
        print(f"combat round {r}: neuroCombat {peer[-1]:.3f} s, radaudit {ours[-1]:.4f} s", flush=True)
    ours_out = work / "combat_ours.csv"
    run_ours_combat(path, ["--out", str(ours_out)])
    mine = np.loadtxt(ours_out, delimiter=",")
    sd = np.sqrt(peer_out["estimates"]["var.pooled"]).reshape(-1, 1)
    worst = float(np.max(np.abs(mine - peer_out["data"]) / sd))
    t = time.perf_counter()
    subprocess.run([str(release / "radaudit"), "harmonize", "--input", str(path), "--batch", "batch", "--id", "subject",
                    "--covariates", "age,sex", "--categorical", "sex", "--out", str(work / "combat_cli.csv")],
                   check=True, capture_output=True)
    cli = time.perf_counter() - t
    np_ours = run_ours_combat(path, ["--nonparametric"])
    result = {
        "neuroCombat_parametric_s": peer, "radaudit_parametric_fit_s": ours,
        "ratio_median": float(np.median(peer) / np.median(ours)),
        "max_abs_diff_in_pooled_sd": worst, "radaudit_harmonize_cli_s": cli,
        "radaudit_nonparametric_fit_s": np_ours["seconds"], "radaudit_nonparametric_non_finite": np_ours["non_finite"],
    }
    if os.environ.get("PEER_NONPARAMETRIC") == "1":
        t = time.perf_counter()
        res = neuroCombat(dat=dat.copy(), parametric=False, **kw)
        result["neuroCombat_nonparametric_s"] = time.perf_counter() - t
        result["neuroCombat_nonparametric_nan"] = int(np.isnan(res["data"]).sum())
    return result


def icc_bench():
    import pingouin as pg
    rng = np.random.default_rng(42002)
    n_feat, n_subj, n_rat = 1000, 200, 30
    truth = rng.normal(0, 1, (n_feat, n_subj, 1))
    bias = rng.normal(0, 0.2, (n_feat, 1, n_rat))
    noise = rng.uniform(0.1, 1.5, (n_feat, 1, 1)) * rng.normal(0, 1, (n_feat, n_subj, n_rat))
    values = np.round(10 + truth + bias + noise, 6)
    path = work / "icc_long.csv"
    f_idx, s_idx, r_idx = np.meshgrid(np.arange(n_feat), np.arange(n_subj), np.arange(n_rat), indexing="ij")
    long = pd.DataFrame({"feature": np.char.add("f", f_idx.ravel().astype("U4")),
                         "subject": np.char.add("s", s_idx.ravel().astype("U3")),
                         "rater": np.char.add("r", r_idx.ravel().astype("U2")),
                         "value": values.ravel()})
    long.to_csv(path, index=False, float_format="%.6f")
    ours = []
    for r in range(rounds):
        out = subprocess.run([str(release / "examples" / "icc_timing"), str(path), "1"], check=True,
                             capture_output=True, text=True).stdout
        ours.append(json.loads(out.strip().splitlines()[-1])["seconds"])
    t = time.perf_counter()
    subprocess.run([str(release / "radaudit"), "icc", "--input", str(path), "--feature", "feature", "--subject",
                    "subject", "--rater", "rater", "--value", "value", "--out", str(work / "icc_out.csv")],
                   check=True, capture_output=True)
    cli = time.perf_counter() - t
    t = time.perf_counter()
    first = None
    for f, group in long.groupby("feature", sort=False):
        res = pg.intraclass_corr(group, targets="subject", raters="rater", ratings="value")
        if first is None:
            first = (f, float(res["ICC"].iloc[1]))
    peer = time.perf_counter() - t
    mine = pd.read_csv(work / "icc_out.csv")
    icc2 = float(mine[(mine.feature == first[0]) & (mine.type == "ICC2")].icc.iloc[0])
    return {"radaudit_icc_library_s": ours, "radaudit_icc_cli_s": cli, "pingouin_all_features_s": peer,
            "ratio_library_vs_pingouin": peer / float(np.median(ours)),
            "first_feature_icc2_pingouin_vs_radaudit": [first[1], icc2]}


if __name__ == "__main__":
    which = sys.argv[1:] or ["combat", "icc"]
    report = {"threads": os.environ.get("RAYON_NUM_THREADS", "all"), "rounds": rounds}
    if "combat" in which:
        report["combat"] = combat_bench()
    if "icc" in which:
        report["icc"] = icc_bench()
    print(json.dumps(report, indent=2))
