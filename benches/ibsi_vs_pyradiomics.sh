#!/usr/bin/env bash
# Benchmark (issue 5): IBSI-mode extraction against PyRadiomics on the same input, the IBSI 1
# CT phantom (PAT1, GTV-1, 125k ROI voxels), in two set-ups:
# - "C": both resample to 2x2x2 mm (linear), re-segment to [-1000, 400] HU and bin by 25 HU
#   (IBSI configuration C). radaudit computes the 210 IBSI features of configuration C (all
#   eleven families, 3-D); PyRadiomics its 107 default features.
# - "A": the native 0.98x0.98x3 mm grid, [-500, 400] HU, 25 HU bins (IBSI configuration A):
#   radaudit the 346 features of 2-D and 2.5-D aggregation, PyRadiomics its 107 (3-D).
# The definitions differ (that is the point of IBSI mode), so this compares the cost of the
# same job, not the values. Whole processes, alternating rounds.
# Usage: bash benches/ibsi_vs_pyradiomics.sh [ROUNDS]   (env: RADAUDIT_PEERS venv)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3}
venv=${RADAUDIT_PEERS:-$HOME/.cache/radaudit-peers}
ibsi=$root/../shared/reference/ibsi1/ct_phantom/nifti
work=$root/target/bench-ibsi
[ -x "$venv/bin/python" ] || bash "$root/../shared/peers/setup.sh" "$venv"
(cd "$root" && cargo build --release --quiet)
bin=$root/target/release/radaudit
rm -rf "$work" && mkdir -p "$work"
cat > "$work/ibsi-C.yaml" <<'YAML'
convention: ibsi
round_intensities: true
interpolation: {spacing: [2, 2, 2], image: linear, roi_threshold: 0.5}
resegment: {range: [-1000, 400]}
discretisation: {bin_size: 25}
ivh: {bin_size: 2.5}
texture: [3D]
YAML
cat > "$work/pyrad-C.yaml" <<'YAML'
imageType: {Original: {}}
setting:
  binWidth: 25
  label: 1
  resampledPixelSpacing: [2, 2, 2]
  interpolator: sitkLinear
  resegmentRange: [-1000, 400]
YAML
cat > "$work/ibsi-A.yaml" <<'YAML'
convention: ibsi
round_intensities: true
resegment: {range: [-500, 400]}
discretisation: {bin_size: 25}
texture: [2D, 2.5D]
YAML
cat > "$work/pyrad-A.yaml" <<'YAML'
imageType: {Original: {}}
setting:
  binWidth: 25
  label: 1
  resegmentRange: [-500, 400]
YAML
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
for setup in C A; do
  ours=(); peer=()
  for r in $(seq "$rounds"); do
    s=$(date +%s.%N)
    "$bin" extract --image "$ibsi/image/phantom.nii.gz" --mask "$ibsi/mask/mask.nii.gz" \
      --params "$work/ibsi-$setup.yaml" --out "$work/radaudit-$setup.csv"
    e=$(date +%s.%N); ours+=("$(secs "$s" "$e")")
    s=$(date +%s.%N)
    "$venv/bin/python" "$root/../shared/peers/pyrad_extract.py" "$ibsi/image/phantom.nii.gz" \
      "$ibsi/mask/mask.nii.gz" "$work/pyradiomics-$setup.csv" --params "$work/pyrad-$setup.yaml" >/dev/null 2>&1
    e=$(date +%s.%N); peer+=("$(secs "$s" "$e")")
    echo "$setup round $r: radaudit ibsi ${ours[-1]} s ($(($(wc -l < "$work/radaudit-$setup.csv") - 1)) features), PyRadiomics ${peer[-1]} s ($(($(wc -l < "$work/pyradiomics-$setup.csv") - 1)) features)"
  done
  mo=$(median "${ours[@]}"); mp=$(median "${peer[@]}")
  echo "$setup median: radaudit ${mo} s, PyRadiomics ${mp} s"
  awk -v s="$setup" -v a="$mo" -v b="$mp" 'BEGIN { printf "%s ratio (PyRadiomics / radaudit): %.1fx\n", s, b / a }'
done
