"""Writes tests/data/combat_gam_golden.json: neuroHarmonize 2.5's ComBat-GAM (harmonizationLearn
with smooth_terms) on simulated three-site data with a nonlinear age effect, the oracle of
radaudit's stats::combat smooth covariates.

neuroHarmonize chooses each feature's penalty weight by statsmodels' k-fold cross-validation
over np.logspace(0, 7, 11), on folds shuffled by a fresh, OS-seeded generator (statsmodels
0.15 ignores numpy's global seed, so harmonizationLearn's `seed` does not fix it: two runs can
pick different weights). This script records the weight each feature got, so the test can
refit with the same weights; it also records the spline knots and the penalty matrix.

neuroHarmonize pins numpy < 2, so it lives in its own venv:

    python3 -m venv ~/.cache/radaudit-peers-harmonize
    ~/.cache/radaudit-peers-harmonize/bin/pip install neuroHarmonize==2.5
    ~/.cache/radaudit-peers-harmonize/bin/python tests/data/make_combat_gam_golden.py
"""
import json
import os

import numpy as np
import pandas as pd
import statsmodels
import neuroHarmonize
from neuroHarmonize import harmonizationLearn
from statsmodels.gam.generalized_additive_model import GLMGam

chosen = []
_select = GLMGam.select_penweight_kfold


def recording_select(self, *args, **kwargs):
    alpha, res = _select(self, *args, **kwargs)
    chosen.append(float(np.asarray(alpha).ravel()[0]))
    return alpha, res


GLMGam.select_penweight_kfold = recording_select

rng = np.random.RandomState(20261128)
sites = ["A"] * 50 + ["B"] * 40 + ["C"] * 45
n = len(sites)
age = np.round(rng.uniform(40, 85, size=n), 1)
sex = rng.randint(0, 2, size=n).astype(float)
features = 6
data = np.empty((n, features))
shift = {"A": 0.0, "B": 1.5, "C": -1.0}
scale = {"A": 1.0, "B": 1.6, "C": 0.7}
for f in range(features):
    # Bone loss accelerates after 60: a nonlinear age curve, different per feature.
    curve = (f + 1) * np.where(age > 60, -((age - 60) / 10.0) ** 2, 0.0) + np.sin(age / (6.0 + f))
    for i, s in enumerate(sites):
        data[i, f] = 100 + 10 * f + curve[i] + 0.8 * sex[i] + shift[s] * (f + 1) + scale[s] * rng.normal()

covars = pd.DataFrame({"SITE": sites, "age": age, "sex": sex})
out = {
    "neuroHarmonize": neuroHarmonize.__version__ if hasattr(neuroHarmonize, "__version__") else "2.5",
    "statsmodels": statsmodels.__version__,
    "numpy": np.__version__,
    "site": sites,
    "age": age.tolist(),
    "sex": sex.tolist(),
    "data": data.T.tolist(),
    "runs": {},
}
for name, kwargs in {
    "eb": {"eb": True},
    "no_eb": {"eb": False},
    "ref_B": {"eb": True, "ref_batch": "B"},
}.items():
    chosen.clear()
    model, adjusted = harmonizationLearn(data, covars, smooth_terms=["age"], **kwargs)
    bs = model["smooth_model"]["bsplines_constructor"]
    out["runs"][name] = {
        "kwargs": kwargs,
        "alpha": list(chosen),
        "harmonized": adjusted.T.tolist(),
        "B_hat": model["B_hat"].T.tolist(),
        "knots": bs.smoothers[0].knots.tolist(),
        "cov_der2": bs.smoothers[0].cov_der2.tolist(),
        "basis_row0": bs.basis[0].tolist(),
    }

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "combat_gam_golden.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", path)
