#!/usr/bin/env bash
# Makes docs/report.png, the picture at the top of the README: the bundled example's report
# (examples/classifier: a real training run, base and head), rendered by mlci's own HTML
# preview in headless Chromium, the first 1000x1240 pixels. Re-run it when the report's
# look changes; .ci/run checks that the picture is a PNG of that size.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v chromium >/dev/null || { echo "needs Debian's chromium (apt-get install chromium)" >&2; exit 2; }
# The verdict marks are emoji: without a colour emoji font Chromium draws empty boxes.
fc-list | grep -qi "color emoji" || { echo "needs a colour emoji font (apt-get install fonts-noto-color-emoji)" >&2; exit 2; }
cargo build --quiet --locked --release
out=$(mktemp -d)
profile=$(mktemp -d)
trap 'rm -rf "$out" "$profile"' EXIT
./target/release/mlci report --dry-run --quiet --out "$out/report" \
  --title "Classifier: a wider network, a higher learning rate, fewer epochs" \
  --base-dir examples/classifier/snapshots/base --head-dir examples/classifier/snapshots/head >/dev/null
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --hide-scrollbars --user-data-dir="$profile" --window-size=1000,1240 \
  --screenshot="docs/report.png" "file://$out/report/report.html" 2>/dev/null
echo "wrote docs/report.png" >&2
