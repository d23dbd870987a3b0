#!/usr/bin/env bash
# Issue 11 acceptance 1 and 2 on a real SLURM cluster (run by .ci/run; needs root): starts the
# single-node cluster (../shared/slurm), runs a reduced default protocol (8 vertebrae instead
# of 24) as a 4-shard array plus merge through `radaudit slurm --submit`, checks the merged
# features.csv and stability.csv are byte-identical to a single-process run; then deletes one
# shard's output, checks `merge` refuses naming it (exit 2), resubmits with --only-missing and
# checks the tables again; stops the cluster. Prints the 2-shard-vs-one-process timing of the
# full default protocol with --bench.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${RADAUDIT_SHARED:-$root/../shared}
bin=$root/target/release/radaudit
work=$(mktemp -d)
(cd "$root" && cargo build --release --quiet)
trap 'bash "$shared/slurm/stop.sh" >/dev/null 2>&1 || true' EXIT
bash "$shared/slurm/start-single-node-slurm.sh" | tail -1

wait_for() { # job ids...
  local deadline=$(( $(date +%s) + 900 ))
  while squeue -h -j "$(IFS=,; echo "$*")" 2>/dev/null | grep -q .; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "slurm.sh: timeout"; squeue; exit 1; }
    sleep 0.5
  done
}
same() { # dir dir
  for f in features.csv stability.csv; do
    cmp -s "$1/$f" "$2/$f" || { echo "slurm.sh: $f differs between $1 and $2"; exit 1; }
  done
}

# The reduced default protocol (it has no relative paths, so it can live in the work folder).
protocol=$work/reduced.yaml
sed -e 's/^    count: 24 /    count: 8  /' "$root/protocols/vertebra-ct.yaml" > "$protocol"
grep -q "count: 8 " "$protocol" || { echo "slurm.sh: could not reduce the protocol"; exit 1; }

"$bin" audit "$protocol" --out "$work/single" --threads 2 2>/dev/null || [ $? -eq 1 ]
read -r shards merge < <("$bin" slurm "$protocol" --out "$work/sharded" --shards 4 --submit 2>/dev/null)
wait_for "$shards" "$merge"
[ -f "$work/sharded/summary.json" ] || { echo "slurm.sh: merge did not run"; cat "$work/sharded/slurm/merge.log"; exit 1; }
same "$work/single" "$work/sharded"
echo "slurm.sh: 4-shard array + merge equal the single run (features.csv, stability.csv)"

# A lost shard: merge names it; --only-missing reruns just that one.
rm "$work/sharded/shards/2.json" "$work/sharded/shards/2.parquet"
set +e
msg=$("$bin" merge "$work/sharded" 2>&1); code=$?
set -e
[ $code -eq 2 ] && grep -q "2/4" <<<"$msg" || { echo "slurm.sh: merge did not refuse the missing shard: $code $msg"; exit 1; }
rm "$work/sharded/features.csv" "$work/sharded/stability.csv"
read -r shards merge < <("$bin" slurm "$protocol" --out "$work/sharded" --shards 4 --only-missing --submit 2>"$work/only.txt")
grep -q "submitted shards 2 as job" "$work/only.txt" || { echo "slurm.sh: --only-missing did not resubmit shard 2"; cat "$work/only.txt"; exit 1; }
wait_for "$shards" "$merge"
same "$work/single" "$work/sharded"
echo "slurm.sh: shard 2 lost, named by merge, rerun by --only-missing; tables equal again"

if [ "${1:-}" = "--bench" ]; then
  start=$(date +%s.%N)
  "$bin" audit "$root/protocols/vertebra-ct.yaml" --out "$work/bench-single" --threads 2 2>/dev/null || true
  one=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  start=$(date +%s.%N)
  read -r shards merge < <("$bin" slurm "$root/protocols/vertebra-ct.yaml" --out "$work/bench-sharded" --shards 2 --submit 2>/dev/null)
  wait_for "$shards" "$merge"
  two=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  same "$work/bench-single" "$work/bench-sharded"
  awk -v a="$one" -v b="$two" 'BEGIN { printf "slurm.sh bench: one process --threads 2 %.2f s; 2-shard SLURM array + merge %.2f s; %.2fx\n", a, b, b / a }'
fi
rm -rf "$work"
echo "SLURM TEST OK"
