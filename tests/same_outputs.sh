#!/usr/bin/env bash
# Behaviour unchanged across a refactor: builds revision REV (default: origin of the last
# refactor, f811922) beside the working tree, runs the default audit with both binaries, and
# checks that features.csv, stability.csv, harmonized_stability.csv, errors.csv and
# summary.json are byte-identical, manifest.json differs only in its timings, and every
# command's --help says the same (the binary's name aside; and the list of perturbation
# elements after `perturb --help`, which is drawn from the element table since 9684e4b, one
# element a line, is left out).
# Usage: bash tests/same_outputs.sh [REV]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rev=${1:-f811922}
work=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$work/old" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$root" worktree add --detach "$work/old" "$rev" >/dev/null
(cd "$work/old" && CARGO_TARGET_DIR="$root/target/same-outputs" cargo build --release --quiet)
(cd "$root" && cargo build --release --quiet)
old=$root/target/same-outputs/release/radaudit
new=$root/target/release/radaudit
for side in old new; do
  bin=${!side}
  (cd "$root" && "$bin" audit protocols/vertebra-ct.yaml --out "$work/$side" 2>/dev/null) || [ $? -eq 1 ]
  mkdir -p "$work/help-$side"
  "$bin" --help | sed 's/^Usage: [^ ]*/Usage: radaudit/' > "$work/help-$side/_root"
  for c in info convert extract icc harmonize audit merge slurm k8s compare claims ibsi-check \
           calibrate perturb phantom roc "phantom qct" "phantom cohort" "phantom vertebra"; do
    # shellcheck disable=SC2086
    "$bin" $c --help | sed 's/^Usage: [^ ]*/Usage: radaudit/; /^Elements (separated/,$d' > "$work/help-$side/${c// /-}"
  done
done
status=0
for f in features.csv stability.csv harmonized_stability.csv errors.csv summary.json; do
  if cmp -s "$work/old/$f" "$work/new/$f"; then echo "same: $f"; else echo "DIFFERS: $f"; status=1; fi
done
if diff <(grep -v '_seconds' "$work/old/manifest.json") <(grep -v '_seconds' "$work/new/manifest.json") >/dev/null; then
  echo "same: manifest.json (timings aside)"
else
  echo "DIFFERS: manifest.json"; status=1
fi
if diff -r "$work/help-old" "$work/help-new"; then echo "same: every --help"; else status=1; fi
exit $status
