#!/usr/bin/env python
"""Writes the small format fixtures in this folder and what the peer readers make of them.

Run with the peer venv (../../../shared/peers/setup.sh): nibabel and pynrrd write the files,
SimpleITK (what PyRadiomics reads images with) reads them back, and its size, spacing,
origin, direction and voxels go to peer_readings.json, the reference the Rust test
`tests/io_fixtures.rs` compares radaudit's readers with. SimpleITK 2.5 cannot read NIfTI-2,
so for that file the reference is nibabel's affine turned to LPS the way ITK does for
NIfTI-1 (x and y rows negated; spacing = column norms). Voxel values are a fixed pattern.
"""
import json
import os

import nibabel as nib
import nrrd
import numpy as np
import SimpleITK as sitk

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPE = (6, 5, 4)  # x, y, z


def pattern(dtype):
    i, j, k = np.meshgrid(*[np.arange(n) for n in SHAPE], indexing='ij')
    return (i * 37 + j * 11 - k * 53 + 7).astype(dtype)  # (x, y, z) indexed


def rotation(deg_z, deg_x):
    cz, sz = np.cos(np.radians(deg_z)), np.sin(np.radians(deg_z))
    cx, sx = np.cos(np.radians(deg_x)), np.sin(np.radians(deg_x))
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    return rz @ rx


def affine(spacing, rot, offset):
    a = np.eye(4)
    a[:3, :3] = rot @ np.diag(spacing)
    a[:3, 3] = offset
    return a


def write_all():
    files = {}
    # NIfTI-2, little-endian, oblique, int16.
    img = nib.Nifti2Image(pattern(np.int16), affine([0.7, 0.8, 2.5], rotation(30, 10), [-20.5, 14.25, 7.0]))
    img.header.set_qform(img.affine, code=1)
    img.header.set_sform(img.affine, code=1)
    nib.save(img, os.path.join(HERE, 'oblique_nifti2.nii.gz'))
    files['oblique_nifti2.nii.gz'] = 'int16'
    # NIfTI-1, big-endian, qform only with qfac -1 (left-handed), scl_slope/inter.
    aff = affine([1.25, 1.0, 3.0], rotation(-15, 0) @ np.diag([1, 1, -1]), [100.0, -50.0, 25.0])
    hdr = nib.Nifti1Header(endianness='>')
    img = nib.Nifti1Image(pattern(np.int16), aff, header=hdr)
    img.header.set_qform(aff, code=1)
    img.header.set_sform(None, code=0)
    img.header.set_slope_inter(0.5, -1024.0)
    nib.save(img, os.path.join(HERE, 'bigendian_qform_scaled.nii'))
    files['bigendian_qform_scaled.nii'] = 'int16'
    # NRRD in RAS space, oblique, float, detached header with gzip data.
    rot = rotation(20, -5)
    dirs = rot @ np.diag([0.9, 0.9, 1.5])
    header = {'space': 'right-anterior-superior', 'space directions': dirs.T,
              'space origin': np.array([12.0, -7.5, 30.25]), 'kinds': ['domain'] * 3, 'encoding': 'gzip'}
    nrrd.write(os.path.join(HERE, 'ras_detached.nhdr'), pattern(np.float32) / 8, header, detached_header=True)
    files['ras_detached.nhdr'] = 'float32'
    # NRRD, raw, big-endian uint16, LPS.
    header = {'space': 'left-posterior-superior', 'space directions': np.diag([0.5, 0.6, 2.0]),
              'space origin': np.array([-1.0, -2.0, -3.0]), 'kinds': ['domain'] * 3, 'encoding': 'raw',
              'endian': 'big'}
    nrrd.write(os.path.join(HERE, 'bigendian_raw.nrrd'), pattern(np.uint16), header)
    files['bigendian_raw.nrrd'] = 'uint16'
    return files


def nibabel_reading(path):
    img = nib.load(path)
    flip = np.diag([-1.0, -1.0, 1.0])
    m = flip @ img.affine[:3, :3]
    spacing = np.linalg.norm(m, axis=0)
    arr = np.asarray(img.get_fdata(), dtype=np.float64).transpose(2, 1, 0)
    return {
        'size': list(img.shape),
        'spacing': spacing.tolist(),
        'origin': (flip @ img.affine[:3, 3]).tolist(),
        'direction': (m / spacing).ravel().tolist(),
        'voxels_zyx': arr.ravel().tolist(),
        'reader': 'nibabel ' + nib.__version__,
    }


def readings(files):
    out = {}
    for name in files:
        if 'nifti2' in name:
            out[name] = nibabel_reading(os.path.join(HERE, name))
            continue
        im = sitk.ReadImage(os.path.join(HERE, name))
        arr = sitk.GetArrayFromImage(im)  # (z, y, x)
        out[name] = {
            'size': list(im.GetSize()),
            'spacing': list(im.GetSpacing()),
            'origin': list(im.GetOrigin()),
            'direction': list(im.GetDirection()),
            'voxels_zyx': [float(v) for v in arr.astype(np.float64).ravel()],
            'reader': 'SimpleITK ' + sitk.Version_VersionString(),
        }
    return out


if __name__ == '__main__':
    files = write_all()
    with open(os.path.join(HERE, 'peer_readings.json'), 'w') as f:
        json.dump(readings(files), f, indent=1)
    print('wrote', ', '.join(files))
