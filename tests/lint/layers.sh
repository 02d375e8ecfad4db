#!/usr/bin/env bash
# The import direction of ARCHITECTURE.md's layer table holds in src/, and the check is
# proven to catch a module that breaks it (fixtures/layers: `diff` naming `render` inline
# and `verdict` in a `use` group), while comments, strings, char literals and lifetimes
# do not count.
set -euo pipefail
cd "$(dirname "$0")/../.."

python3 tests/lint/layers.py src ARCHITECTURE.md

status=0
found=$(python3 tests/lint/layers.py fixtures/layers/src ARCHITECTURE.md 2>/dev/null) || status=$?
expected="fixtures/layers/src/diff.rs:5: \`diff\` names \`verdict\`, above it
fixtures/layers/src/diff.rs:9: \`diff\` names \`render\`, above it"
if [ "$status" -ne 1 ] || [ "$found" != "$expected" ]; then
  echo "the layer check did not catch the fixture's imports (exit $status):" >&2
  echo "$found" >&2
  exit 1
fi
echo "layers: src/ keeps to ARCHITECTURE.md; the breaking fixture is caught" >&2
