#!/usr/bin/env bash
# The release binary's bounds: built with the `dist` profile (LTO, one codegen unit,
# stripped), at most 15 MB; it links libc-level libraries only (no OpenSSL, no fontconfig);
# it needs glibc 2.34 at most when built on this machine (the release workflow links against
# 2.28 with cargo-zigbuild); and it runs a report with a bare environment, only git on PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --locked --profile dist
bin=target/dist/mlci

size=$(stat -c %s "$bin")
limit=$((15 * 1024 * 1024))
if [ "$size" -gt "$limit" ]; then
  echo "the binary is $size bytes, over $limit" >&2
  exit 1
fi

libraries=$(ldd "$bin")
if echo "$libraries" | grep -vE 'linux-vdso|libgcc_s\.so|libm\.so|libc\.so|ld-linux|libpthread\.so|libdl\.so|librt\.so'; then
  echo "the binary links a library beyond libc's (above)" >&2
  exit 1
fi

glibc=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
if [ "$(printf '%s\n' "$glibc" GLIBC_2.34 | sort -V | tail -1)" != GLIBC_2.34 ]; then
  echo "the binary needs $glibc, newer than GLIBC_2.34" >&2
  exit 1
fi

bare=$(mktemp -d)
trap 'rm -rf "$bare"' EXIT
mkdir "$bare/bin"
ln -s "$(command -v git)" "$bare/bin/git"
env -i PATH="$bare/bin" "$PWD/$bin" report --dry-run --quiet --out "$bare/out" \
  --base-dir examples/classifier/snapshots/base --head-dir examples/classifier/snapshots/head >/dev/null
test -s "$bare/out/report.md"

python3 - docs/report.png <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read(24)
assert data[:8] == b"\x89PNG\r\n\x1a\n", "docs/report.png is not a PNG"
assert struct.unpack(">II", data[16:24]) == (1000, 1240), "docs/report.png is not docs/make-screenshot.sh's 1000x1240"
PY
echo "release binary: $size bytes, needs $glibc, libraries: $(echo "$libraries" | awk '{print $1}' | tr '\n' ' ')" >&2
