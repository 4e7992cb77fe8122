#!/usr/bin/env bash
# The project's test command (README; .ci/run calls it): installs what is missing,
# runs the unit tests with coverage, then the real-kernel tier in User-Mode Linux
# (which builds and caches the kernel on first use). Exits non-zero when any fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
echo "== unit tests (mocha, coverage by c8) =="
npx --no-install c8 mocha 2>&1 | tee "$log" || status=$?
passed=$(grep -Eo '^ +[0-9]+ passing' "$log" | grep -Eo '[0-9]+' | tail -1 || true)
failed=$(grep -Eo '^ +[0-9]+ failing' "$log" | grep -Eo '[0-9]+' | tail -1 || true)
echo "unit: ${passed:-0} passed, ${failed:-0} failed"
[ "$status" -eq 0 ] || { echo "unit tests failed (exit $status)"; exit "$status"; }

echo "== API reference and reports (TypeDoc, API Extractor) =="
bash scripts/api.sh

if [ "${DEVLINK_SF_SKIP_KERNEL:-0}" = 1 ]; then
    echo "== real-kernel tier skipped (DEVLINK_SF_SKIP_KERNEL=1) =="
    exit 0
fi
echo "== real-kernel tier (User-Mode Linux, netdevsim) =="
bash scripts/uml/test-kernel.sh
