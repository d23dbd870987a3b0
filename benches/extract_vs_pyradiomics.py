#!/usr/bin/env python
"""Benchmark of `radaudit extract` against PyRadiomics 3.1 on the same inputs, side by side,
alternating rounds (issue "feature extraction", acceptance 3).

Measures, single-threaded (RAYON_NUM_THREADS=1 for radaudit; PyRadiomics is single-threaded
in its feature code):
  - whole process (wall time, peak RSS) on lung2 and on the 200k-voxel synthetic case;
  - the feature classes alone (PyRadiomics: computeShape + computeFeatures inside execute();
    radaudit: the classes run on a prepared ROI, examples/class_timing);
  - batch mode over all PyRadiomics test cases with all cores: CPU time / wall time.
Also checks that both tools' 107 features agree (relative 1e-6) on every benchmarked case.

Run with the peer venv's python: benches/extract_vs_pyradiomics.sh does that.
"""
import csv
import math
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
CLASSES = os.path.join(ROOT, 'target', 'release', 'examples', 'class_timing')
ROUNDS = int(os.environ.get('ROUNDS', '3'))


def run(cmd, env=None):
    """Wall seconds and peak RSS (MB) of a child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        sys.exit('failed: %s\n%s' % (' '.join(cmd), err.decode()))
    return wall, usage.ru_maxrss / 1024.0, out.decode(), usage


def features(path):
    with open(path) as f:
        return {r['feature']: float(r['value']) for r in csv.DictReader(f)}


def agree(a, b):
    bad = 0
    for k, v in a.items():
        g = b.get(k, float('nan'))
        if math.isnan(v) and math.isnan(g):
            continue
        if not (abs(g - v) <= 1e-9 if abs(v) <= 1e-9 else abs(g - v) / abs(v) <= 1e-6):
            bad += 1
    return bad


def main():
    synth = os.environ.get('SYNTH_DIR', os.path.join(ROOT, 'target', 'synth'))
    cases = {
        'lung2': (os.path.join(DATA, 'lung2_image.nrrd'), os.path.join(DATA, 'lung2_label.nrrd')),
        'synthetic 200k': (os.path.join(synth, 'big_image.nrrd'), os.path.join(synth, 'big_mask.nrrd')),
    }
    single = dict(os.environ, RAYON_NUM_THREADS='1')
    tmp = tempfile.mkdtemp()
    print('radaudit vs PyRadiomics 3.1 (%d alternating rounds, medians)' % ROUNDS)
    for name, (image, mask) in cases.items():
        py_wall, rad_wall, py_rss, rad_rss, py_cls, rad_cls = [], [], [], [], [], []
        py_out, rad_out = os.path.join(tmp, 'py.csv'), os.path.join(tmp, 'rad.csv')
        for _ in range(ROUNDS):
            w, m, _, _ = run([sys.executable, os.path.join(PEERS, 'pyrad_extract.py'), image, mask, py_out])
            py_wall.append(w); py_rss.append(m)
            w, m, _, _ = run([RAD, 'extract', '--image', image, '--mask', mask, '--out', rad_out], env=single)
            rad_wall.append(w); rad_rss.append(m)
            _, _, out, _ = run([sys.executable, os.path.join(ROOT, 'benches', 'pyradiomics_class_timing.py'), image, mask])
            py_cls.append(float(out.split()[0].split('=')[1]))
            _, _, out, _ = run([CLASSES, image, mask, '10'], env=single)
            rad_cls.append(float(out.strip().splitlines()[-1].split(':')[1].split()[0]) / 1000.0)
        mismatches = agree(features(py_out), features(rad_out))
        med = statistics.median
        print('\n%s (features differing beyond 1e-6: %d of 107)' % (name, mismatches))
        print('  whole process : PyRadiomics %.3f s, radaudit %.3f s  -> %.1fx' % (med(py_wall), med(rad_wall), med(py_wall) / med(rad_wall)))
        print('  feature classes: PyRadiomics %.4f s, radaudit %.4f s -> %.1fx' % (med(py_cls), med(rad_cls), med(py_cls) / med(rad_cls)))
        print('  peak RSS      : PyRadiomics %.0f MB, radaudit %.0f MB' % (med(py_rss), med(rad_rss)))

    # Batch mode over every PyRadiomics test case, all cores.
    cases_csv = os.path.join(tmp, 'cases.csv')
    with open(cases_csv, 'w') as f:
        f.write('case,image,mask,label\n')
        for c in ['brain1', 'brain2', 'breast1', 'lung1', 'lung2']:
            f.write('%s,%s,%s,1\n' % (c, os.path.join(DATA, c + '_image.nrrd'), os.path.join(DATA, c + '_label.nrrd')))
        for label in [1, 7, 8, 9]:
            f.write('prostate_l%d,%s,%s,%d\n' % (label, os.path.join(DATA, 'prostate_phantom_subvolume.nrrd'),
                                                 os.path.join(DATA, 'prostate_phantom_subvolume-label.nrrd'), label))
    wall, _, _, usage = run([RAD, 'extract', '--cases', cases_csv, '--out', os.path.join(tmp, 'batch.csv')])
    cpu = usage.ru_utime + usage.ru_stime
    print('\nbatch, 9 PyRadiomics test cases, %d cores: wall %.3f s, CPU %.3f s -> %.2f cores busy'
          % (os.cpu_count(), wall, cpu, cpu / wall))


if __name__ == '__main__':
    main()
