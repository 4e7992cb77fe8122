#!/usr/bin/env bash
# The guest half of scripts/uml/selftests.sh: runs inside User-Mode Linux (through run.sh).
# Not meant to be run on the host.
#
#   bash scripts/uml/selftests-guest.sh DIR OUT TIMEOUT SCRIPT...
#
# DIR is the extracted tools/testing/selftests/drivers/net/netdevsim directory of the
# kernel's source; OUT a directory on the host's /tmp (the guest sees it at the same
# path). Each SCRIPT runs twice, one run at a time: first with iproute2's devlink, then
# with devlink-sf's shim directory (OUT/shim, holding `devlink`) first on PATH. Each run
# leaves OUT/<mode>/<script>.log (stdout and stderr), .rc (its exit code; 124 when it
# was stopped after TIMEOUT seconds) and .sec (its wall time in seconds).
set -uo pipefail

DIR=$1 OUT=$2 TIMEOUT=$3
shift 3

# The scripts check for jq and mausezahn when lib.sh is sourced; none of the netdevsim
# devlink scripts sends packets with mausezahn.
export REQUIRE_MZ=no
BASE_PATH=$PATH

cleanup_between_runs() {
    # A script that was stopped by the timeout leaves its devices and namespaces behind.
    local d ns
    for d in /sys/bus/netdevsim/devices/netdevsim*; do
        [ -e "$d" ] || continue
        echo "${d##*netdevsim}" >/sys/bus/netdevsim/del_device 2>/dev/null || true
    done
    for ns in $(ip netns list 2>/dev/null | cut -d' ' -f1); do ip netns del "$ns" 2>/dev/null || true; done
}

cd "$DIR" || exit 2
for script in "$@"; do
    for mode in iproute2 devlink-sf; do
        mkdir -p "$OUT/$mode"
        if [ "$mode" = devlink-sf ]; then PATH=$OUT/shim:$BASE_PATH; else PATH=$BASE_PATH; fi
        export PATH
        printf '[selftests] %s with %s (devlink is %s)\n' "$script" "$mode" "$(command -v devlink)"
        start=$(date +%s)
        rc=0
        timeout -k 10 "$TIMEOUT" bash "./$script" </dev/null >"$OUT/$mode/$script.log" 2>&1 || rc=$?
        echo "$rc" >"$OUT/$mode/$script.rc"
        echo "$(( $(date +%s) - start ))" >"$OUT/$mode/$script.sec"
        PATH=$BASE_PATH
        cleanup_between_runs
    done
done
exit 0
