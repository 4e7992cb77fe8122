#!/usr/bin/env bash
# The guest half of scripts/uml/selftests.sh: runs inside User-Mode Linux (through run.sh).
# Not meant to be run on the host.
#
#   bash scripts/uml/selftests-guest.sh DIR OUT TIMEOUT MODE SCRIPT
#
# DIR is the extracted tools/testing/selftests/drivers/net/netdevsim directory of the
# kernel's source; OUT a directory on the host's /tmp (the guest sees it at the same
# path). Runs SCRIPT once: with iproute2's devlink (MODE iproute2) or with devlink-sf's
# shim directory OUT/shim, which holds `devlink`, first on PATH (MODE devlink-sf), and
# leaves OUT/MODE/SCRIPT.log (stdout and stderr), .rc (its exit code; 124 when it was
# stopped after TIMEOUT seconds) and .sec (its wall time in seconds).
set -uo pipefail

DIR=$1 OUT=$2 TIMEOUT=$3 MODE=$4 SCRIPT=$5

# lib.sh checks for jq and mausezahn when it is sourced; no netdevsim devlink script sends
# packets with mausezahn.
export REQUIRE_MZ=no
[ "$MODE" = iproute2 ] || export PATH=$OUT/shim:$PATH

# devlink.sh flashes a file: "dummy" on 6.1, the first file under /lib/firmware on 6.12;
# the devlink core asks the firmware loader for it. The guest gets a small "dummy" of its
# own: in a tmpfs over /lib/firmware (a mount in the guest only; the host's directory is
# untouched), and in firmware_class.path (an empty file would not do: the loader refuses
# size 0) where the host has no /lib/firmware to mount on.
mkdir -p "$OUT/firmware" "$OUT/$MODE"
printf "devlink-sf selftests\n" >"$OUT/firmware/dummy"
printf '%s' "$OUT/firmware" >/sys/module/firmware_class/parameters/path
if [ -d /lib/firmware ] && mount -t tmpfs -o mode=755 tmpfs /lib/firmware; then
    printf "devlink-sf selftests\n" >/lib/firmware/dummy
fi

cd "$DIR" || exit 2
start=$(date +%s)
rc=0
timeout -k 10 "$TIMEOUT" bash "./$SCRIPT" </dev/null >"$OUT/$MODE/$SCRIPT.log" 2>&1 || rc=$?
echo "$rc" >"$OUT/$MODE/$SCRIPT.rc"
echo "$(( $(date +%s) - start ))" >"$OUT/$MODE/$SCRIPT.sec"
exit 0
