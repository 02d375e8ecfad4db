#!/usr/bin/env bash
# Benchmarks mlci against dvc (for charts, matplotlib; for data files, pandas), side by
# side in one run.
# Makes a venv with the competitors from PyPI (kept in target/bench-venv between runs),
# builds mlci in release mode, then runs bench/bench.py. Prints a markdown table.
#
#   bench/run.sh [--runs N] [--json results.json] [--only compare|scale|git|post|discovery]
#
# `--only git` runs the rows that read git objects (the metrics and params diffs, and the
# chart race from git, with mlci's time broken down by phase); see bench/bench.py.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(realpath -m "${BENCH_VENV:-target/bench-venv}")
if [ ! -x "$venv/bin/dvc" ] || ! "$venv/bin/python" -c "import pandas, matplotlib" 2>/dev/null; then
  echo "creating $venv with dvc, matplotlib and pandas from PyPI" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'dvc==3.67.1' 'matplotlib>=3.8' 'pandas>=2.2'
fi
cargo build --release --locked --quiet
PATH="$venv/bin:$PATH" "$venv/bin/python" bench/bench.py --dvc "$venv/bin/dvc" "$@"
