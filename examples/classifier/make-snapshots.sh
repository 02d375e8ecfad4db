#!/usr/bin/env bash
# Trains the example twice (the base parameters, then the head parameters of a pretend pull
# request) and keeps each run's files under snapshots/{base,head}: the bundled example that
# `mlci report --dry-run --base-dir ... --head-dir ...` reads without git.
#
# Needs Python 3 with requirements.txt installed, e.g.:
#   python3 -m venv /tmp/clf && /tmp/clf/bin/pip install -r requirements.txt
#   PYTHON=/tmp/clf/bin/python ./make-snapshots.sh
set -euo pipefail
cd "$(dirname "$0")"
python=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() { # run NAME PARAMS_FILE
  local name=$1 params=$2
  rm -rf "$work/run" && mkdir -p "$work/run"
  cp train.py dvc.yaml "$work/run/"
  cp "$params" "$work/run/params.yaml"
  (cd "$work/run" && "$python" train.py 2> >(grep -v "without a Git Repo\|Create a Git repo" >&2))
  rm -rf "snapshots/$name" && mkdir -p "snapshots/$name"
  cp -r "$work/run/dvc.yaml" "$work/run/params.yaml" "$work/run/dvclive" "snapshots/$name/"
}

run base params.yaml
# The pull request: a wider network, a higher learning rate, fewer epochs.
sed -e 's/epochs: 30/epochs: 20/' -e 's/hidden: \[32\]/hidden: [64, 32]/' -e 's/lr: 0.001/lr: 0.003/' \
  params.yaml > "$work/head-params.yaml"
run head "$work/head-params.yaml"
cp .mlci.toml snapshots/head/.mlci.toml
echo "wrote snapshots/base and snapshots/head" >&2
