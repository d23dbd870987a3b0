#!/usr/bin/env bash
# Benchmark (issue 7): the robustness audit, 20 cases x 30 perturbations x 107 features on
# vertebra-size ROIs (about 30k voxels at 0.7 x 0.7 x 1 mm), radaudit vs the same work done by
# PyRadiomics driven from Python with numpy/scipy/scikit-image perturbations
# (benches/audit_vs_pyradiomics.py), side by side in one run on the same input files.
# Usage: bash benches/audit_vs_pyradiomics.sh [CASES]   (env: RADAUDIT_PEERS venv, THREADS)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${RADAUDIT_PEERS:-$HOME/.cache/radaudit-peers}
cases=${1:-20}
threads=${THREADS:-2}
work=$root/target/bench-audit
[ -x "$venv/bin/python" ] || bash "$root/../shared/peers/setup.sh" "$venv"
"$venv/bin/python" -c "import skimage, yaml" 2>/dev/null || "$venv/bin/pip" install -q scikit-image pyyaml
(cd "$root" && cargo build --release --quiet)
bin=$root/target/release/radaudit

# The same inputs for both tools: ideal (noise-free) phantoms written once, not timed.
rm -rf "$work" && mkdir -p "$work/cases"
echo "case,image,mask" > "$work/cases.csv"
for i in $(seq 1 "$cases"); do
  vbmd=$(awk -v i="$i" -v n="$cases" 'BEGIN { printf "%.1f", 50 + 200 * (i - 1) / (n > 1 ? n - 1 : 1) }')
  d=$work/cases/c$i
  "$bin" phantom vertebra --spec "$root/benches/data/bench_vertebra.yaml" --scanner none \
    --vbmd "$vbmd" --seed "$i" --case-id "c$i" --out "$d" 2>/dev/null
  echo "c$i,cases/c$i/image.nii.gz,cases/c$i/trabecular_mask.nii.gz" >> "$work/cases.csv"
done
cp "$root/benches/data/audit_20x30.yaml" "$work/protocol.yaml"

echo "radaudit audit ($threads threads):"
start=$(date +%s.%N)
"$bin" audit "$work/protocol.yaml" --out "$work/run" --threads "$threads" || true
end=$(date +%s.%N)
ours=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
echo "  radaudit: ${ours} s"

echo "PyRadiomics + numpy/scipy ($threads processes):"
start=$(date +%s.%N)
"$venv/bin/python" "$root/benches/audit_vs_pyradiomics.py" "$work" --processes "$threads"
end=$(date +%s.%N)
theirs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
echo "  python: ${theirs} s"
awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "ratio (python / radaudit): %.1fx\n", b / a }'
