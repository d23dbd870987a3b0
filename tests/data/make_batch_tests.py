"""Makes the scipy reference for radaudit's batch-effect tests (tests/stats_batch.rs).

Run with the peers venv (../shared/peers/setup.sh):
    ~/.cache/radaudit-peers/bin/python tests/data/make_batch_tests.py
Writes batch_tests_input.csv (feature,batch,value; values rounded to 1 dp so there are ties)
and batch_tests_scipy.csv: per feature, scipy.stats.kruskal H and p; per batch pair, the
two-sample KS statistic (scipy.stats.ks_2samp) and the asymptotic Kolmogorov p value
scipy.stats.kstwobign.sf(sqrt(n m / (n + m)) D); and Benjamini-Hochberg q values of the
Kruskal p values (scipy.stats.false_discovery_control).
"""
import csv
import itertools
import pathlib

import numpy as np
import scipy
from scipy import stats

here = pathlib.Path(__file__).parent
rng = np.random.default_rng(61001)
sizes = {"A": 30, "B": 25, "C": 40}
rows = []
for f in range(8):
    shift = {"A": 0.0, "B": 0.15 * f, "C": -0.1 * f}
    for b, n in sizes.items():
        values = np.round(rng.normal(10 + shift[b], 1 + 0.05 * f, n), 1)
        rows += [(f"f{f}", b, float(v)) for v in values]
with open(here / "batch_tests_input.csv", "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["feature", "batch", "value"])
    w.writerows(rows)

out = []
kruskal_p = []
for f in range(8):
    groups = {b: [v for (ff, bb, v) in rows if ff == f"f{f}" and bb == b] for b in sizes}
    h, p = stats.kruskal(*groups.values())
    kruskal_p.append(p)
    out.append([f"f{f}", "kruskal", "", repr(float(h)), repr(float(p))])
    for a, b in itertools.combinations(sizes, 2):
        d = stats.ks_2samp(groups[a], groups[b]).statistic
        n, m = len(groups[a]), len(groups[b])
        p = stats.kstwobign.sf(np.sqrt(n * m / (n + m)) * d)
        out.append([f"f{f}", "ks", f"{a}-{b}", repr(float(d)), repr(float(p))])
q = stats.false_discovery_control(kruskal_p, method="bh")
for f in range(8):
    out.append([f"f{f}", "bh_q_of_kruskal", "", "", repr(float(q[f]))])
with open(here / "batch_tests_scipy.csv", "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["feature", "test", "pair", "statistic", "p"])
    w.writerows(out)
print("scipy", scipy.__version__)
