"""Benchmark (issue 22): radaudit's RadiomicsFeatureExtractor.execute against PyRadiomics 3.1's
from Python, side by side in one process, alternating, on PyRadiomics' lung2 and brain1 cases
(default settings: Original image, 107 features); then radaudit.extract_batch over the five
test cases on 2 threads against PyRadiomics over them one after another (it has no batch
mode). Run in the peers' venv with the wheel installed:

    python python/benches/execute_vs_pyradiomics.py [ROUNDS] [--reference DIR]
"""

import argparse
import os
import pathlib
import statistics
import time

from radiomics import featureextractor as peer

import radaudit
import radaudit.featureextractor as ours

CASES = ["brain1", "brain2", "breast1", "lung1", "lung2"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("rounds", nargs="?", type=int, default=5)
    default = os.environ.get("RADAUDIT_REFERENCE") or str(
        pathlib.Path(__file__).resolve().parents[3] / "shared" / "reference"
    )
    parser.add_argument("--reference", default=default)
    args = parser.parse_args()
    data = pathlib.Path(args.reference) / "pyradiomics" / "data"
    for case in ("lung2", "brain1"):
        image, mask = str(data / f"{case}_image.nrrd"), str(data / f"{case}_label.nrrd")
        theirs, mine = peer.RadiomicsFeatureExtractor(), ours.RadiomicsFeatureExtractor()
        t_theirs, t_mine = [], []
        for _ in range(args.rounds):
            start = time.perf_counter()
            theirs.execute(image, mask)
            t_theirs.append(time.perf_counter() - start)
            start = time.perf_counter()
            mine.execute(image, mask)
            t_mine.append(time.perf_counter() - start)
        a, b = statistics.median(t_theirs), statistics.median(t_mine)
        print(f"{case}: PyRadiomics {a:.3f} s, radaudit {b:.3f} s: {a / b:.1f}x (medians of {args.rounds})")
    import pandas as pd

    table = pd.DataFrame(
        [{"case": c, "image": str(data / f"{c}_image.nrrd"), "mask": str(data / f"{c}_label.nrrd")} for c in CASES]
    )
    extractor = peer.RadiomicsFeatureExtractor()
    t_theirs, t_mine = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        for image, mask in zip(table["image"], table["mask"]):
            extractor.execute(image, mask)
        t_theirs.append(time.perf_counter() - start)
        start = time.perf_counter()
        radaudit.extract_batch(table, n_jobs=2)
        t_mine.append(time.perf_counter() - start)
    a, b = statistics.median(t_theirs), statistics.median(t_mine)
    print(f"5 test cases: PyRadiomics one by one {a:.3f} s, extract_batch on 2 threads {b:.3f} s: {a / b:.1f}x")


if __name__ == "__main__":
    main()
