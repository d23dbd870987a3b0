#!/usr/bin/env bash
# Benchmark (issue 8): `radaudit compare` on the default synthetic cohort (200 patients, 107
# features, two outcomes; the cohort is built once and not timed) against the model-fitting
# work done with scikit-learn (benches/compare_vs_sklearn.py): nested-CV LASSO-logistic over
# the same C grid, AUC and a 500-resample ROC band. radaudit does DeLong, the thresholds,
# calibration, decision curves, NRI/IDI and the report on top. One run, same input file.
# Usage: bash benches/compare_vs_sklearn.sh   (env: RADAUDIT_PEERS venv)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${RADAUDIT_PEERS:-$HOME/.cache/radaudit-peers}
work=$root/target/bench-compare
[ -x "$venv/bin/python" ] || bash "$root/../shared/peers/setup.sh" "$venv"
(cd "$root" && cargo build --release --quiet)
bin=$root/target/release/radaudit
rm -rf "$work" && mkdir -p "$work"
"$bin" phantom cohort --n 200 --seed 11 --out "$work/cohort" 2>/dev/null
sed -e "s|^synthetic:|cohort: $work/cohort/cohort.csv\n#|; s|^  patients: 200.*||" \
  "$root/protocols/compare-dxa-frax.yaml" > "$work/protocol.yaml"

echo "radaudit compare:"
start=$(date +%s.%N)
"$bin" compare "$work/protocol.yaml" --out "$work/run" 2>&1 | grep -E "events|LASSO"
end=$(date +%s.%N)
ours=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
echo "  radaudit: ${ours} s"
echo "scikit-learn:"
"$venv/bin/python" "$root/benches/compare_vs_sklearn.py" "$work/cohort/cohort.csv" \
  osteoporosis_true fracture_simulated | tee "$work/peer.txt"
peer=$(awk '/scikit-learn:/ { print $2 }' "$work/peer.txt")
awk -v a="$ours" -v b="$peer" 'BEGIN { printf "ratio (scikit-learn / radaudit): %.1fx\n", b / a }'
