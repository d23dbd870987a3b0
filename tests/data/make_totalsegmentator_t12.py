#!/usr/bin/env python
"""PyRadiomics 3.1's 107 default features of vertebra T12 (label 32) on TotalSegmentator's
example: the JPEG 2000 CT series decoded by SimpleITK (GDCM), its label map resampled onto the
series grid by SimpleITK (identity transform, nearest neighbour: the grids coincide after a y
flip). Writes totalsegmentator_t12_pyradiomics.csv (feature,value), which
tests/suite/io_clinical.rs compares with radaudit reading the same files directly.
Run with the peer venv (../../../shared/peers/setup.sh).
"""
import csv
import logging
import os

import SimpleITK as sitk
from radiomics import featureextractor

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, '..', '..', '..', 'shared', 'reference', 'clinical', 'totalsegmentator')


def main():
    logging.getLogger('radiomics').setLevel(logging.ERROR)
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(os.path.join(DATA, 'example_ct_dicom')))
    ct = reader.Execute()
    seg = sitk.ReadImage(os.path.join(DATA, 'example_seg_dicom.nii.gz'))
    seg = sitk.Resample(seg, ct, sitk.Transform(), sitk.sitkNearestNeighbor, 0, seg.GetPixelID())
    extractor = featureextractor.RadiomicsFeatureExtractor()
    result = extractor.execute(ct, seg, label=32)
    with open(os.path.join(HERE, 'totalsegmentator_t12_pyradiomics.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['feature', 'value'])
        for k, v in result.items():
            if k.startswith('original_'):
                w.writerow([k, repr(float(v))])


if __name__ == '__main__':
    main()
