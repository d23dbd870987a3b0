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
