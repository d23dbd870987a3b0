#!/usr/bin/env python
"""Benchmark of `radaudit extract` against PyRadiomics 3.1 with every image type (Original,
Wavelet, LoG at 1 and 3 mm, Square, SquareRoot, Logarithm, Exponential, Gradient, LBP2D,
LBP3D; 1,874 features), whole process, side by side in alternating rounds,
on lung2 (512 x 512 x 61) and on the synthetic vertebra (a 20k-voxel trabecular ROI):
single-threaded (both pinned to one core, RAYON_NUM_THREADS=1 and
ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS=1) and on every core. Reports wall time, peak RSS and
their ratios, and checks that both tools' features agree (relative 1e-6).

Run with the LBP3D peer venv's python (tests/data/setup_lbp3d_peer.sh: PyRadiomics computes
LBP3D only with scipy < 1.15): benches/filters_vs_pyradiomics.sh does that. numpy runs with its
SIMD code there, so PyRadiomics' LBP3D level images differ from the portable result radaudit
reproduces in the last bit, which moves a few features that depend on ties
(RobustMeanAbsoluteDeviation by up to 0.4%): those are the disagreements it reports.
"""
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.path.join(ROOT, '..', 'shared', 'peers')
DATA = os.path.join(ROOT, '..', 'shared', 'reference', 'pyradiomics', 'data')
RAD = os.path.join(ROOT, 'target', 'release', 'radaudit')
ROUNDS = int(os.environ.get('ROUNDS', '3'))
PARAMS = {
    'imageType': {'Original': {}, 'Wavelet': {}, 'LoG': {'sigma': [1.0, 3.0]}, 'Square': {},
                  'SquareRoot': {}, 'Logarithm': {}, 'Exponential': {}, 'Gradient': {}, 'LBP2D': {},
                  'LBP3D': {}},
    'featureClass': {c: None for c in ['shape', 'firstorder', 'glcm', 'glrlm', 'glszm', 'gldm', 'ngtdm']},
}


def run_rss(cmd, env):
    """Wall seconds and peak RSS (MB, from /usr/bin/time) of a child process."""
    start = time.perf_counter()
    proc = subprocess.run(['/usr/bin/time', '-f', '%M'] + cmd, capture_output=True, env=env)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit('failed: %s\n%s' % (' '.join(cmd), proc.stderr.decode()))
    return wall, int(proc.stderr.decode().strip().splitlines()[-1]) / 1024.0


def features(path):
    with open(path) as f:
        return {r['feature']: float(r['value']) for r in csv.DictReader(f)}


def disagree(theirs, ours):
    bad = 0
    for k, v in theirs.items():
        g = ours.get(k, float('nan'))
        if not (abs(g - v) <= 1e-9 if abs(v) <= 1e-9 else abs(g - v) / abs(v) <= 1e-6):
            bad += 1
    return bad


def main():
    tmp = tempfile.mkdtemp()
    params = os.path.join(tmp, 'all_types.yaml')
    with open(params, 'w') as f:
        json.dump(PARAMS, f)
    vertebra = os.path.join(tmp, 'vertebra')
    subprocess.run([RAD, 'phantom', 'vertebra', '--out', vertebra], check=True, capture_output=True)
    cases = {
        'lung2': (os.path.join(DATA, 'lung2_image.nrrd'), os.path.join(DATA, 'lung2_label.nrrd')),
        'vertebra': (os.path.join(vertebra, 'image.nii.gz'), os.path.join(vertebra, 'trabecular_mask.nii.gz')),
    }
    only = os.environ.get('CASES')
    if only:
        cases = {k: v for k, v in cases.items() if k in only.split(',')}
    cores = os.cpu_count()
    one = dict(os.environ, RAYON_NUM_THREADS='1', ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS='1',
               OMP_NUM_THREADS='1', OPENBLAS_NUM_THREADS='1')
    modes = {'1 thread': (one, ['taskset', '-c', '0']), '%d cores' % cores: (dict(os.environ), [])}
    print('radaudit vs PyRadiomics 3.1, all image types (%d alternating rounds, medians)' % ROUNDS)
    for name, (image, mask) in cases.items():
        for mode, (env, pin) in modes.items():
            py, rad, py_rss, rad_rss = [], [], [], []
            py_out, rad_out = os.path.join(tmp, 'py.csv'), os.path.join(tmp, 'rad.csv')
            for _ in range(ROUNDS):
                w, m = run_rss(pin + [sys.executable, os.path.join(PEERS, 'pyrad_extract.py'), image, mask,
                                      py_out, '--params', params], env)
                py.append(w)
                py_rss.append(m)
                w, m = run_rss(pin + [RAD, 'extract', '--image', image, '--mask', mask, '--params', params,
                                      '--out', rad_out], env)
                rad.append(w)
                rad_rss.append(m)
            med = statistics.median
            theirs = features(py_out)
            print('\n%s, %s (%d features; differing beyond 1e-6: %d)'
                  % (name, mode, len(theirs), disagree(theirs, features(rad_out))))
            print('  wall    : PyRadiomics %.3f s, radaudit %.3f s -> %.1fx faster'
                  % (med(py), med(rad), med(py) / med(rad)))
            print('  peak RSS: PyRadiomics %.0f MB, radaudit %.0f MB -> %.1f%% of it'
                  % (med(py_rss), med(rad_rss), 100 * med(rad_rss) / med(py_rss)))


if __name__ == '__main__':
    main()
