"""Benchmark (issue 22): radaudit's RadiomicsFeatureExtractor.execute against PyRadiomics 3.1's
from Python, side by side in one process, alternating, on PyRadiomics' lung2 case (default
settings: Original image, 107 features). Run in the peers' venv with the wheel installed:

    python python/benches/execute_vs_pyradiomics.py [ROUNDS] [--reference DIR]
"""

import argparse
import os
import pathlib
import statistics
import time

from radiomics import featureextractor as peer

import radaudit.featureextractor as ours


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


if __name__ == "__main__":
    main()
