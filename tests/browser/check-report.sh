#!/usr/bin/env bash
# Checks the local HTML preview in a real browser: renders the bundled example's report.html
# in headless Chromium (Debian's `chromium`, installed here if missing), then checks the DOM
# (the metrics and params tables are there, with their rows) and the screenshot (a real
# page, not blank, with table borders drawn). The screenshot is kept in
# target/browser/report.png for people to look at.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (Debian package)" >&2
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get install -y -q chromium >/dev/null 2>&1 || {
    $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q chromium >/dev/null
  }
fi

out=target/browser
rm -rf "$out" && mkdir -p "$out"
cargo build --quiet --locked
./target/debug/mlci report --dry-run --quiet --out "$out/report" \
  --base-dir examples/classifier/snapshots/base --head-dir examples/classifier/snapshots/head >/dev/null

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --hide-scrollbars --user-data-dir="$profile")
page="file://$PWD/$out/report/report.html"
chromium "${flags[@]}" --window-size=1000,1400 --screenshot="$out/report.png" "$page" 2>/dev/null
chromium "${flags[@]}" --dump-dom "$page" 2>/dev/null > "$out/dom.html"

python3 - "$out/dom.html" "$out/report.png" <<'PY'
import re, struct, sys, zlib

dom = open(sys.argv[1], encoding="utf-8").read()
tables = re.findall(r"<table>.*?</table>", dom, re.S)
assert len(tables) >= 2, f"expected the metrics and params tables, found {len(tables)}"
assert "test.loss" in dom and "train.hidden" in dom, "table rows are missing from the DOM"
assert "<summary>" in dom and "mlci report" in dom
import os
images = re.findall(r'<img[^>]+src="([^"]+)"', dom)
assert len(images) >= 8, f"expected the charts and images, found {len(images)}"
report_dir = os.path.dirname(sys.argv[1]) + "/report"
missing = [src for src in images if not os.path.isfile(os.path.join(report_dir, src))]
assert not missing, f"images the page links but that are not there: {missing}"

# Decode the PNG with the standard library only.
data = open(sys.argv[2], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, chunks, width = 8, [], None
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        width, height, depth, color = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        chunks.append(body)
    pos += 12 + length
raw = zlib.decompress(b"".join(chunks))
channels = {2: 3, 6: 4}[color]
stride = width * channels
rows, prev = [], bytearray(stride)
i = 0
for _ in range(height):
    kind, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for x in range(stride):
        a = line[x - channels] if x >= channels else 0
        b, c = prev[x], prev[x - channels] if x >= channels else 0
        if kind == 1: line[x] = (line[x] + a) & 255
        elif kind == 2: line[x] = (line[x] + b) & 255
        elif kind == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif kind == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line)); prev = line
colors = {}
for row in rows[::2]:
    for x in range(0, stride, channels):
        px = row[x:x + 3]
        colors[px] = colors.get(px, 0) + 1
dark = sum(n for px, n in colors.items() if max(px) < 100)
border = sum(n for px, n in colors.items() if px == bytes((0xd1, 0xd9, 0xe0)))
assert (width, height) == (1000, 1400), (width, height)
assert len(colors) > 20, "the screenshot is (nearly) one colour"
assert dark > 2000, f"too little text drawn ({dark} dark samples)"
assert border > 1000, f"no table borders drawn ({border} border samples)"
print(f"browser check: {len(tables)} tables and {len(images)} images in the DOM; screenshot {width}x{height}, "
      f"{len(colors)} colours, {dark} text samples, {border} border samples")
PY
