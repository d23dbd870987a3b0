#!/usr/bin/env bash
# Benchmark: radaudit extract vs PyRadiomics 3.1, side by side (see extract_vs_pyradiomics.py).
# Usage: bash benches/extract_vs_pyradiomics.sh   (env: RADAUDIT_PEERS venv, SYNTH_DIR, ROUNDS)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${RADAUDIT_PEERS:-$HOME/.cache/radaudit-peers}
data=${SYNTH_DIR:-$root/target/synth}
[ -x "$venv/bin/python" ] || bash "$root/../shared/peers/setup.sh" "$venv"
[ -f "$data/big_image.nrrd" ] || "$venv/bin/python" "$root/../shared/peers/make_synth.py" --out "$data"
(cd "$root" && cargo build --release --quiet && cargo build --release --quiet --features timing --example class_timing)
SYNTH_DIR="$data" "$venv/bin/python" "$root/benches/extract_vs_pyradiomics.py"
