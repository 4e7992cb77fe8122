#!/bin/bash
# PID 1 of the User-Mode Linux guest started by run.sh. Not meant to be run on the host.
#
# run.sh copies this file into a job directory on the host (visible inside the guest at
# the same path, the host's root being the guest's root through hostfs) next to:
#   cmd       the command, a bash script fragment
#   env       `export` lines for the command
#   settings  NSIM, CWD and QUIET for this script
# and boots the kernel with init=<job>/init. The exit code of the command is written to
# <job>/rc (or a setup failure to <job>/setup-failed) before the guest powers itself off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb
JOB=$(dirname "$0")
MARK='@@devlink-sf-uml@@'

say() { printf '%s %s\n' "$MARK" "$*"; }

power_off() {
    sync
    # systemctl's halt/poweroff with -f call reboot(2) without contacting any init.
    poweroff -f >/dev/null 2>&1
    halt -f >/dev/null 2>&1
    perl -e 'syscall(169, 0xfee1dead, 672274793, 0x4321fedc)' >/dev/null 2>&1
    say "could not power off"
    exit 1   # the kernel panics ("Attempted to kill init"), which also ends UML
}

setup_failed() {
    say "setup failed: $*"
    printf '%s\n' "$*" >"$JOB/setup-failed"
    power_off
}

# shellcheck source=/dev/null
. "$JOB/settings" || setup_failed "cannot read $JOB/settings"

mount -t proc proc /proc || setup_failed "mount /proc"
mount -t sysfs sysfs /sys || setup_failed "mount /sys"
mount -t debugfs debugfs /sys/kernel/debug || setup_failed "mount debugfs"
# (every exec costs a fraction of a second under UML: builtins are used where possible)
[[ $(</proc/mounts) == *" /dev devtmpfs "* ]] || mount -t devtmpfs devtmpfs /dev || setup_failed "mount /dev"
[ -d /dev/pts ] && [ -d /dev/shm ] || mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts || setup_failed "mount /dev/pts"
mount -t tmpfs -o mode=1777 tmpfs /dev/shm || setup_failed "mount /dev/shm"
# The guest's /run must not be the host's (sockets and pid files of the host live there).
mount -t tmpfs -o mode=755 tmpfs /run || setup_failed "mount /run"
# /tmp stays the host's /tmp on purpose: results are handed back through it.
ip link set lo up || setup_failed "ip link set lo up"
echo devlink-sf-uml >/proc/sys/kernel/hostname 2>/dev/null || true

# Simulated devlink devices: NSIM="10 4,11 2" creates netdevsim10 (4 ports) and netdevsim11.
if [ -n "${NSIM:-}" ]; then
    IFS=',' read -r -a nsims <<<"$NSIM"
    for spec in "${nsims[@]}"; do
        spec=${spec#"${spec%%[![:space:]]*}"}
        spec=${spec%"${spec##*[![:space:]]}"}
        [ -n "$spec" ] || continue
        id=${spec%% *}
        echo "$spec" >/sys/bus/netdevsim/new_device || setup_failed "netdevsim new_device '$spec'"
        [ -e "/sys/bus/netdevsim/devices/netdevsim$id" ] || setup_failed "netdevsim$id did not appear"
    done
fi

cd "${CWD:-/}" || setup_failed "cd ${CWD:-/}"
# shellcheck source=/dev/null
. "$JOB/env" || setup_failed "cannot read $JOB/env"
[ "${QUIET:-0}" = 1 ] || say "kernel $(uname -r), running in $(pwd): $(cat "$JOB/cmd")"
say "BEGIN"
bash "$JOB/cmd" </dev/null
rc=$?
say "END rc=$rc"
printf '%s\n' "$rc" >"$JOB/rc.tmp" && mv "$JOB/rc.tmp" "$JOB/rc"
power_off
