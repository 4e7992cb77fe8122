#!/usr/bin/env bash
# `npm run bench:kernel`: the real-kernel benchmark (bench/kernel.ts) inside User-Mode
# Linux, on each kernel in turn (6.1, then 6.12; DEVLINK_SF_UML_KERNELS="6.12" picks
# one): builds or finds the cached kernel, boots it, runs the compiled bench, prints the
# figures under a "== kernel X ==" line (the bench's own first line gives `uname -r`).
# Needs root, like the kernel tests. Assumes `npx tsc -p .` has run. Exits non-zero if
# the bench failed on any kernel.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
[ -f dist/bench/kernel.js ] || { echo "dist/bench/kernel.js is missing: run npx tsc -p . first" >&2; exit 1; }
read -r -a KERNELS <<<"${DEVLINK_SF_UML_KERNELS:-6.1 6.12}"
rc=0
for k in "${KERNELS[@]}"; do
    LINUX=$(bash "$HERE/build.sh" "$k" | tail -n 1)
    printf '== kernel %s (Debian linux-source-%s, %s) ==\n' "$k" "$k" "$LINUX"
    krc=0
    bash "$HERE/run.sh" --linux "$LINUX" --cwd "$REPO" --mem "${UML_MEM:-3G}" --timeout "${UML_TIMEOUT:-1800}" \
        --env "DEVLINK_SF_UML_KERNEL=$k" -- node dist/bench/kernel.js || krc=$?
    [ $krc = 0 ] || { printf '== kernel %s: the bench failed (exit %s) ==\n' "$k" "$krc"; [ $rc != 0 ] || rc=$krc; }
done
exit "$rc"
