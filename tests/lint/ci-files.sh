#!/usr/bin/env bash
# Lints the CI files users copy: the GitLab template and every `.gitlab-ci.yml` example in
# the README are validated against GitLab's published CI schema (check-jsonschema's
# `vendor.gitlab-ci`). The tools live in a venv under target/, installed from PyPI on
# first use and pinned.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/lint-venv
if [ ! -x "$venv/bin/check-jsonschema" ]; then
  echo "installing check-jsonschema into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "check-jsonschema==0.39.0"
fi

out=target/lint
rm -rf "$out" && mkdir -p "$out"

# The README's GitLab examples: each ```yaml block whose first line is `# .gitlab-ci.yml`.
awk -v out="$out" '
  /^```yaml$/ { block = 1; first = 1; next }
  /^```$/ { block = 0; file = ""; next }
  block && first { first = 0; if ($0 ~ /^# \.gitlab-ci\.yml/) { n++; file = out "/readme-" n ".gitlab-ci.yml" } }
  block && file != "" { print > file }
' README.md
examples=("$out"/readme-*.gitlab-ci.yml)
if [ ! -e "${examples[0]}" ]; then
  echo "no .gitlab-ci.yml example found in README.md" >&2
  exit 1
fi

"$venv/bin/check-jsonschema" --builtin-schema vendor.gitlab-ci ci/mlci.gitlab-ci.yml "${examples[@]}"
echo "GitLab CI files valid: ci/mlci.gitlab-ci.yml and ${#examples[@]} README example(s)" >&2
