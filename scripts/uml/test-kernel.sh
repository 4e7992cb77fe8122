#!/usr/bin/env bash
# `npm run test:kernel`: the real-kernel tier, on each kernel in turn (6.1, then 6.12).
# Builds (or finds cached) the User-Mode Linux kernels, boots each with netdevsim10
# (4 ports) and runs the compiled kernel tests (dist/test/kernel/**/*.test.js) with
# mocha inside it (node_modules/mocha/bin/mocha.js directly: `npx mocha` does the same
# but costs ~10 s more under UML). DEVLINK_SF_UML_KERNEL=X tells the tests which kernel
# they run on (their titles start with "[X]"). Exits 0 only when every kernel passed;
# otherwise with the first failing kernel's code (mocha's, or 124/125 from run.sh).
#
# Assumes `npx tsc -p .` has been run. Needs root and an x86_64 Linux host that can run
# UML (ptrace, a writable /dev/shm or /var/tmp); anything else fails with a message
# rather than skipping silently.
#
# After each kernel's mocha run, scripts/uml/selftests.sh runs the kernel's own netdevsim
# devlink selftests with iproute2 and with devlink-sf; devlink-sf failing a test iproute2
# passes fails the tier.
#
# Environment: DEVLINK_SF_UML_KERNELS (the kernels to run, default "6.1 6.12"),
# DEVLINK_SF_SKIP_SELFTESTS=1 (only the mocha tests), DEVLINK_SF_SELFTESTS_REPORT=FILE (the
# selftests' table of every kernel as markdown, e.g. docs/selftests.md),
# UML_TIMEOUT (seconds for each guest run, default 900), UML_MEM (default 1536M), and
# those of build.sh / run.sh.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
NSIM_ID=10
NSIM_PORTS=4

log() { printf '[test:kernel] %s\n' "$*" >&2; }
die() { printf '[test:kernel] error: %s\n' "$*" >&2; exit 1; }

[ "$(uname -s)" = Linux ] || die "the kernel tier needs a Linux host (this is $(uname -s))"
[ "$(uname -m)" = x86_64 ] || die "the kernel tier needs an x86_64 host to run User-Mode Linux (this is $(uname -m))"
if [ "$(id -u)" != 0 ]; then
    die "the kernel tier must run as root (it installs Debian packages, builds a User-Mode Linux kernel into /var/cache and runs devlink as root inside it); try: sudo npm run test:kernel"
fi

cd "$REPO"
if [ ! -d dist/test/kernel ]; then
    if compgen -G 'test/kernel/*.ts' >/dev/null; then
        die "dist/test/kernel is missing although test/kernel/ has tests: run \`npx tsc -p .\` first"
    fi
    log "no kernel tests (no dist/test/kernel): nothing to run"
    exit 0
fi
mapfile -t tests < <(find dist/test/kernel -name '*.test.js' | sort)
if [ ${#tests[@]} -eq 0 ]; then
    log "no kernel tests in dist/test/kernel: nothing to run"
    exit 0
fi
[ -f node_modules/mocha/bin/mocha.js ] || die "mocha is not installed (node_modules/mocha): run \`npm ci\` first"

read -r -a KERNELS <<<"${DEVLINK_SF_UML_KERNELS:-6.1 6.12}"
[ ${#KERNELS[@]} -gt 0 ] || die "DEVLINK_SF_UML_KERNELS names no kernel"

# Build every kernel first (one at a time: each uses all cores), then run them.
declare -A LINUX=()
for k in "${KERNELS[@]}"; do
    START=$(date +%s)
    LINUX[$k]=$(bash "$HERE/build.sh" "$k" | tail -n 1) || die "could not build the $k User-Mode Linux kernel (see the messages above)"
    # `linux --version` prints and exits without booting: proves the binary runs here at all.
    if ! "${LINUX[$k]}" --version >/dev/null 2>&1; then
        die "the $k User-Mode Linux binary ${LINUX[$k]} does not run on this host"
    fi
    log "kernel $k ready in $(( $(date +%s) - START ))s: ${LINUX[$k]}"
done

rc=0
declare -A RESULT=() SELFTESTS=()
SELFTEST_DIR=$(mktemp -d /tmp/devlink-sf-selftest-results.XXXXXX)
for k in "${KERNELS[@]}"; do
    START=$(date +%s)
    log "kernel $k: running ${#tests[@]} test file(s) inside User-Mode Linux with netdevsim$NSIM_ID ($NSIM_PORTS ports)"
    # the guest's output is also kept, so that a failure's details can be printed again last
    # (CI shows the tail of the log, and the selftests print pages after the mocha run)
    set +e
    bash "$HERE/run.sh" --linux "${LINUX[$k]}" --nsim "$NSIM_ID $NSIM_PORTS" --cwd "$REPO" \
        --timeout "${UML_TIMEOUT:-900}" \
        --env DEVLINK_SF_UML=1 \
        --env "DEVLINK_SF_UML_KERNEL=$k" \
        --env "DEVLINK_SF_NSIM_ID=$NSIM_ID" \
        --env "DEVLINK_SF_NSIM_PORTS=$NSIM_PORTS" \
        -- node node_modules/mocha/bin/mocha.js --no-config --timeout 60000 'dist/test/kernel/**/*.test.js' \
        2>&1 | tee "$SELFTEST_DIR/$k.mocha.log"
    krc=${PIPESTATUS[0]}
    set -e
    case $krc in
        0) RESULT[$k]="passed in $(( $(date +%s) - START ))s" ;;
        124) RESULT[$k]="FAILED: the guest timed out" ;;
        125) RESULT[$k]="FAILED: the guest could not run the tests" ;;
        *) RESULT[$k]="FAILED: mocha exited with $krc" ;;
    esac
    log "kernel $k: ${RESULT[$k]}"
    [ $rc != 0 ] || rc=$krc
    if [ "${DEVLINK_SF_SKIP_SELFTESTS:-0}" != 1 ]; then
        # the kernel's own netdevsim devlink selftests, with iproute2 and with devlink-sf
        START=$(date +%s)
        srk=0
        bash "$HERE/selftests.sh" run "$k" "${LINUX[$k]}" "$SELFTEST_DIR/$k.tsv" || srk=$?
        case $srk in
            0) SELFTESTS[$k]="devlink-sf passes what iproute2 passes (${SELFTEST_DIR}/$k.tsv; $(( $(date +%s) - START ))s)" ;;
            1) SELFTESTS[$k]="FAILED: devlink-sf fails tests iproute2 passes (see above)" ;;
            *) SELFTESTS[$k]="FAILED: the selftests could not run ($srk)" ;;
        esac
        log "kernel $k selftests: ${SELFTESTS[$k]}"
        [ $rc != 0 ] || rc=$srk
    fi
done
if [ -n "${DEVLINK_SF_SELFTESTS_REPORT:-}" ] && compgen -G "$SELFTEST_DIR/*.tsv" >/dev/null; then
    bash "$HERE/selftests.sh" report "$DEVLINK_SF_SELFTESTS_REPORT" "$SELFTEST_DIR"/*.tsv || true
fi
for k in "${KERNELS[@]}"; do
    case ${RESULT[$k]} in
        FAILED*)
            # mocha's list of failures (from "N failing" on), or the guest's last lines
            log "kernel $k: what failed (the whole output: $SELFTEST_DIR/$k.mocha.log)"
            if grep -qE '^ +[0-9]+ failing' "$SELFTEST_DIR/$k.mocha.log"; then
                sed -n '/^ *[0-9][0-9]* failing/,$p' "$SELFTEST_DIR/$k.mocha.log" | head -n 200 >&2 || true
            else
                tail -n 40 "$SELFTEST_DIR/$k.mocha.log" >&2
            fi ;;
    esac
done
for k in "${KERNELS[@]}"; do log "kernel $k: ${RESULT[$k]}"; [ -z "${SELFTESTS[$k]:-}" ] || log "kernel $k selftests: ${SELFTESTS[$k]}"; done
exit "$rc"
