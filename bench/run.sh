#!/usr/bin/env bash
# Benchmarks mlci against dvc (and, for charts, matplotlib), side by side in one run.
# Makes a venv with the competitors from PyPI (kept in target/bench-venv between runs),
# builds mlci in release mode, then runs bench/bench.py. Prints a markdown table.
#
#   bench/run.sh [--runs N] [--json results.json]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(realpath -m "${BENCH_VENV:-target/bench-venv}")
if [ ! -x "$venv/bin/dvc" ]; then
  echo "creating $venv with dvc from PyPI" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'dvc==3.67.1' 'matplotlib>=3.8'
fi
cargo build --release --locked --quiet
PATH="$venv/bin:$PATH" "$venv/bin/python" bench/bench.py --dvc "$venv/bin/dvc" "$@"
