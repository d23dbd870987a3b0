"""``radaudit.extract_batch``: the features of many cases at once, computed in parallel in Rust
with the GIL released; one row per case, PyRadiomics' columns in PyRadiomics' order."""

import os

from . import _radaudit
from .featureextractor import RadiomicsFeatureExtractor, _pyradiomics_order, _resolved_label


def _case_label(case, label, mask, label_table):
    """A case's label number; a failure names the case."""
    try:
        return _resolved_label(label, mask, label_table, f"case {case!r}: label")
    except (ValueError, FileNotFoundError) as e:
        if str(e).startswith(f"case {case!r}"):
            raise
        raise type(e)(f"case {case!r}: {e}") from None


def _progress_bar(total):
    """A callback(done, total) drawing progress: tqdm's bar (tqdm.auto, a widget in notebooks)
    when tqdm is installed, else a counter line on stderr; and a function that closes it."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        import sys

        def show(done, total):
            sys.stderr.write(f"\rradaudit: {done}/{total} cases")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()

        return show, lambda: None
    bar = tqdm(total=total, unit="case", desc="radaudit")

    def update(done, _total):
        bar.update(done - bar.n)

    return update, bar.close


def extract_batch(cases, params=None, n_jobs=-1, progress=True, label_table=None, **settings):
    """The features of every case of ``cases`` (a pandas DataFrame, or a CSV file's path, with
    columns ``case``, ``image``, ``mask`` and optionally ``label``) as a pandas DataFrame: a
    ``case`` column, then one column per feature. ``params`` and ``settings`` are
    ``RadiomicsFeatureExtractor``'s. ``n_jobs``: threads (1 to 1024), -1 for every core.
    A ``label`` may be a structure name, resolved as ``execute`` resolves it (through
    ``label_table`` or the mask's own structures). ``progress``: True draws a progress bar (tqdm's when installed), False none, or a
    callable(done, total) called as each case ends. A case that
    fails raises ValueError naming the case and radaudit's message (the others are computed
    first, so the message lists every failing case)."""
    import pandas as pd

    if isinstance(cases, (str, os.PathLike)):
        cases = pd.read_csv(cases)
    if not isinstance(cases, pd.DataFrame):
        raise ValueError("cases: a pandas DataFrame or a CSV file's path, with columns case, image, mask[, label]")
    for column in ("case", "image", "mask"):
        if column not in cases.columns:
            raise ValueError(f"cases: no column {column!r} (need case, image, mask[, label])")
    if not isinstance(n_jobs, int) or isinstance(n_jobs, bool) or not (n_jobs == -1 or 1 <= n_jobs <= 1024):
        raise ValueError(f"n_jobs {n_jobs!r}: -1 (every core) or a number of threads from 1 to 1024")
    extractor = RadiomicsFeatureExtractor(params, **settings) if params is not None else RadiomicsFeatureExtractor(**settings)
    labels = cases["label"] if "label" in cases.columns else [None] * len(cases)
    jobs = [
        (str(image), str(mask), None if label is None or (not isinstance(label, str) and pd.isna(label))
         else _case_label(case, label, str(mask), label_table))
        for case, image, mask, label in zip(cases["case"], cases["image"], cases["mask"], labels)
    ]
    threads = None if n_jobs == -1 else int(n_jobs)
    params, order = extractor._native_params()
    close = None
    if progress is True:
        progress, close = _progress_bar(len(jobs))
    elif progress is False or progress is None:
        progress = None
    elif not callable(progress):
        raise ValueError("progress: True, False, or a callable(done, total)")
    try:
        outcomes = _radaudit.extract_batch(jobs, threads=threads, progress=progress, **params)
    finally:
        if close is not None:
            close()
    failed = [f"{case}: {error}" for case, (_, error) in zip(cases["case"], outcomes) if error]
    if failed:
        raise ValueError(f"{len(failed)} case(s) failed: " + "; ".join(failed))
    rows = []
    for case, (pairs, _) in zip(cases["case"], outcomes):
        row = {"case": case}
        row.update(_pyradiomics_order(pairs, *order))
        rows.append(row)
    return pd.DataFrame(rows)
