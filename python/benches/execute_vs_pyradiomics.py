"""Benchmark (issue 22): radaudit's RadiomicsFeatureExtractor.execute against PyRadiomics 3.1's
from Python, side by side in one process, alternating, on PyRadiomics' lung2 and brain1 cases
(default settings: Original image, 107 features); then radaudit.extract_batch over the five
test cases on 2 threads against PyRadiomics over them one after another (it has no batch
mode). Run in the peers' venv with the wheel installed:

    python python/benches/execute_vs_pyradiomics.py [ROUNDS] [--reference DIR] [--synth DIR]

The synthetic 200k-voxel case is ../shared/peers/make_synth.py's (written to --synth,
target/synth by default, when it is missing), the one benches/extract_vs_pyradiomics.sh uses.
"""

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import time

from radiomics import featureextractor as peer

import radaudit
import radaudit.featureextractor as ours

CASES = ["brain1", "brain2", "breast1", "lung1", "lung2"]


def main():
    import logging

    # PyRadiomics logs a GLCM note per image at INFO and above; quiet it.
    logging.getLogger("radiomics").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser()
    parser.add_argument("rounds", nargs="?", type=int, default=5)
    default = os.environ.get("RADAUDIT_REFERENCE") or str(
        pathlib.Path(__file__).resolve().parents[3] / "shared" / "reference"
    )
    parser.add_argument("--reference", default=default)
    root = pathlib.Path(__file__).resolve().parents[2]
    parser.add_argument("--synth", default=str(root / "target" / "synth"))
    args = parser.parse_args()
    data = pathlib.Path(args.reference) / "pyradiomics" / "data"
    synth = pathlib.Path(args.synth)
    if not (synth / "big_image.nrrd").is_file():
        make = pathlib.Path(args.reference).parent / "peers" / "make_synth.py"
        subprocess.run([sys.executable, str(make), "--out", str(synth)], check=True)
    cases = {c: (str(data / f"{c}_image.nrrd"), str(data / f"{c}_label.nrrd")) for c in ("lung2", "brain1")}
    cases["synthetic 200k voxels"] = (str(synth / "big_image.nrrd"), str(synth / "big_mask.nrrd"))
    for case, (image, mask) in cases.items():
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
        radaudit.extract_batch(table, n_jobs=2, progress=False)
        t_mine.append(time.perf_counter() - start)
    a, b = statistics.median(t_theirs), statistics.median(t_mine)
    print(f"5 test cases: PyRadiomics one by one {a:.3f} s, extract_batch on 2 threads {b:.3f} s: {a / b:.1f}x")


if __name__ == "__main__":
    main()
