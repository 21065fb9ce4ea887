#!/usr/bin/env bash
# Fails when the committed dist/ differs from a fresh build of src/.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r dist "$tmp/committed" 2>/dev/null || mkdir -p "$tmp/committed"
npm run --silent bundle >/dev/null
if ! diff -r "$tmp/committed" dist >/dev/null; then
  echo "dist/ differs from a fresh build of src/: run 'npm run bundle' and commit dist/." >&2
  diff -rq "$tmp/committed" dist >&2 || true
  exit 1
fi
echo "dist/ matches a fresh build"
