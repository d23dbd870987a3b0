#!/usr/bin/env bash
# Benchmark: radaudit extract vs PyRadiomics 3.1 with the filtered image types, side by side
# (see filters_vs_pyradiomics.py). Usage: bash benches/filters_vs_pyradiomics.sh (env:
# RADAUDIT_PEERS_LBP3D venv, ROUNDS, CASES=lung2,vertebra)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${RADAUDIT_PEERS_LBP3D:-$HOME/.cache/radaudit-peers-lbp3d}
[ -x "$venv/bin/python" ] || bash "$root/tests/data/setup_lbp3d_peer.sh" "$venv"
(cd "$root" && cargo build --release --quiet)
"$venv/bin/python" "$root/benches/filters_vs_pyradiomics.py"
