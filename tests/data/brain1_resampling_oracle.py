#!/usr/bin/env python
"""Writes tests/data/brain1_resampling_pyradiomics.csv: PyRadiomics 3.1's own features of the
brain1 test case under the settings of its baseline column brain1_resampling
(tests/data/brain1_resampling.yaml), as `feature,value` with full double precision.

PyRadiomics' published baseline for that column was made by an older PyRadiomics and differs
from 3.1 by up to 9e-4 in shape; this oracle is what 3.1 itself gives, so radaudit can be held
to 1e-6 on it.

Usage (with the peers of ../shared/peers/setup.sh):
  ~/.cache/radaudit-peers/bin/python tests/data/brain1_resampling_oracle.py [REFERENCE_DIR]
"""
import csv
import os
import sys

import numpy as np
import radiomics
from radiomics import featureextractor

here = os.path.dirname(os.path.abspath(__file__))
reference = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "../../../shared/reference")
data = os.path.join(reference, "pyradiomics", "data")
radiomics.setVerbosity(40)
extractor = featureextractor.RadiomicsFeatureExtractor(os.path.join(here, "brain1_resampling.yaml"))
result = extractor.execute(os.path.join(data, "brain1_image.nrrd"), os.path.join(data, "brain1_label.nrrd"))
rows = []
for name, value in result.items():
    if name.startswith("diagnostics_"):
        continue
    if isinstance(value, np.ndarray):
        value = value.item()
    rows.append((name, repr(float(value))))
with open(os.path.join(here, "brain1_resampling_pyradiomics.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["feature", "value"])
    w.writerows(rows)
print(f"{len(rows)} features, PyRadiomics {radiomics.__version__}")
