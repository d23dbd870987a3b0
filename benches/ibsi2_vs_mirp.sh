#!/usr/bin/env bash
# Benchmark (issue 21): the IBSI 2 phase 2 configurations 1.A-9.B on the IBSI CT phantom,
# radaudit (`extract --convention ibsi` with the configuration's `filter:`) against MIRP 2.7
# (the IBSI reference implementation, benches/ibsi2_vs_mirp.py), side by side: for each
# configuration one whole process of each, alternating, ROUNDS rounds; medians of wall time
# and of peak RSS (GNU time), per configuration and summed.
# MIRP is installed from the package index into a venv of its own ($RADAUDIT_MIRP, default
# ~/.cache/radaudit-mirp) when missing.
# Usage: bash benches/ibsi2_vs_mirp.sh [ROUNDS] [THREADS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-1}
threads=${2:-2}
venv=${RADAUDIT_MIRP:-$HOME/.cache/radaudit-mirp}
ct=$root/../shared/reference/ibsi1/ct_phantom/nifti
image=$ct/image/phantom.nii.gz
mask=$ct/mask/mask.nii.gz
work=$root/target/bench-ibsi2
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import mirp" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "mirp==2.7.*"
fi
(cd "$root" && cargo build --release --quiet)
bin=$root/target/release/radaudit
rm -rf "$work" && mkdir -p "$work"
# radaudit's filter per configuration family (the phase 2 table of the IBSI 2 manual).
spec() {
  local family=${1%.*} letter=${1#*.}
  local dims=3D; [ "$letter" = A ] && dims=2D
  case $family in
    1) echo "" ;;
    2) echo "mean:support=5,boundary=mirror,dims=$dims" ;;
    3) echo "log:sigma=1.5,cutoff=4,boundary=mirror,dims=$dims" ;;
    4) [ "$letter" = A ] && k=L5E5 || k=L5E5E5
       echo "laws:kernel=$k,invariance=true,pooling=max,energy=7,boundary=mirror,dims=$dims" ;;
    5) o=""; [ "$letter" = B ] && o=",orthogonal=true"
       echo "gabor:sigma=5,lambda=2,gamma=1.5,delta_theta=0.392699,pooling=average,boundary=mirror$o" ;;
    6) [ "$letter" = A ] && b=LH || b=LLH
       echo "wavelet:name=db3,band=$b,level=1,invariance=true,boundary=mirror,dims=$dims" ;;
    7) [ "$letter" = A ] && b=HH || b=HHH
       echo "wavelet:name=db3,band=$b,level=2,invariance=true,boundary=mirror,dims=$dims" ;;
    8) echo "simoncelli:level=1,dims=$dims" ;;
    9) echo "simoncelli:level=2,dims=$dims" ;;
  esac
}
configs="1.A 1.B 2.A 2.B 3.A 3.B 4.A 4.B 5.A 5.B 6.A 6.B 7.A 7.B 8.A 8.B 9.A 9.B"
for c in $configs; do
  {
    echo "convention: ibsi"
    echo "round_intensities: true"
    [ "${c#*.}" = B ] && echo "interpolation: {spacing: [1, 1, 1], image: cubic, roi_threshold: 0.5}"
    echo "resegment: {range: [-1000, 400]}"
    echo "features: [intensity_statistics]"
    f=$(spec "$c"); [ -n "$f" ] && echo "filter: \"$f\""
  } > "$work/$c.yaml"
done
# Seconds and peak KB of one command, from GNU time.
measure() {
  local log=$1; shift
  /usr/bin/time -f "%e %M" -o "$log.time" "$@" > "$log.out" 2> "$log.err"
  cat "$log.time"
}
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
printf '%-5s %10s %10s %8s %10s %10s %8s\n' config "mirp s" "ours s" ratio "mirp MB" "ours MB" "memory"
sum_m=0; sum_o=0; max_rss_m=0; max_rss_o=0
for c in $configs; do
  tm=(); to=(); rm=(); ro=()
  for r in $(seq "$rounds"); do
    read -r t k < <(measure "$work/$c.mirp" "$venv/bin/python" "$root/benches/ibsi2_vs_mirp.py" "$c" "$image" "$mask")
    tm+=("$t"); rm+=("$k")
    read -r t k < <(RAYON_NUM_THREADS=$threads measure "$work/$c.ours" "$bin" extract --convention ibsi \
      --image "$image" --mask "$mask" --params "$work/$c.yaml" --out "$work/$c.csv")
    to+=("$t"); ro+=("$k")
  done
  m=$(median "${tm[@]}"); o=$(median "${to[@]}")
  km=$(median "${rm[@]}"); ko=$(median "${ro[@]}")
  awk -v c="$c" -v m="$m" -v o="$o" -v km="$km" -v ko="$ko" 'BEGIN {
    printf "%-5s %10.2f %10.2f %7.1fx %10.0f %10.0f %7.1f%%\n", c, m, o, m / o, km / 1024, ko / 1024, 100 * ko / km }'
  sum_m=$(awk -v a="$sum_m" -v b="$m" 'BEGIN { print a + b }')
  sum_o=$(awk -v a="$sum_o" -v b="$o" 'BEGIN { print a + b }')
  max_rss_m=$(awk -v a="$max_rss_m" -v b="$km" 'BEGIN { print (b > a) ? b : a }')
  max_rss_o=$(awk -v a="$max_rss_o" -v b="$ko" 'BEGIN { print (b > a) ? b : a }')
done
awk -v m="$sum_m" -v o="$sum_o" -v km="$max_rss_m" -v ko="$max_rss_o" -v t="$threads" 'BEGIN {
  printf "all 18 configurations (radaudit on %d thread(s)): MIRP %.1f s, radaudit %.2f s: %.1fx faster; largest peak RSS MIRP %.0f MB, radaudit %.0f MB (%.1f%%)\n", t, m, o, m / o, km / 1024, ko / 1024, 100 * ko / km }'
