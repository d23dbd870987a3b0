#!/usr/bin/env bash
# Builds the second peer venv LBP3D needs: PyRadiomics 3.1 calls scipy.special.sph_harm, which
# scipy 1.15 removed, and trimesh for its icosphere; scikit-image makes it compute LBP2D too, so
# the filters benchmark can run every image type in it. From package registries only.
# Usage: bash tests/data/setup_lbp3d_peer.sh [VENV_DIR]   (default: $HOME/.cache/radaudit-peers-lbp3d)
set -euo pipefail
V=${1:-$HOME/.cache/radaudit-peers-lbp3d}
python3 -m venv "$V"
"$V/bin/pip" install -q "numpy<2" setuptools wheel
"$V/bin/pip" install -q pyradiomics-bhklab==3.1.4 "scipy<1.15" trimesh "scikit-image<0.26" pynrrd nibabel
"$V/bin/python" -c "import radiomics, trimesh, skimage; from scipy.special import sph_harm; print('LBP3D peer ready')"
echo "python: $V/bin/python"
