"""Makes the pingouin reference for ICC with missing ratings (tests/stats_cli.rs).

Run with the peers venv (../shared/peers/setup.sh):
    ~/.cache/radaudit-peers/bin/python tests/data/make_icc_missing.py
Writes icc_missing_long.csv (feature,subject,rater,value: 2 features, 20 subjects, 4 raters;
feature f1 has three empty values and one absent row, so 4 subjects lack a rating) and
icc_missing_pingouin.csv: pingouin.intraclass_corr(..., nan_policy="omit") per feature at
full precision, with the number of subjects pingouin kept.
"""
import csv
import pathlib

import numpy as np
import pandas as pd
import pingouin as pg

here = pathlib.Path(__file__).parent
rng = np.random.default_rng(71001)
rows = []
for f, noise in (("f1", 1.0), ("f2", 0.3)):
    truth = rng.normal(20, 3, 20)
    for s in range(20):
        for r in range(4):
            v = round(float(truth[s] + 0.2 * r + rng.normal(0, noise)), 4)
            rows.append([f, f"s{s + 1:02d}", f"r{r + 1}", v])
# Missing ratings in f1: three empty cells and one absent row (subject s17, rater r2).
for (s, r) in ((3, 0), (8, 2), (12, 3)):
    rows[s * 4 + r][3] = ""
rows = [row for row in rows if not (row[0] == "f1" and row[1] == "s17" and row[2] == "r2")]
with open(here / "icc_missing_long.csv", "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["feature", "subject", "rater", "value"])
    w.writerows(rows)

df = pd.DataFrame(rows, columns=["feature", "subject", "rater", "value"])
df["value"] = pd.to_numeric(df["value"])
pg.options.pop("round.column.CI95", None)
out = []
for f in ("f1", "f2"):
    sub = df[df.feature == f]
    # An absent row becomes NaN once pivoted; pingouin then drops that subject.
    wide = sub.pivot(index="subject", columns="rater", values="value")
    long = wide.reset_index().melt(id_vars="subject", var_name="rater", value_name="value")
    res = pg.intraclass_corr(long, targets="subject", raters="rater", ratings="value", nan_policy="omit")
    kept = int(wide.dropna().shape[0])
    for _, r in res.iterrows():
        lo, hi = r["CI95"]
        out.append([f, r["Type"], repr(float(r["ICC"])), repr(float(r["F"])), int(r["df1"]), int(r["df2"]),
                    repr(float(r["pval"])), repr(float(lo)), repr(float(hi)), kept])
with open(here / "icc_missing_pingouin.csv", "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["feature", "pingouin_type", "icc", "f", "df1", "df2", "p", "ci_low", "ci_high", "subjects_kept"])
    w.writerows(out)
print("pingouin", pg.__version__)
