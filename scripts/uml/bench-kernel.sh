#!/usr/bin/env bash
# `npm run bench:kernel`: the real-kernel benchmark (bench/kernel.ts) inside User-Mode
# Linux: builds or finds the cached kernel, boots it, runs the compiled bench, prints
# the figures. Needs root, like the kernel tests. Assumes `npx tsc -p .` has run.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
[ -f dist/bench/kernel.js ] || { echo "dist/bench/kernel.js is missing: run npx tsc -p . first" >&2; exit 1; }
LINUX=$(bash "$HERE/build.sh" | tail -n 1)
exec bash "$HERE/run.sh" --linux "$LINUX" --cwd "$REPO" --mem "${UML_MEM:-3G}" --timeout "${UML_TIMEOUT:-1800}" -- node dist/bench/kernel.js
