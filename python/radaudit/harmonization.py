"""neuroCombat's ``neuroCombat`` and ``neuroCombatFromTraining``, computed by radaudit's ComBat
(Johnson, Li & Rabinovic 2007, with neuroCombat 0.2.12's arithmetic).

Where radaudit follows neuroCombat: the design (batch one-hot in sorted order, categorical
covariates one-hot without their first level, continuous covariates), the 1/n pooled variance,
ddof=1 batch variances, the priors and the parametric iteration with its 1e-4 stopping rule;
on inputs where neuroCombat is right the harmonized data and estimates agree with it to
rounding.

Where radaudit departs from neuroCombat (each a documented neuroCombat defect, see radaudit's
README):

- a feature constant for every subject keeps its value (neuroCombat sets its variance to the
  median of a boolean array and returns different constants per batch);
- a feature constant inside one batch keeps one value there (neuroCombat splits identical
  inputs by covariate);
- non-parametric EB works in log space: batches of hundreds of subjects give finite output
  (neuroCombat returns all NaN from about 500 per batch);
- continuous covariates stay float64 (neuroCombat casts them to float32), and a pandas
  ``dat`` is read as float64 (neuroCombat casts it to float32);
- a reference batch that is not among the batches, a batch of one subject, a single batch, a
  covariate confounded with batch, and a NaN in ``dat`` are ``ValueError`` naming the batch,
  covariate, feature or subject (neuroCombat drops the reference silently or returns NaN);
- ``ref_batch`` works with NumPy >= 1.24 (neuroCombat 0.2.12 calls the removed ``np.int``);
- ``neuroCombatFromTraining`` applies the covariate effects of the new subjects' own covariates
  (``covars``), where neuroCombat adds the training subjects' mean effect to everyone; a model
  with covariates therefore needs ``covars``.

``info["batch_levels"]`` holds the batch names (neuroCombat holds integer codes when
``ref_batch`` is given); ``estimates["model"]`` is radaudit's fitted model (JSON), what
``neuroCombatFromTraining`` uses.
"""

from . import _radaudit


def _column_values(covars, name, role):
    if name not in covars.columns:
        raise ValueError(f"{role} column {name!r} is not in covars")
    return covars[name]


def _covariates(covars, categorical_cols, continuous_cols):
    """(categorical, continuous) covariate lists for the native ComBat."""
    import numpy as np

    def as_list(cols):
        if cols is None:
            return []
        return list(cols) if isinstance(cols, (list, tuple)) else [cols]

    categorical = [
        (str(c), [str(v) for v in _column_values(covars, c, "categorical")])
        for c in as_list(categorical_cols)
    ]
    continuous = []
    for c in as_list(continuous_cols):
        values = _column_values(covars, c, "continuous")
        try:
            numbers = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"continuous column {c!r} holds a value that is not a number") from None
        bad = np.flatnonzero(~np.isfinite(numbers))
        if bad.size:
            raise ValueError(
                f"continuous column {c!r}, row {covars.index[bad[0]]!r}: {values.iloc[bad[0]]!r} is not a finite number"
            )
        continuous.append((str(c), numbers.tolist()))
    return categorical, continuous


def _matrix(dat):
    """``dat`` (features x subjects) as a C-contiguous float64 array, and its feature and
    subject names (a DataFrame's index and columns, else positions)."""
    import numpy as np
    import pandas as pd

    if isinstance(dat, pd.DataFrame):
        features = [str(v) for v in dat.index]
        subjects = [str(v) for v in dat.columns]
        array = dat.to_numpy(dtype=np.float64)
    else:
        try:
            array = np.asarray(dat, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError("dat must be a numeric features x subjects array") from None
        if array.ndim != 2:
            raise ValueError(f"dat must be a 2-D features x subjects array, not {array.ndim}-D")
        # Named by row and column index, as numpy indexes dat.
        features = [str(i) for i in range(array.shape[0])]
        subjects = [str(i) for i in range(array.shape[1])]
    if 0 in array.shape:
        raise ValueError(f"dat has {array.shape[0]} features and {array.shape[1]} subjects: nothing to harmonize")
    return np.ascontiguousarray(array), features, subjects


def neuroCombat(dat, covars, batch_col, categorical_cols=None, continuous_cols=None, eb=True,
                parametric=True, mean_only=False, ref_batch=None):
    """neuroCombat.neuroCombat: ``dat`` features x subjects (numpy array or DataFrame),
    ``covars`` a DataFrame with one row per subject. Returns neuroCombat's dict: ``data`` (the
    harmonized array, features x subjects), ``estimates`` and ``info``, with neuroCombat's
    keys. See the module's docstring for where it departs from neuroCombat."""
    import numpy as np
    import pandas as pd

    if not isinstance(covars, pd.DataFrame):
        raise ValueError("covars must be a pandas DataFrame")
    array, features, subjects = _matrix(dat)
    if array.shape[1] != len(covars):
        raise ValueError(f"dat has {array.shape[1]} subjects (columns), covars {len(covars)} rows")
    if not isinstance(dat, pd.DataFrame):
        subjects = [str(v) for v in covars.index]
    batch = [str(v) for v in _column_values(covars, batch_col, "batch")]
    categorical, continuous = _covariates(covars, categorical_cols, continuous_cols)
    out = _radaudit.combat(array.tobytes(), features, subjects, batch, categorical, continuous,
                           eb=bool(eb), parametric=bool(parametric), mean_only=bool(mean_only),
                           ref_batch=None if ref_batch is None else str(ref_batch))
    nf, n = array.shape
    batches = np.array(out["batches"])
    nb = len(batches)

    def grid(key, rows, cols):
        # A bytearray: the array is writable and shares its memory (no copy).
        return np.frombuffer(out[key], dtype=np.float64).reshape(rows, cols)

    stand_mean = np.repeat(np.array(out["stand_mean"]).reshape(nf, 1), n, axis=1)
    priors = out["priors"]
    prior = lambda k: np.array([np.nan if p is None or p[k] is None else p[k] for p in priors])
    estimates = {
        "gamma_hat": np.array(out["gamma_hat"]),
        "delta_hat": np.array(out["delta_hat"]),
        "gamma_bar": prior(0),
        "t2": prior(1),
        "a_prior": None if mean_only else prior(2),
        "b_prior": None if mean_only else prior(3),
        "batches": batches,
        "var.pooled": np.array(out["var_pooled"]).reshape(nf, 1),
        "stand.mean": stand_mean,
        "mod.mean": grid("mod_mean", nf, n),
        "gamma.star": np.array(out["gamma_star"]),
        "delta.star": np.array(out["delta_star"]),
        "model": out["model"],
        "notes": list(out["notes"]),
    }
    batch_info = [[i for i, b in enumerate(batch) if b == level] for level in batches]
    info = {
        "batch_levels": batches,
        "ref_level": out["ref_level"],
        "n_batch": nb,
        "n_sample": n,
        "sample_per_batch": np.array(out["batch_sizes"], dtype=int),
        "batch_info": batch_info,
        "design": grid("design", n, len(out["design_columns"])),
        "design_columns": list(out["design_columns"]),
    }
    return {"data": grid("harmonized", nf, n), "estimates": estimates, "info": info}


def neuroCombatFromTraining(dat, batch, estimates, covars=None, categorical_cols=None,
                            continuous_cols=None):
    """neuroCombat.neuroCombatFromTraining: harmonizes new subjects (``dat`` features x
    subjects, features as in the training data) of batches seen in training with the
    ``estimates`` of ``neuroCombat``. Where the model preserves covariates, give the new
    subjects' ``covars`` and the same column lists as at the fit: their own covariate effects
    are used (neuroCombat adds the training mean effect instead)."""
    import numpy as np

    if not isinstance(estimates, dict) or "model" not in estimates:
        raise ValueError("estimates must be the 'estimates' of radaudit.harmonization.neuroCombat")
    array, _, subjects = _matrix(dat)
    batch = [str(v) for v in np.asarray(batch, dtype=object).ravel()]
    if len(batch) != array.shape[1]:
        raise ValueError(f"dat has {array.shape[1]} subjects (columns), batch {len(batch)} values")
    if covars is None:
        if categorical_cols or continuous_cols:
            raise ValueError("categorical_cols and continuous_cols need covars")
        categorical, continuous = [], []
    else:
        if len(covars) != array.shape[1]:
            raise ValueError(f"dat has {array.shape[1]} subjects (columns), covars {len(covars)} rows")
        categorical, continuous = _covariates(covars, categorical_cols, continuous_cols)
    data = _radaudit.combat_apply(estimates["model"], array.tobytes(), subjects, batch, categorical,
                                  continuous)
    harmonized = np.frombuffer(data, dtype=np.float64).reshape(array.shape)
    return {"data": harmonized, "estimates": estimates}
