"""The peer side of benches/audit_vs_pyradiomics.sh: the same audit work (every case x the
baseline and 29 perturbation levels of benches/data/audit_20x30.yaml, 107 PyRadiomics
features each) done the way a Python user would: perturbations with numpy, scipy.ndimage and
scikit-image, features with PyRadiomics' RadiomicsFeatureExtractor, jobs spread over worker
processes. The physical models follow radaudit's (see src/perturb/); the random draws differ.
Usage: python audit_vs_pyradiomics.py WORK_DIR [--processes N]
"""
import argparse
import csv
import logging
import multiprocessing as mp
import os
import time

import numpy as np
import yaml  # PyYAML, installed by the benchmark script if missing
import SimpleITK as sitk
from scipy import ndimage
from radiomics import featureextractor
from skimage.segmentation import slic

logging.getLogger("radiomics").setLevel(logging.ERROR)

PROFILES = {  # noise SD (HU), NPS peak (1/mm), PSF FWHM (mm), slice profile FWHM (mm)
    "smooth": (8.0, 0.20, 1.1, 1.0),
    "standard": (12.0, 0.30, 0.9, 1.0),
    "sharp": (25.0, 0.45, 0.7, 1.0),
}
KV = {80: (1.1135, 1.1093), 100: (1.0511, 1.0547), 120: (1.0, 1.0), 140: (0.9319, 0.9453)}
STAGES = ["kvp", "blur", "slice", "spacing", "noise", "translate", "rotate", "erode", "dilate", "volume", "supervoxel"]
FWHM = 2.0 * np.sqrt(2.0 * np.log(2.0))


def parse(chain):
    """'scanner:standard; kvp:80' -> {kind: params}, a profile expanded to blur and noise."""
    out = {}
    for part in filter(None, (p.strip() for p in chain.split(";"))):
        name, _, rest = part.partition(":")
        params = {}
        for kv in filter(None, rest.split(",")):
            k, eq, v = kv.partition("=")
            params[k.strip() if eq else "value"] = v.strip() if eq else k.strip()
        if name == "scanner":
            sd, peak, fwhm, z = PROFILES[params["value"]]
            out["blur"] = {"fwhm": fwhm, "z": z}
            out["noise"] = {"sd": sd, "peak": peak}
        else:
            out[name] = params
    return out


def read_protocol_levels(path):
    """Every axis' levels of the benchmark protocol, in protocol order."""
    protocol = yaml.safe_load(open(path))
    return [level for axis in protocol["perturbations"] for level in axis["levels"]]


def noise(img, spacing, sd, peak, rng):
    nz, ny, nx = img.shape
    fy = np.fft.fftfreq(ny, spacing[1])[:, None]
    fx = np.fft.fftfreq(nx, spacing[0])[None, :]
    f = np.hypot(fx, fy)
    nps = f * np.exp(-f * f / (2 * peak * peak))
    h = np.sqrt(nps / nps.mean())
    white = rng.standard_normal(img.shape)
    shaped = np.real(np.fft.ifft2(np.fft.fft2(white, axes=(1, 2)) * h, axes=(1, 2)))
    return img + sd * shaped


def kvp(img, kv):
    bone, fat = KV[int(float(kv))]
    out = np.where(img >= 0, img * bone, img * fat)
    below = img < -100
    air = np.clip((-100 - img) / 900.0, 0, 1)
    return np.where(below, air * -1000 + (1 - air) * -100 * fat, out)


def scale_volume(mask, fraction, spacing):
    inside = ndimage.distance_transform_edt(mask, sampling=spacing[::-1])
    outside = ndimage.distance_transform_edt(~mask, sampling=spacing[::-1])
    signed = np.where(mask, inside, -outside).ravel()
    target = int(round(fraction * mask.sum()))
    keep = np.argsort(-signed, kind="stable")[:target]
    out = np.zeros(mask.size, bool)
    out[keep] = True
    return out.reshape(mask.shape)


def supervoxel(img, mask, count, rng):
    labels = slic(img, n_segments=max(2, int(count * img.size / max(mask.sum(), 1))), compactness=0.1,
                  channel_axis=None, start_label=0)
    keep = np.zeros(labels.max() + 1, bool)
    for lab in range(labels.max() + 1):
        sel = labels == lab
        if not sel.any():
            continue
        overlap = mask[sel].mean()
        keep[lab] = overlap >= 0.9 or (overlap >= 0.2 and rng.random() < overlap)
    return ndimage.binary_closing(keep[labels])


def apply(img, mask, spacing, chain, rng):
    spacing = list(spacing)  # x, y, z
    for kind in STAGES:
        if kind not in chain:
            continue
        p = chain[kind]
        if kind == "kvp":
            img = kvp(img, p["value"])
        elif kind == "blur":
            sx = float(p.get("fwhm", 0)) / FWHM
            sz = float(p.get("z", 0)) / FWHM
            img = ndimage.gaussian_filter(img, (sz / spacing[2], sx / spacing[1], sx / spacing[0]), mode="nearest")
        elif kind == "slice":
            t = float(p["thickness"])
            n = max(1, int(round(t / spacing[2])))
            img = ndimage.uniform_filter1d(img, n, axis=0, mode="nearest")[::n]
            mask = ndimage.uniform_filter1d(mask.astype(float), n, axis=0, mode="nearest")[::n] >= 0.5
            spacing[2] *= n
        elif kind == "spacing":
            new = [float(v) for v in p["value"].split("x")]
            factors = [spacing[2] / new[2], spacing[1] / new[1], spacing[0] / new[0]]
            img = ndimage.zoom(img, factors, order=3)
            mask = ndimage.zoom(mask.astype(float), factors, order=1) >= 0.5
            spacing = new
        elif kind == "noise":
            img = noise(img, spacing, float(p["sd"]), float(p["peak"]), rng)
        elif kind == "translate":
            img = ndimage.shift(img, (float(p.get("z", 0)), float(p.get("y", 0)), float(p.get("x", 0))), order=1, mode="nearest")
        elif kind == "rotate":
            deg = float(p["deg"])
            img = ndimage.rotate(img, deg, axes=(1, 2), reshape=False, order=1, mode="nearest")
            mask = ndimage.rotate(mask.astype(float), deg, axes=(1, 2), reshape=False, order=1) >= 0.5
        elif kind == "erode":
            mask = ndimage.distance_transform_edt(mask, sampling=spacing[::-1]) > float(p["mm"])
        elif kind == "dilate":
            mask = ndimage.distance_transform_edt(~mask, sampling=spacing[::-1]) <= float(p["mm"])
        elif kind == "volume":
            mask = scale_volume(mask, float(p["fraction"]), spacing)
        elif kind == "supervoxel":
            mask = supervoxel(img, mask, int(p.get("count", 30)), rng)
    return img, mask, spacing


def run_case(args):
    work, case, image, mask_path, levels = args
    extractor = featureextractor.RadiomicsFeatureExtractor()
    img_itk = sitk.ReadImage(os.path.join(work, image))
    base = sitk.GetArrayFromImage(img_itk).astype(np.float64)
    mask0 = sitk.GetArrayFromImage(sitk.ReadImage(os.path.join(work, mask_path))) > 0
    spacing = img_itk.GetSpacing()
    # Crop to the ROI plus 8 mm, as the radaudit protocol does.
    idx = np.argwhere(mask0)
    lo = np.maximum(idx.min(0) - np.ceil(8 / np.array(spacing[::-1])).astype(int), 0)
    hi = np.minimum(idx.max(0) + np.ceil(8 / np.array(spacing[::-1])).astype(int) + 1, mask0.shape)
    sl = tuple(slice(a, b) for a, b in zip(lo, hi))
    base, mask0 = base[sl], mask0[sl]
    rows = []
    baseline = parse("scanner:standard")
    for j, level in enumerate(["baseline"] + levels):
        chain = dict(baseline)
        if level != "baseline":
            chain.update(parse(level))
        rng = np.random.default_rng(abs(hash((case, j))) % (2 ** 32))
        img, mask, sp = apply(base.copy(), mask0.copy(), spacing, chain, rng)
        im = sitk.GetImageFromArray(img.astype(np.float32))
        im.SetSpacing(tuple(sp))
        mk = sitk.GetImageFromArray(mask.astype(np.uint8))
        mk.SetSpacing(tuple(sp))
        result = extractor.execute(im, mk)
        values = [(k, float(v)) for k, v in result.items() if k.startswith("original_")]
        rows.append((case, level, len(values)))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--processes", type=int, default=2)
    a = ap.parse_args()
    levels = read_protocol_levels(os.path.join(a.work, "protocol.yaml"))
    with open(os.path.join(a.work, "cases.csv")) as f:
        cases = [(a.work, r["case"], r["image"], r["mask"], levels) for r in csv.DictReader(f)]
    start = time.perf_counter()
    with mp.Pool(a.processes) as pool:
        done = [row for rows in pool.imap_unordered(run_case, cases) for row in rows]
    elapsed = time.perf_counter() - start
    features = {n for _, _, n in done}
    print(f"  {len(cases)} cases x {len(levels) + 1} perturbations = {len(done)} extractions of {features} features in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
