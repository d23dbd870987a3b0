"""Writes tests/data/anderson_ksamp_golden.json: scipy.stats.anderson_ksamp (midrank, the
k-sample Anderson-Darling test of Scholz & Stephens 1987) on sample sets with and without ties,
the oracle of radaudit's stats::anderson_darling. Run in the peers' venv of
../shared/peers/setup.sh (scipy):

    python tests/data/make_anderson_ksamp.py
"""
import json
import os
import warnings

import numpy as np
import scipy
from scipy.stats import anderson_ksamp

rng = np.random.RandomState(20261128)
sets = {
    "two_no_ties": [[1.0, 2.0, 3.0, 4.0, 5.0], [2.5, 3.5, 6.0, 7.0, 8.0, 9.0]],
    "three_integer_ties": [list(map(float, rng.randint(0, 6, size=n))) for n in (12, 9, 15)],
    "four_shifted_rounded": [
        list(np.round(rng.normal(loc=mu, size=n), 1)) for mu, n in ((0, 20), (0.3, 35), (0.6, 50), (0, 15))
    ],
    "five_equal": [list(rng.normal(size=n)) for n in (30, 30, 30, 30, 30)],
    "two_far_apart": [list(rng.normal(size=40)), list(rng.normal(loc=3.0, size=40))],
}
out = {"scipy": scipy.__version__, "sets": {}}
for name, groups in sets.items():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = anderson_ksamp([np.asarray(g) for g in groups])
    out["sets"][name] = {
        "groups": [[float(v) for v in g] for g in groups],
        "statistic_standardized": float(r.statistic),
        "critical_5": float(r.critical_values[2]),
    }
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "anderson_ksamp_golden.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", path)
