#!/usr/bin/env bash
# Boot the User-Mode Linux kernel with the host's root as the guest's root (hostfs), run
# one command inside, and exit with that command's exit code.
#
#   bash scripts/uml/run.sh [options] [--] COMMAND [ARG...]
#
# Options (environment variable in brackets):
#   --linux PATH     kernel binary [UML_LINUX]; default: the one scripts/uml/build.sh prints
#                    (building it first when it is not cached)
#   --nsim "ID PORTS" create a netdevsim device before the command; repeatable [UML_NSIM,
#                    comma-separated, e.g. "10 4,11 2"]
#   --cwd DIR        directory to run the command in [UML_CWD]; default: the current one
#   --env NAME=VALUE set a variable for the command; repeatable. CI and every DEVLINK_SF_*
#                    variable are passed on by themselves.
#   --mem SIZE       guest memory [UML_MEM]; default 1536M
#   --timeout SEC    whole run, boot included [UML_TIMEOUT]; default 600. On expiry the
#                    UML process group is killed and run.sh exits 124.
#   --console FILE   also keep the guest's whole console output in FILE
#   --verbose        stream the whole console (boot messages too), not only the command's
#   --keep           keep the job directory (it is kept anyway when something fails)
#
# Exit code: the command's; 124 on timeout; 125 when the guest did not start the command
# (setup failure, panic, or the kernel ended without a result), with the console shown.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LINUX=${UML_LINUX:-}
NSIM=${UML_NSIM:-}
CWD=${UML_CWD:-$PWD}
MEM=${UML_MEM:-1536M}
TIMEOUT=${UML_TIMEOUT:-600}
CONSOLE_COPY=
VERBOSE=0
KEEP=0
ENVS=()

log() { printf '[uml-run] %s\n' "$*" >&2; }
die() { printf '[uml-run] error: %s\n' "$*" >&2; exit 125; }

while [ $# -gt 0 ]; do
    case $1 in
        --linux) LINUX=$2; shift 2 ;;
        --nsim) NSIM=${NSIM:+$NSIM,}$2; shift 2 ;;
        --cwd) CWD=$2; shift 2 ;;
        --env) ENVS+=("$2"); shift 2 ;;
        --mem) MEM=$2; shift 2 ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        --console) CONSOLE_COPY=$2; shift 2 ;;
        --verbose) VERBOSE=1; shift ;;
        --keep) KEEP=1; shift ;;
        --) shift; break ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || die "no command given (see --help)"
[[ $TIMEOUT =~ ^[0-9]+$ ]] && [ "$TIMEOUT" -gt 0 ] || die "--timeout must be a positive number of seconds"
CWD=$(cd "$CWD" && pwd) || die "no such directory: $CWD"

if [ -z "$LINUX" ]; then
    LINUX=$(bash "$HERE/build.sh" | tail -n 1) || die "build.sh failed"
fi
[ -x "$LINUX" ] || die "kernel binary not found or not executable: $LINUX"

# UML backs guest memory with a file in $TMPDIR: tmpfs (/dev/shm) is fastest.
UML_TMP=${UML_TMPDIR:-}
if [ -z "$UML_TMP" ]; then
    if [ -d /dev/shm ] && [ -w /dev/shm ]; then UML_TMP=/dev/shm; else UML_TMP=/var/tmp; fi
fi
[ -w "$UML_TMP" ] || die "no writable directory for the guest's memory file ($UML_TMP); set UML_TMPDIR"

# The job directory is on the host's /tmp, which the guest sees at the same path.
JOB=$(mktemp -d /tmp/devlink-sf-uml.XXXXXX)
chmod 755 "$JOB"
cp "$HERE/init.sh" "$JOB/init"
chmod 755 "$JOB/init"
printf '%q ' "$@" >"$JOB/cmd"
printf '\n' >>"$JOB/cmd"
{
    printf 'NSIM=%q\nCWD=%q\nQUIET=%q\n' "$NSIM" "$CWD" "$((1 - VERBOSE))"
} >"$JOB/settings"
{
    while IFS='=' read -r name _; do
        case $name in
            CI|DEVLINK_SF_*) printf 'export %s=%q\n' "$name" "${!name}" ;;
        esac
    done < <(env)
    for kv in ${ENVS[@]+"${ENVS[@]}"}; do
        [[ $kv == *=* ]] || die "--env wants NAME=VALUE, got $kv"
        printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
    done
} >"$JOB/env"

CONSOLE=$JOB/console.log
: >"$CONSOLE"
MARK='@@devlink-sf-uml@@'
ulimit -c 0 || true   # a panicking UML aborts: no core files
QUIET_ARG=quiet
[ $VERBOSE = 0 ] || QUIET_ARG=

# shellcheck disable=SC2016  # $$ and $1 are for the inner bash
# setsid: the kernel and every host process it forks share one process group, whose id
# is the pid written to $JOB/pid, so a hung guest can be killed as a whole.
setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$JOB/pid" \
    env TMPDIR="$UML_TMP" "$LINUX" \
    mem="$MEM" root=/dev/root rootfstype=hostfs rootflags=/ rw \
    init="$JOB/init" con=null con0=null,fd:1 ${QUIET_ARG:+"$QUIET_ARG"} \
    </dev/null >"$CONSOLE" 2>&1 &
LAUNCHER=$!
for _ in $(seq 50); do [ -s "$JOB/pid" ] && break; sleep 0.1; done
PGID=$(cat "$JOB/pid" 2>/dev/null || true)
[ -n "$PGID" ] || { kill "$LAUNCHER" 2>/dev/null || true; die "the kernel process did not start"; }

# Stream the console: only what the command prints, unless --verbose.
tail -s 0.2 -n +1 -f --pid="$PGID" "$CONSOLE" | tr -d '\r' | awk -v mark="$MARK" -v verbose="$VERBOSE" '
    index($0, mark) == 1 {
        rest = substr($0, length(mark) + 2)
        if (rest == "BEGIN") { on = 1; next }
        if (rest ~ /^END rc=/) { on = 0; next }
        print "[uml] " rest; fflush(); next
    }
    on || verbose == 1 { print; fflush() }
' &
STREAM=$!

# kill -0 would also succeed on the zombie of our own child: read its state instead.
alive() {
    local st
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "${st%% *}" != Z ]
}

START=$(date +%s)
TIMED_OUT=0
while alive "$PGID"; do
    if [ $(( $(date +%s) - START )) -ge "$TIMEOUT" ]; then
        TIMED_OUT=1
        log "timeout: the guest ran for ${TIMEOUT}s; killing its process group $PGID"
        kill -TERM -- "-$PGID" 2>/dev/null || true
        for _ in $(seq 20); do alive "$PGID" || break; sleep 0.25; done
        kill -KILL -- "-$PGID" 2>/dev/null || true
        break
    fi
    sleep 0.2
done
wait "$LAUNCHER" 2>/dev/null || true
# Host processes of guest tasks may outlive the kernel's main process: end the group.
kill -KILL -- "-$PGID" 2>/dev/null || true
wait "$STREAM" 2>/dev/null || true
ELAPSED=$(( $(date +%s) - START ))

[ -z "$CONSOLE_COPY" ] || cp "$CONSOLE" "$CONSOLE_COPY"

show_console() {
    log "---- last 60 lines of the guest console ($CONSOLE) ----"
    tail -n 60 "$CONSOLE" | tr -d '\r' | sed 's/^/    /' >&2
    log "---- end of console; job directory kept: $JOB ----"
}

if [ $TIMED_OUT = 1 ]; then
    show_console
    log "FAILED: no result within ${TIMEOUT}s (hung or too slow; raise --timeout / UML_TIMEOUT)"
    exit 124
fi
if [ -f "$JOB/setup-failed" ]; then
    show_console
    log "FAILED: guest setup failed: $(cat "$JOB/setup-failed")"
    exit 125
fi
if [ ! -f "$JOB/rc" ]; then
    show_console
    if grep -q 'Kernel panic' "$CONSOLE"; then
        log "FAILED: the guest kernel panicked after ${ELAPSED}s"
    else
        log "FAILED: the guest ended after ${ELAPSED}s without handing back an exit code"
    fi
    exit 125
fi
RC=$(cat "$JOB/rc")
[[ $RC =~ ^[0-9]+$ ]] || { show_console; log "FAILED: bad exit code file: $RC"; exit 125; }
if [ "$RC" != 0 ]; then
    log "command exited with $RC after ${ELAPSED}s (job directory kept: $JOB)"
elif [ $KEEP = 1 ]; then
    log "done in ${ELAPSED}s; job directory: $JOB"
else
    rm -rf "$JOB"
fi
exit "$RC"
