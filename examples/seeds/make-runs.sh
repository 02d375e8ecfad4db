#!/usr/bin/env bash
# Trains the classifier of ../classifier five times (seeds 0 to 4: the train/test split and
# the network's initialisation both change) with the base parameters, then five times with
# the head parameters of a pretend pull request that changes the batch size from 32 to 30 (a
# change that reshuffles training without making it better or worse), and
# keeps each run's metrics under snapshots/{base,head}/runs/seed-N/metrics.json.
#
# Needs Python 3 with ../classifier/requirements.txt installed, e.g.:
#   python3 -m venv /tmp/clf && /tmp/clf/bin/pip install -r ../classifier/requirements.txt
#   PYTHON=/tmp/clf/bin/python ./make-runs.sh
set -euo pipefail
cd "$(dirname "$0")"
python=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() { # run SIDE SEED BATCH_SIZE
  local side=$1 seed=$2 batch=$3
  rm -rf "$work/run" && mkdir -p "$work/run"
  cp ../classifier/train.py "$work/run/"
  sed -e "s/^  seed: 42$/  seed: $((100 + seed))/" -e "s/^  seed: 7$/  seed: $seed/" \
      -e "s/^  batch_size: 32$/  batch_size: $batch/" ../classifier/params.yaml > "$work/run/params.yaml"
  (cd "$work/run" && "$python" train.py 2> >(grep -v "without a Git Repo\|Create a Git repo" >&2))
  mkdir -p "snapshots/$side/runs/seed-$seed"
  cp "$work/run/dvclive/metrics.json" "snapshots/$side/runs/seed-$seed/metrics.json"
}

rm -rf snapshots
for seed in 0 1 2 3 4; do
  run base "$seed" 32
  run head "$seed" 30
done
cp .mlci.toml snapshots/head/.mlci.toml
echo "wrote snapshots/base and snapshots/head" >&2
