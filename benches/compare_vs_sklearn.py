"""The peer side of benches/compare_vs_sklearn.sh: the model-fitting work of `radaudit compare`
done with scikit-learn on the same cohort CSV. For each outcome: LASSO-logistic by nested
cross-validation (outer stratified 5-fold; inside each training fold StandardScaler and
GridSearchCV over the same 16 C values, 5 folds, log loss; liblinear), out-of-fold AUC, and
500 stratified bootstrap resamples of the ROC curve. Prints the AUCs and the seconds taken.
"""
import sys
import warnings
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

warnings.simplefilter("ignore")  # liblinear warns of slow convergence at the largest C
cohort, outcomes = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
table = pd.read_csv(cohort)
features = [c for c in table.columns if c.startswith("original_")]
x = table[features].to_numpy(float)
grid = 10.0 ** (-3.0 + 4.0 * np.arange(16) / 15.0)
rng = np.random.default_rng(1)
for outcome in outcomes:
    y = table[outcome].to_numpy(int)
    pred = np.zeros(len(y))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=1).split(x, y):
        model = GridSearchCV(
            make_pipeline(
                StandardScaler(),
                LogisticRegression(l1_ratio=1.0, solver="liblinear", intercept_scaling=1e6, tol=1e-8, max_iter=10000),
            ),
            {"logisticregression__C": grid},
            cv=StratifiedKFold(5, shuffle=True, random_state=2),
            scoring="neg_log_loss",
        )
        model.fit(x[train], y[train])
        pred[test] = model.predict_proba(x[test])[:, 1]
    auc = roc_auc_score(y, pred)
    events, others = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    spec = np.linspace(0, 1, 51)
    band = []
    for _ in range(500):
        idx = np.concatenate([rng.choice(events, len(events)), rng.choice(others, len(others))])
        fpr, tpr, _ = roc_curve(y[idx], pred[idx])
        band.append(np.interp(1 - spec, fpr, tpr))
    lo, hi = np.percentile(band, [2.5, 97.5], axis=0)
    print(f"  {outcome}: out-of-fold AUC {auc:.3f}")
print(f"  scikit-learn: {time.perf_counter() - start:.2f} s")
