"""Golden L1-penalised logistic regressions from scikit-learn, for tests/stats_logistic.rs.

Writes tests/data/lasso_golden.csv (a seeded data set: 8 features, some correlated, and a
0/1 outcome) and tests/data/lasso_golden.json (for each C: the coefficients and intercept of the
L1-penalised LogisticRegression at that C, fitted on the features standardised by
StandardScaler). The solver is liblinear with intercept_scaling=1e6, which leaves the
intercept in effect unpenalised, run to tol 1e-14: saga, the other L1 solver, stopped with
its intercept 2e-3 away from the optimum here (at C = 0.02 every coefficient is 0 and the
optimal intercept is exactly logit(mean(y)) = -0.4193735; saga gave -0.41698). Run with the peers venv (../shared/peers/setup.sh):
  ~/.cache/radaudit-peers/bin/python tests/data/make_lasso_golden.py
"""
import json
import os

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

rng = np.random.default_rng(20261126)
n, p = 300, 8
latent = rng.standard_normal((n, 3))
x = np.column_stack([
    latent[:, 0] * 2.0 + 5.0,
    latent[:, 0] * 1.5 + rng.standard_normal(n) * 0.5,
    latent[:, 1] * 10.0 - 3.0,
    latent[:, 2],
    rng.standard_normal(n) * 3.0,
    latent[:, 1] + latent[:, 2] + rng.standard_normal(n) * 0.3,
    rng.uniform(0, 1, n),
    rng.standard_normal(n),
])
logit = -0.4 + 0.9 * latent[:, 0] - 0.7 * latent[:, 1] + 0.3 * latent[:, 2]
y = (rng.uniform(0, 1, n) < 1 / (1 + np.exp(-logit))).astype(int)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "lasso_golden.csv"), "w") as f:
    f.write(",".join([f"x{j + 1}" for j in range(p)] + ["y"]) + "\n")
    for i in range(n):
        f.write(",".join([repr(float(v)) for v in x[i]] + [str(y[i])]) + "\n")

xs = StandardScaler().fit_transform(x)
fits = []
for c in [0.02, 0.05, 0.2, 1.0, 10.0]:
    m = LogisticRegression(l1_ratio=1.0, C=c, solver="liblinear", intercept_scaling=1e6, tol=1e-14, max_iter=10_000_000)
    m.fit(xs, y)
    fits.append({"C": c, "coef": [float(v) for v in m.coef_[0]], "intercept": float(m.intercept_[0]),
                 "n_iter": int(m.n_iter_[0])})
with open(os.path.join(here, "lasso_golden.json"), "w") as f:
    json.dump({"sklearn": sklearn.__version__, "solver": "liblinear, intercept_scaling 1e6, tol 1e-14",
               "standardised": "StandardScaler (ddof 0)", "fits": fits}, f, indent=1)
    f.write("\n")
print(json.dumps(fits, indent=1))
