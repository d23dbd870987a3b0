#!/usr/bin/env bash
# Benchmark: radaudit ComBat and ICC vs neuroCombat and pingouin, side by side (see
# stats_vs_peers.py). Usage: bash benches/stats_vs_peers.sh [combat] [icc]
# (env: RADAUDIT_PEERS venv, ROUNDS, BENCH_DIR, RAYON_NUM_THREADS, PEER_NONPARAMETRIC=1)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${RADAUDIT_PEERS:-$HOME/.cache/radaudit-peers}
[ -x "$venv/bin/python" ] || bash "$root/../shared/peers/setup.sh" "$venv"
(cd "$root" && cargo build --release --quiet && cargo build --release --quiet --features timing --example combat_timing --example icc_timing)
"$venv/bin/python" "$root/benches/stats_vs_peers.py" "$@"
