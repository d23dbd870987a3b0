"""Reads an audit's features.parquet with pandas (pyarrow engine) and polars and checks it
against features.csv: the same columns, every one text but `value` (64-bit float), the same
rows and values. Usage: python read_parquet.py RUN_DIR. Prints `ok` and the row count."""
import math
import sys

import pandas as pd
import polars as pl

run = sys.argv[1]
csv = pd.read_csv(f"{run}/features.csv", dtype=str, keep_default_na=False)
for name, frame in [
    ("pandas", pd.read_parquet(f"{run}/features.parquet", engine="pyarrow")),
    ("polars", pl.read_parquet(f"{run}/features.parquet").to_pandas()),
]:
    assert list(frame.columns) == list(csv.columns), (name, list(frame.columns))
    assert len(frame) == len(csv), (name, len(frame), len(csv))
    assert str(frame["value"].dtype) == "float64", (name, frame["value"].dtype)
    for column in csv.columns:
        if column == "value":
            continue
        assert frame[column].map(type).eq(str).all(), (name, column)
        assert (frame[column].fillna("") == csv[column]).all(), (name, column)
    for got, want in zip(frame["value"], csv["value"]):
        assert (math.isnan(got) and want == "nan") or got == float(want), (name, got, want)
print("ok", len(csv))
