#!/usr/bin/env python
"""PyRadiomics 3.1 outputs for settings its baseline tables do not exercise: other
interpolators, outlier removal, relative re-segmentation, several distances, an asymmetric
GLCM, every weighting norm, GLDM alpha, a corrected (shifted) mask. For each entry of CASES it
writes peer_extractions/<name>.yaml (the parameter file) and <name>.csv (PyRadiomics' 107
features). `tests/extract_peer_settings.rs` runs radaudit on the same inputs and compares.
Run with the peer venv (../../../shared/peers/setup.sh).
"""
import json
import logging
import os

import SimpleITK as sitk
from radiomics import featureextractor

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'peer_extractions')
DATA = os.path.join(HERE, '..', '..', '..', 'shared', 'reference', 'pyradiomics', 'data')

# name: (case, settings, mask origin shift in mm or None)
CASES = {
    'linear_resampling': ('brain1', {'resampledPixelSpacing': [1.0, 1.0, 3.0], 'interpolator': 'sitkLinear'}, None),
    'nearest_resampling': ('breast1', {'resampledPixelSpacing': [1.0, 1.0, 1.0], 'interpolator': 'sitkNearestNeighbor'}, None),
    'inplane_bspline': ('lung1', {'resampledPixelSpacing': [1.0, 1.0, 0], 'interpolator': 'sitkBSpline', 'padDistance': 2}, None),
    'normalize_outliers': ('brain2', {'normalize': True, 'normalizeScale': 50, 'removeOutliers': 2.5, 'binWidth': 10}, None),
    'relative_resegment': ('lung2', {'resegmentRange': [0.2, 0.9], 'resegmentMode': 'relative', 'resegmentShape': True}, None),
    'distances_asymmetric': ('breast1', {'distances': [1, 2], 'symmetricalGLCM': False, 'gldm_a': 2, 'binCount': 16}, None),
    'weighting_euclidean': ('brain1', {'weightingNorm': 'euclidean'}, None),
    'weighting_manhattan': ('brain2', {'weightingNorm': 'manhattan', 'force2D': True, 'force2Ddimension': 0}, None),
    'weighting_infinity': ('lung1', {'weightingNorm': 'infinity', 'voxelArrayShift': 1000}, None),
    'corrected_mask': ('brain1', {'correctMask': True}, [0.3, 0.0, 1.1]),
}


def main():
    logging.getLogger('radiomics').setLevel(logging.ERROR)
    os.makedirs(OUT, exist_ok=True)
    manifest = {}
    for name, (case, settings, shift) in CASES.items():
        image = os.path.join(DATA, case + '_image.nrrd')
        mask = sitk.ReadImage(os.path.join(DATA, case + '_label.nrrd'))
        if shift is not None:
            mask.SetOrigin([o + s for o, s in zip(mask.GetOrigin(), shift)])
        classes = {c: None for c in ['shape', 'firstorder', 'glcm', 'glrlm', 'glszm', 'gldm', 'ngtdm']}
        params = {'imageType': {'Original': {}}, 'featureClass': classes, 'setting': settings}
        with open(os.path.join(OUT, name + '.yaml'), 'w') as f:
            json.dump(params, f)  # JSON is YAML
        extractor = featureextractor.RadiomicsFeatureExtractor(os.path.join(OUT, name + '.yaml'))
        result = extractor.execute(image, mask)
        with open(os.path.join(OUT, name + '.csv'), 'w') as f:
            f.write('feature,value\n')
            for key, value in result.items():
                if key.startswith('original_'):
                    f.write('%s,%r\n' % (key, float(value)))
        manifest[name] = {'case': case, 'mask_origin_shift_mm': shift}
    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
    print('wrote', len(CASES), 'peer extractions')


if __name__ == '__main__':
    main()
