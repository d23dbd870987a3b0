#!/usr/bin/env python
"""Probes PyRadiomics' marching cubes one cube at a time: for each of the 256 corner
configurations of a single 2x2x2 cube, the surface area and (signed) volume that PyRadiomics'
`cShape.calculate_coefficients` returns, with an anisotropic spacing so that different
triangulations give different numbers. Output: pyradiomics_cube_probe.json, the reference for
`tests/shape_mesh.rs`. Run with the peer venv (../../../shared/peers/setup.sh).
"""
import json
import os

import numpy as np
import radiomics
from radiomics import cShape

HERE = os.path.dirname(os.path.abspath(__file__))
# Corner k of the cube at (z, y, x) offsets, in PyRadiomics' (and Bourke's) numbering.
CORNERS = [(0, 0, 0), (0, 0, 1), (0, 1, 1), (0, 1, 0), (1, 0, 0), (1, 0, 1), (1, 1, 1), (1, 1, 0)]
SPACING = np.array([2.1, 1.3, 0.7])  # z, y, x

rows = []
for config in range(256):
    mask = np.zeros((2, 2, 2), dtype=bool)
    for k, (z, y, x) in enumerate(CORNERS):
        if config & (1 << k):
            mask[z, y, x] = True
    area, volume, _ = cShape.calculate_coefficients(mask, SPACING)
    rows.append({'config': config, 'area': float(area), 'volume': float(volume)})

with open(os.path.join(HERE, 'pyradiomics_cube_probe.json'), 'w') as f:
    json.dump({'pyradiomics': radiomics.__version__, 'spacing_zyx': SPACING.tolist(), 'cubes': rows}, f, indent=0)
print('probed', len(rows), 'configurations')
