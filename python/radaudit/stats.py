"""pingouin's ``intraclass_corr``, computed by radaudit (Shrout & Fleiss 1979; McGraw & Wong
1996): the six forms, F tests and 95% confidence intervals, in pingouin 0.7's frame."""

from . import _radaudit

# pingouin 0.7's names of the forms radaudit returns as ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k.
_TYPES = {
    "ICC1": "ICC(1,1)",
    "ICC2": "ICC(A,1)",
    "ICC3": "ICC(C,1)",
    "ICC1k": "ICC(1,k)",
    "ICC2k": "ICC(A,k)",
    "ICC3k": "ICC(C,k)",
}


def intraclass_corr(data, targets, raters, ratings, nan_policy="raise"):
    """pingouin.intraclass_corr: ``data`` a long pandas DataFrame, one rating per row. Returns
    pingouin 0.7's DataFrame (Type, ICC, F, df1, df2, pval, CI95). With
    ``nan_policy="omit"`` the targets with a missing rating are dropped (pingouin's
    listwise deletion); with "raise" a missing rating is a ValueError."""
    import numpy as np
    import pandas as pd

    if nan_policy not in ("raise", "omit"):
        raise ValueError(f"nan_policy {nan_policy!r}: 'raise' or 'omit'")
    for column in (targets, raters, ratings):
        if column not in data.columns:
            raise ValueError(f"column {column!r} is not in the data")
    wide = data.pivot_table(index=targets, columns=raters, values=ratings, dropna=False, aggfunc="first")
    if wide.isna().to_numpy().any():
        if nan_policy == "raise":
            raise ValueError("the ratings hold missing values; use nan_policy='omit'")
        wide = wide.dropna(axis=0, how="any")
    table = wide.to_numpy(dtype=float).tolist()
    rows = _radaudit.icc(table)
    frame = pd.DataFrame(
        {
            "Type": [_TYPES[name] for name, _ in rows],
            "ICC": [v[0] for _, v in rows],
            "F": [v[1] for _, v in rows],
            "df1": [int(round(v[2])) for _, v in rows],
            "df2": [int(round(v[3])) for _, v in rows],
            "pval": [v[4] for _, v in rows],
            "CI95": [np.round(np.array([v[5], v[6]]), 2) for _, v in rows],
        }
    )
    return frame


def roc(y_true, y_score, y_score2=None):
    """The AUC of ``y_score`` for ``y_true`` (1/True: a case; a higher score means a case, pROC's
    direction "<") with DeLong's variance and 95% CI, as pROC computes them (DeLong, DeLong &
    Clarke-Pearson 1988): a dict ``auc``, ``variance``, ``ci95``. With ``y_score2`` (a second
    score on the same subjects), also DeLong's paired test, pROC's ``roc.test``: a dict
    ``paired`` with ``auc2``, ``covariance``, ``difference``, ``z``, ``p`` (two-sided),
    ``p_greater``, ``p_less`` and ``ci95`` of the difference. Missing values are a ValueError."""
    import math

    labels = [_label_value(v) for v in y_true]
    scores = [float(v) for v in y_score]
    if len(scores) != len(labels):
        raise ValueError(f"y_score has {len(scores)} values for {len(labels)} labels")
    if any(math.isnan(v) for v in scores):
        raise ValueError("y_score holds a missing value")
    auc, variance, low, high = _radaudit.roc_auc(scores, labels)
    out = {"auc": auc, "variance": variance, "ci95": (low, high)}
    if y_score2 is not None:
        second = [float(v) for v in y_score2]
        if len(second) != len(labels):
            raise ValueError(f"y_score2 has {len(second)} values for {len(labels)} labels")
        if any(math.isnan(v) for v in second):
            raise ValueError("y_score2 holds a missing value")
        t = _radaudit.roc_paired(scores, second, labels)
        out["paired"] = {
            "auc2": t[1],
            "covariance": t[2],
            "difference": t[3],
            "z": t[4],
            "p": t[5],
            "p_greater": t[6],
            "p_less": t[7],
            "ci95": (t[8], t[9]),
        }
    return out


def _label_value(v):
    """A class label as a bool: 1/True a case, 0/False a control; anything else is refused."""
    if isinstance(v, bool):
        return v
    try:
        number = float(v)
    except (TypeError, ValueError):
        number = None
    if number == 1.0:
        return True
    if number == 0.0:
        return False
    raise ValueError(f"y_true holds {v!r}: labels are 0/1 or False/True")
