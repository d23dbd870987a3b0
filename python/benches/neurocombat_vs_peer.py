"""Benchmark (issue 22): radaudit.harmonization.neuroCombat against neuroCombat 0.2.12, side
by side in one process, alternating, on the size of PROVENANCE.md's timing case: 1000 features
x 5000 subjects x 10 batches of 500, covariates age (continuous) and sex (categorical),
parametric EB; additive and multiplicative batch effects. Reports each call's median wall
time, the ratio, and the largest difference of the harmonized data in pooled SDs. Run in the
peers' venv with the wheel installed:

    python python/benches/neurocombat_vs_peer.py [ROUNDS] [--threads N]
"""

import argparse
import contextlib
import io
import os
import statistics
import time

import numpy as np
import pandas as pd


def cohort(features=1000, subjects=5000, batches=10, seed=41001):
    rng = np.random.default_rng(seed)
    batch = np.repeat([f"site{b:02d}" for b in range(batches)], subjects // batches)
    age = rng.integers(20, 80, subjects)
    sex = rng.integers(0, 2, subjects)
    mu = np.exp(rng.uniform(0, 7, features))[:, None]
    sigma = mu * rng.uniform(0.05, 0.3, features)[:, None]
    codes = np.unique(batch, return_inverse=True)[1]
    shift = rng.normal(0, 0.5, (features, batches))[:, codes]
    scale = np.exp(rng.normal(0, 0.2, (features, batches)))[:, codes]
    biology = sigma * (0.01 * (age - 50) + 0.3 * sex)
    dat = mu + biology + sigma * (shift + scale * rng.standard_normal((features, subjects)))
    covars = pd.DataFrame({"batch": batch, "age": age, "sex": sex})
    return dat, covars


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("rounds", nargs="?", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None,
                        help="RAYON_NUM_THREADS for radaudit (default: every core)")
    args = parser.parse_args()
    if args.threads:
        os.environ["RAYON_NUM_THREADS"] = str(args.threads)
    from neuroCombat import neuroCombat as peer

    from radaudit.harmonization import neuroCombat as ours

    dat, covars = cohort()
    theirs_t, ours_t = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            theirs = peer(dat, covars, "batch", ["sex"], ["age"])
        theirs_t.append(time.perf_counter() - start)
        start = time.perf_counter()
        mine = ours(dat, covars, "batch", ["sex"], ["age"])
        ours_t.append(time.perf_counter() - start)
    sd = np.sqrt(mine["estimates"]["var.pooled"])
    worst = np.max(np.abs(mine["data"] - theirs["data"]) / sd)
    a, b = statistics.median(theirs_t), statistics.median(ours_t)
    print(f"neuroCombat, {dat.shape[0]} features x {dat.shape[1]} subjects x 10 batches, "
          f"{args.rounds} alternating rounds (medians), radaudit on "
          f"{os.environ.get('RAYON_NUM_THREADS', 'every')} thread(s):")
    print(f"  neuroCombat 0.2.12 {a:.3f} s, radaudit {b:.3f} s -> {a / b:.1f}x faster; "
          f"largest difference {worst:.1e} pooled SD")


if __name__ == "__main__":
    main()
