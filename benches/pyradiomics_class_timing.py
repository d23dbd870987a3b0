#!/usr/bin/env python
"""Times PyRadiomics' feature-class phase on one case: the wall time of
RadiomicsFeatureExtractor.computeShape plus computeFeatures (the classes, cropping and binning
included; reading, mask checks and the rest of execute() excluded), default settings.
Usage: pyradiomics_class_timing.py IMAGE MASK  ->  prints 'classes_seconds=<s> execute_seconds=<s>'.
"""
import logging
import sys
import time

from radiomics import featureextractor

logging.getLogger('radiomics').setLevel(logging.ERROR)
extractor = featureextractor.RadiomicsFeatureExtractor()
spent = {'classes': 0.0}


def timed(method):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            spent['classes'] += time.perf_counter() - start
    return wrapper


extractor.computeShape = timed(extractor.computeShape)
extractor.computeFeatures = timed(extractor.computeFeatures)
start = time.perf_counter()
extractor.execute(sys.argv[1], sys.argv[2])
print('classes_seconds=%.4f execute_seconds=%.4f' % (spent['classes'], time.perf_counter() - start))
