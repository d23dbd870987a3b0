#!/usr/bin/env python
"""PyRadiomics 3.1 outputs on its filtered image types, the oracle of
`tests/suite/extract_filters.rs`. For every PyRadiomics test case it writes
filter_extractions/defaults_<case>.{yaml,csv}: each implemented image type with its default
settings (Wavelet: coif1, one level; LoG: sigma 1 and 3 mm, since it has no default; LBP2D:
uniform, 8 samples, radius 1), with LBP2D's other methods, radii and slice axes after. Then settings combinations (CASES below): other wavelets,
start_level and level, B-spline resampling and normalisation before the filters, binCount,
per-image-type overrides, force2D, preCrop, re-segmentation, a LoG sigma too large for the
(resampled, cropped) image, which PyRadiomics skips, a float32 image (PyWavelets then
computes in float32), a one-slice ROI with force2D and shape2D, and a NIfTI whose x axis runs
the other way (same physical image, its index order reversed).

Run with the peer venv (../../../shared/peers/setup.sh):
  $PEERS/bin/python tests/data/make_filter_extractions.py

LBP3D needs scipy.special.sph_harm (gone in scipy 1.15) and trimesh, so its cases
(LBP3D_CASES: every test case with the defaults, then other levels, radii and subdivisions,
float32, B-spline resampling, normalisation, preCrop with the sphere reaching past the image,
re-segmentation) come from a second venv, and are added to the same manifest:
  bash tests/data/setup_lbp3d_peer.sh $V
  $V/bin/python tests/data/make_filter_extractions.py --lbp3d
(lbp3DLevels: 1 is not among them: PyRadiomics 3.1 fails on it with an IndexError.)
"""
import json
import logging
import os
import sys

if '--lbp3d' in sys.argv:
    # numpy's SIMD paths round differently from one CPU to another (SVML arccos and arctan2 on
    # AVX-512, fused complex products on AVX2), and LBP3D's level images tie voxels whose
    # values then differ in the last bit; the oracle is PyRadiomics on numpy's portable
    # (baseline) code, which radaudit reproduces bit for bit.
    os.environ['NPY_DISABLE_CPU_FEATURES'] = ('SSSE3 SSE41 POPCNT SSE42 AVX F16C FMA3 AVX2 AVX512F AVX512CD '
                                              'AVX512_KNL AVX512_KNM AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL')

import numpy
import SimpleITK as sitk
from radiomics import featureextractor

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'filter_extractions')
DATA = os.path.join(HERE, '..', '..', '..', 'shared', 'reference', 'pyradiomics', 'data')
CASES_DATA = ['brain1', 'brain2', 'breast1', 'lung1', 'lung2']
# LoG has no default sigma (no image without one): 1 and 3 mm, the usual choice.
DEFAULT_TYPES = {'Original': {}, 'Wavelet': {}, 'LoG': {'sigma': [1.0, 3.0]}, 'Square': {}, 'SquareRoot': {},
                 'Logarithm': {}, 'Exponential': {}, 'Gradient': {}, 'LBP2D': {}}

# name: (case, imageType, setting)
CASES = {
    'wavelet_haar_level2': ('brain1', {'Wavelet': {'wavelet': 'haar', 'level': 2}}, {}),
    'wavelet_db3_start1': ('breast1', {'Wavelet': {'wavelet': 'db3', 'start_level': 1}}, {}),
    'wavelet_bior13_binwidth10': ('lung1', {'Wavelet': {'wavelet': 'bior1.3'}}, {'binWidth': 10}),
    'wavelet_rbio31_start1_level2': ('brain2', {'Wavelet': {'wavelet': 'rbio3.1', 'start_level': 1, 'level': 2}}, {}),
    'wavelet_dmey': ('brain1', {'Wavelet': {'wavelet': 'dmey'}}, {}),
    'bspline_resampled_filters': ('breast1', {'Original': {}, 'Wavelet': {}, 'Square': {}},
                                  {'resampledPixelSpacing': [1.0, 1.0, 1.0], 'interpolator': 'sitkBSpline'}),
    'normalized_log_exp': ('brain2', {'Logarithm': {}, 'Exponential': {}, 'SquareRoot': {}},
                           {'normalize': True, 'normalizeScale': 100}),
    'bincount_gradient_voxels': ('lung1', {'Gradient': {'gradientUseSpacing': False}, 'Wavelet': {'wavelet': 'sym4'}},
                                 {'binCount': 32}),
    'per_type_overrides': ('lung2', {'Original': {}, 'Wavelet': {'binWidth': 5}, 'Square': {'binWidth': 100}},
                           {'binWidth': 25}),
    'force2d_wavelet': ('brain1', {'Wavelet': {}, 'Gradient': {}}, {'force2D': True, 'force2Ddimension': 0}),
    'precrop_wavelet': ('lung2', {'Wavelet': {}, 'Square': {}}, {'preCrop': True, 'padDistance': 3}),
    'resegment_shrinks_box': ('brain1', {'Original': {}, 'Square': {}}, {'resegmentRange': [1000, 1300]}),
    'resegmented_square': ('brain1', {'Square': {}, 'Wavelet': {}}, {'resegmentRange': [600, 1100]}),
    'flipped_nifti': ('breast1', {'Wavelet': {}, 'Gradient': {}, 'LoG': {'sigma': [2.0]}}, {}),
    'lbp2d_force2d_default': ('brain1', {'LBP2D': {'lbp2DMethod': 'default', 'lbp2DRadius': 2, 'lbp2DSamples': 12}},
                              {'force2D': True, 'force2Ddimension': 0}),
    'lbp2d_ror_axis1': ('breast1', {'LBP2D': {'lbp2DMethod': 'ror', 'lbp2DSamples': 6}}, {'force2Ddimension': 1}),
    'lbp2d_normalized_r15': ('lung1', {'LBP2D': {'lbp2DRadius': 1.5}, 'Original': {}},
                      {'normalize': True}),
    'shape2d_single_slice': ('brain1', {'Original': {}, 'LBP2D': {}}, {'force2D': True, 'force2Ddimension': 0}),
    'float32_image': ('brain2', {'Wavelet': {'wavelet': 'coif2'}, 'LoG': {'sigma': [2.0]}, 'Square': {},
                                 'LBP2D': {'lbp2DMethod': 'var'}}, {'binWidth': 10}),
    'log_sigma_too_large': ('brain1', {'LoG': {'sigma': [0.5, 2.5, 60.0]}},
                            {'resampledPixelSpacing': [2.0, 2.0, 2.0], 'interpolator': 'sitkLinear', 'padDistance': 1}),
    'log_normalized_bincount': ('lung1', {'LoG': {'sigma': [1.5], 'binCount': 20}, 'Original': {}},
                                {'normalize': True}),
}

# name: (case, imageType, setting); run with --lbp3d (see above).
LBP3D_CASES = dict(
    [('lbp3d_defaults_' + case, (case, {'LBP3D': {}}, {})) for case in CASES_DATA] + [
        ('lbp3d_levels3_sub2_r15', ('brain1', {'LBP3D': {'lbp3DLevels': 3, 'lbp3DIcosphereSubdivision': 2,
                                                          'lbp3DIcosphereRadius': 1.5, 'binWidth': 0.5}}, {})),
        ('lbp3d_float32_image', ('brain2', {'LBP3D': {'binWidth': 0.25}, 'Original': {}}, {'binWidth': 10})),
        ('lbp3d_bspline_sub0', ('breast1', {'LBP3D': {'lbp3DIcosphereSubdivision': 0}},
                                {'resampledPixelSpacing': [1.0, 1.0, 1.0], 'interpolator': 'sitkBSpline',
                                 'binCount': 16})),
        ('lbp3d_normalized_r2_force2d', ('lung1', {'LBP3D': {'lbp3DIcosphereRadius': 2, 'binWidth': 1}},
                                         {'normalize': True, 'force2D': True})),
        ('lbp3d_precrop_pad1_r2', ('lung2', {'LBP3D': {'lbp3DIcosphereRadius': 2, 'binWidth': 0.5}},
                                   {'preCrop': True, 'padDistance': 1})),
        ('lbp3d_resegmented', ('brain1', {'LBP3D': {'lbp3DLevels': 4, 'binWidth': 0.5}},
                               {'resegmentRange': [600, 1100]})),
    ])

CLASSES = {c: None for c in ['shape', 'firstorder', 'glcm', 'glrlm', 'glszm', 'gldm', 'ngtdm']}


def flipped(path, target):
    """The same physical image with its x index reversed, as NIfTI."""
    image = sitk.ReadImage(path)
    array = sitk.GetArrayFromImage(image)[:, :, ::-1]
    out = sitk.GetImageFromArray(numpy.ascontiguousarray(array))
    out.SetSpacing(image.GetSpacing())
    last = image.TransformIndexToPhysicalPoint((image.GetSize()[0] - 1, 0, 0))
    out.SetOrigin(last)
    d = numpy.array(image.GetDirection()).reshape(3, 3)
    d[:, 0] = -d[:, 0]
    out.SetDirection(d.flatten().tolist())
    sitk.WriteImage(out, target, True)
    return target


def float32(path, mask_path, target, mask_target):
    """The image times 0.37 in float32 (PyWavelets then computes in float32), cropped to the
    ROI's box plus 8 voxels (to keep the file small), and its mask likewise, as NIfTI."""
    image, mask = sitk.ReadImage(path), sitk.ReadImage(mask_path)
    stats = sitk.LabelShapeStatisticsImageFilter()
    stats.Execute(mask)
    box = stats.GetBoundingBox(1)
    lo = [max(0, box[a] - 8) for a in range(3)]
    hi = [min(image.GetSize()[a], box[a] + box[a + 3] + 8) for a in range(3)]
    size = [hi[a] - lo[a] for a in range(3)]
    crop = lambda im: sitk.RegionOfInterest(im, size, lo)
    sitk.WriteImage(sitk.Cast(crop(image), sitk.sitkFloat32) * 0.37, target, True)
    sitk.WriteImage(crop(mask), mask_target, True)
    return target, mask_target


def single_slice(mask_path, target):
    """The mask kept on its fullest axial slice only (a 2-D ROI, for shape2D)."""
    mask = sitk.ReadImage(mask_path)
    a = sitk.GetArrayFromImage(mask)
    keep = int(numpy.argmax((a == 1).sum(axis=(1, 2))))
    a[numpy.arange(a.shape[0]) != keep] = 0
    out = sitk.GetImageFromArray(a)
    out.CopyInformation(mask)
    sitk.WriteImage(out, target, True)
    return target


def run(name, case, image_types, settings):
    image = os.path.join(DATA, case + '_image.nrrd')
    mask = os.path.join(DATA, case + '_label.nrrd')
    if name == 'flipped_nifti':
        image = flipped(image, os.path.join(OUT, 'flipped_image.nii.gz'))
        mask = flipped(mask, os.path.join(OUT, 'flipped_label.nii.gz'))
    if name.endswith('float32_image'):
        image, mask = float32(image, mask, os.path.join(OUT, 'float32_image.nii.gz'),
                              os.path.join(OUT, 'float32_label.nii.gz'))
    classes = dict(CLASSES)
    if name == 'shape2d_single_slice':
        mask = single_slice(mask, os.path.join(OUT, 'single_slice_label.nii.gz'))
        classes['shape2D'] = None
    params = {'imageType': image_types, 'featureClass': classes, 'setting': settings}
    with open(os.path.join(OUT, name + '.yaml'), 'w') as f:
        json.dump(params, f)  # JSON is YAML
    extractor = featureextractor.RadiomicsFeatureExtractor(os.path.join(OUT, name + '.yaml'))
    result = extractor.execute(image, mask)
    with open(os.path.join(OUT, name + '.csv'), 'w') as f:
        f.write('feature,value\n')
        for key, value in result.items():
            if not key.startswith('diagnostics_'):
                f.write('%s,%r\n' % (key, float(value)))
    return {'case': case, 'image': os.path.basename(image) if name in ('flipped_nifti', 'float32_image', 'lbp3d_float32_image') else None,
            'mask': os.path.basename(mask) if name in ('flipped_nifti', 'float32_image', 'lbp3d_float32_image',
                                                       'shape2d_single_slice') else None}


def main():
    logging.getLogger('radiomics').setLevel(logging.ERROR)
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, 'manifest.json')
    manifest = {}
    if '--lbp3d' in sys.argv:
        from scipy.special import sph_harm  # noqa: F401 (fails on scipy >= 1.15, which has none)
        import trimesh  # noqa: F401
        with open(path) as f:
            manifest = {k: v for k, v in json.load(f).items() if not k.startswith('lbp3d_')}
        for name, (case, image_types, settings) in LBP3D_CASES.items():
            manifest[name] = run(name, case, image_types, settings)
    else:
        if os.path.exists(path):
            with open(path) as f:
                manifest = {k: v for k, v in json.load(f).items() if k.startswith('lbp3d_')}
        for case in CASES_DATA:
            manifest['defaults_' + case] = run('defaults_' + case, case, DEFAULT_TYPES, {})
        for name, (case, image_types, settings) in CASES.items():
            manifest[name] = run(name, case, image_types, settings)
    with open(path, 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    print('wrote', len(manifest), 'filter extractions')


if __name__ == '__main__':
    main()
