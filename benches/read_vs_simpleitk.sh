#!/usr/bin/env bash
# Benchmark (acceptance 6 of the foundation issue): reading the 512x512x200 gzip NRRD that
# ../shared/peers/make_synth.py writes, radaudit's reader vs SimpleITK's ReadImage, side by
# side in one run, alternating rounds so both see the same machine load.
# Usage: bash benches/read_vs_simpleitk.sh [ROUNDS]   (env: RADAUDIT_PEERS venv, SYNTH_DIR)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
peers="$root/../shared/peers"
venv=${RADAUDIT_PEERS:-$HOME/.cache/radaudit-peers}
data=${SYNTH_DIR:-$root/target/synth}
rounds=${1:-5}

[ -x "$venv/bin/python" ] || bash "$peers/setup.sh" "$venv"
[ -f "$data/big_image.nrrd" ] || "$venv/bin/python" "$peers/make_synth.py" --out "$data"
(cd "$root" && cargo build --release --quiet --features timing --example read_timing)

rad=() sitk=()
for _ in $(seq "$rounds"); do
  rad+=("$("$root/target/release/examples/read_timing" "$data/big_image.nrrd" 1 | awk '{print $4}')")
  sitk+=("$("$venv/bin/python" -c "
import time, SimpleITK as sitk
t = time.perf_counter(); sitk.ReadImage('$data/big_image.nrrd'); print('%.3f' % (time.perf_counter() - t))")")
done
"$venv/bin/python" - "${rad[*]}" "${sitk[*]}" <<'PY'
import statistics, sys, SimpleITK
rad = [float(x) for x in sys.argv[1].split()]
sitk = [float(x) for x in sys.argv[2].split()]
mr, ms = statistics.median(rad), statistics.median(sitk)
print(f"512x512x200 int16 gzip NRRD, {len(rad)} alternating rounds")
print(f"radaudit  read: median {mr:.3f} s  (all: {rad})")
print(f"SimpleITK {SimpleITK.Version_VersionString()} ReadImage: median {ms:.3f} s  (all: {sitk})")
print(f"ratio SimpleITK/radaudit: {ms / mr:.2f}x")
PY
