#!/usr/bin/env bash
# The kernel's own netdevsim devlink selftests as the judge of devlink-sf's CLI.
#
#   bash scripts/uml/selftests.sh run KERNEL LINUX RESULTS.tsv   # run them in UML, compare
#   bash scripts/uml/selftests.sh report OUT.md RESULTS.tsv...    # one markdown table
#
# run: extracts tools/testing/selftests/drivers/net/netdevsim/ and the net/ libraries
# those scripts source (net/forwarding/lib.sh, devlink_lib.sh, fib_offload_lib.sh and
# on 6.12 net/lib.sh) from Debian's /usr/src/linux-source-KERNEL.tar.xz (build.sh
# installs it) into a temporary directory: the selftests are never copied into the
# repository. Then runs each script twice, each run in a User-Mode Linux guest of its own
# (kernel LINUX, selftests-guest.sh): with iproute2's `devlink`, and with a `devlink` that
# execs `node bin/devlink-sf.js` first on PATH. Each "TEST: name [ OK ]" line the scripts print
# (lib.sh's log_test) is one row; RESULTS.tsv gets the rows
#   kernel<TAB>script<TAB>test<TAB>iproute2 result<TAB>devlink-sf result
# and stdout a table. A result is OK, FAIL, SKIP or XFAIL as printed; "-" when the run
# printed no such line; a script that printed no test line gets one row "(script)" saying
# why (SKIP with its reason, TIMEOUT, or its exit code).
# Exits 1 when devlink-sf does not pass a test that iproute2 passes (but for the timing
# tests of TIMING_TESTS, which run no devlink command); 0 otherwise.
#
# Environment:
#   DEVLINK_SF_SELFTESTS          the scripts (default: every netdevsim devlink script, on every kernel)
#   DEVLINK_SF_SELFTESTS_TIMEOUT  seconds for each script run (default 900)
#   DEVLINK_SF_SELFTESTS_JOBS     guests at a time (default 4)
#   DEVLINK_SF_SELFTESTS_KEEP     1 keeps the extracted scripts and the logs (kept anyway on failure)
#   UML_MEM                       guest memory (run.sh's default otherwise)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# the slowest first (they start first)
DEFAULT_SCRIPTS="devlink_trap.sh nexthop.sh fib.sh devlink.sh fib_notifications.sh hw_stats_l3.sh devlink_in_netns.sh"
# devlink_trap.sh runs devlink about 720 times; node starts in 0.5-1.3 s under UML (iproute2
# in 0.06 s), so with devlink-sf it takes 15-25 minutes: it starts first and has a longer
# timeout; the other scripts run beside it, so a kernel's selftests take about as long as it.
declare -A SCRIPT_TIMEOUT=([devlink_trap.sh]=2400)
# Tests whose bodies never run devlink: nexthop.sh's resilient-group bucket tests wait for
# the kernel's idle and unbalanced timers with sleeps and fail at random on a loaded host
# (iproute2 too). devlink-sf failing one of them where iproute2 passed is reported, not
# counted.
TIMING_TESTS='^nexthop\.sh	(Bucket migration after|Buckets never force-migrated|Busy buckets force-migrated)'


log() { printf '[selftests] %s\n' "$*" >&2; }
die() { printf '[selftests] error: %s\n' "$*" >&2; exit 2; }

# One log of one run -> "test<TAB>result" lines; a repeated test name gets " #2", " #3".
parse_log() {
    local logf=$1 rcf=$2
    local rc=-
    [ -f "$rcf" ] && rc=$(cat "$rcf")
    if [ ! -f "$logf" ]; then printf '(script)\tnot run\n'; return; fi
    awk -v rc="$rc" '
        /^TEST: / {
            line = substr($0, 7)
            i = match(line, /\[[^][]*\][[:space:]]*$/)
            if (!i) next
            res = substr(line, RSTART + 1, RLENGTH - 1); sub(/\][[:space:]]*$/, "", res)
            gsub(/^[[:space:]]+|[[:space:]]+$/, "", res)
            name = substr(line, 1, i - 1); gsub(/^[[:space:]]+|[[:space:]]+$/, "", name)
            n = ++seen[name]; if (n > 1) name = name " #" n
            printf "%s\t%s\n", name, res; tests++
            next
        }
        /^SKIP: / && !skip { skip = $0 }
        END {
            if (rc == 124) print "(script)\tTIMEOUT"
            else if (!tests && rc == 4) printf "(script)\t%s\n", (skip ? skip : "SKIP")
            else if (!tests) printf "(script)\tno test line, exit code %s\n", rc
        }' "$logf"
}

cmd_run() {
    local kernel=$1 linux=$2 results=$3
    local src_tar=/usr/src/linux-source-$kernel.tar.xz
    [ -f "$src_tar" ] || die "$src_tar is missing (scripts/uml/build.sh $kernel installs linux-source-$kernel)"
    [ -x "$linux" ] || die "no kernel binary at $linux"
    local tool
    for tool in jq udevadm; do
        command -v "$tool" >/dev/null || die "$tool is missing: run scripts/setup.sh (it installs the selftests' Debian packages)"
    done
    local scripts s
    read -r -a scripts <<<"${DEVLINK_SF_SELFTESTS:-$DEFAULT_SCRIPTS}"

    local work
    work=$(mktemp -d /tmp/devlink-sf-selftests.XXXXXX)
    chmod 755 "$work"
    local start
    start=$(date +%s)
    tar -xJf "$src_tar" -C "$work" --strip-components=1 --wildcards \
        '*/tools/testing/selftests/drivers/net/netdevsim/*' '*/tools/testing/selftests/net/*lib*.sh' \
        || die "could not extract the selftests from $src_tar"
    local dir=$work/tools/testing/selftests/drivers/net/netdevsim
    for s in "${scripts[@]}"; do [ -f "$dir/$s" ] || die "linux-source-$kernel has no netdevsim selftest $s"; done
    log "kernel $kernel: extracted the netdevsim selftests in $(( $(date +%s) - start ))s"

    mkdir -p "$work/out/shim"
    printf '#!/bin/sh\nexec node %q "$@"\n' "$REPO/bin/devlink-sf.js" >"$work/out/shim/devlink"
    chmod 755 "$work/out/shim/devlink"

    # One guest per script and mode, JOBS at a time, in the order of DEFAULT_SCRIPTS (the
    # slowest first): most of the time is the scripts' sleeps and node's start under UML.
    local timeout=${DEVLINK_SF_SELFTESTS_TIMEOUT:-900}
    local jobs=${DEVLINK_SF_SELFTESTS_JOBS:-4}
    local mode running=0 failed=0
    start=$(date +%s)
    for s in "${scripts[@]}"; do
        for mode in devlink-sf iproute2; do
            if [ "$running" -ge "$jobs" ]; then
                wait -n || failed=1
                running=$((running - 1))
            fi
            local t=${SCRIPT_TIMEOUT[$s]:-$timeout}
            bash "$HERE/run.sh" --linux "$linux" --cwd "$REPO" --timeout "$((t + 120))" ${UML_MEM:+--mem "$UML_MEM"} \
                -- bash "$HERE/selftests-guest.sh" "$dir" "$work/out" "$t" "$mode" "$s" \
                >"$work/guest-$mode-$s.log" 2>&1 &
            running=$((running + 1))
        done
    done
    while [ "$running" -gt 0 ]; do
        wait -n || failed=1
        running=$((running - 1))
    done
    [ $failed = 0 ] || die "a guest run failed (see $work/guest-*.log)"
    log "kernel $kernel: ran ${#scripts[@]} script(s) twice in $(( $(date +%s) - start ))s ($jobs guests at a time)"

    : >"$results.tmp"
    local mode
    for s in "${scripts[@]}"; do
        for mode in iproute2 devlink-sf; do
            parse_log "$work/out/$mode/$s.log" "$work/out/$mode/$s.rc" >"$work/$mode.rows"
        done
        # iproute2's rows in its order, then devlink-sf's rows iproute2 did not print
        awk -F'\t' -v k="$kernel" -v s="$s" '
            FNR == NR { sf[$1] = $2; order[++n] = $1; next }
            { ip[$1] = $2; print k "\t" s "\t" $1 "\t" $2 "\t" (($1 in sf) ? sf[$1] : "-") }
            END { for (i = 1; i <= n; i++) if (!(order[i] in ip)) print k "\t" s "\t" order[i] "\t-\t" sf[order[i]] }
        ' "$work/devlink-sf.rows" "$work/iproute2.rows" >>"$results.tmp"
        log "kernel $kernel: $s took $(cat "$work/out/iproute2/$s.sec" 2>/dev/null || echo ?)s with iproute2," \
            "$(cat "$work/out/devlink-sf/$s.sec" 2>/dev/null || echo ?)s with devlink-sf"
    done
    mv "$results.tmp" "$results"

    printf '%-22s %-66s %-10s %s\n' script test iproute2 devlink-sf
    awk -F'\t' '{ printf "%-22s %-66s %-10s %s\n", $2, $3, $4, $5 }' "$results"
    local worse
    local timing
    timing=$(awk -F'\t' '$4 == "OK" && $5 != "OK"' "$results" | cut -f2- | grep -E "$TIMING_TESTS" || true)
    if [ -n "$timing" ]; then
        log "kernel $kernel: timing tests (no devlink in them) devlink-sf's run failed where iproute2's passed, not counted:"
        printf '%s\n' "$timing" | awk -F'\t' '{ printf "    %s: %s (%s)\n", $1, $2, $4 }' >&2
    fi
    worse=$(awk -F'\t' '$4 == "OK" && $5 != "OK"' "$results" | cut -f2- | grep -vE "$TIMING_TESTS" | sed 's/^/x\t/' || true)
    if [ -n "$worse" ]; then
        log "kernel $kernel: devlink-sf does not pass $(printf '%s\n' "$worse" | wc -l) test(s) that iproute2 passes:"
        printf '%s\n' "$worse" | awk -F'\t' '{ printf "    %s: %s (%s)\n", $2, $3, $5 }' >&2
        log "logs kept in $work/out"
        return 1
    fi
    log "kernel $kernel: devlink-sf passes every test iproute2 passes" \
        "($(awk -F'\t' '$4 == "OK"' "$results" | wc -l) of $(wc -l <"$results") rows)"
    if [ "${DEVLINK_SF_SELFTESTS_KEEP:-0}" = 1 ]; then log "logs kept in $work/out"; else rm -rf "$work"; fi
}

cmd_report() {
    local out=$1; shift
    [ $# -gt 0 ] || die "report wants at least one results file"
    local kernels
    kernels=$(cat "$@" | cut -f1 | awk '!seen[$0]++' | tr '\n' ' ')
    {
        printf '# The kernel'\''s netdevsim devlink selftests: iproute2 and devlink-sf\n\n'
        printf 'Written by `bash scripts/uml/selftests.sh report` from the results of `bash scripts/uml/selftests.sh run`\n'
        printf '(the kernel tier, `bash scripts/uml/test-kernel.sh`, runs it for each kernel), on %s.\n' "$(date -u +%F)"
        printf 'Each script of `tools/testing/selftests/drivers/net/netdevsim/` in Debian'\''s linux-source package ran in\n'
        printf 'User-Mode Linux twice: with iproute2'\''s `devlink` (Debian %s), then with devlink-sf'\''s\n' \
            "$(dpkg-query -W -f='${Version}' iproute2 2>/dev/null || echo '?')"
        printf '`bin/devlink-sf.js` first on PATH as `devlink`. "-": that run printed no such test; "—": not run on\n'
        printf 'that kernel. nexthop.sh'\''s bucket tests run no devlink command and wait for kernel timers with sleeps:\n'
        printf 'they fail at random on a loaded host, with either tool, and do not count.\n\n'
        for k in $kernels; do
            cat "$@" | awk -F'\t' -v k="$k" '$1 == k { n++; if ($4 == "OK") ip++; if ($4 == "OK" && $5 == "OK") both++; if ($5 == "OK") sf++ }
                END { printf "- %s: %d rows; iproute2 passes %d, devlink-sf %d (%d of the %d iproute2 passes)\n", k, n, ip, sf, both, ip }'
        done
        printf '\n'
        printf '| script | test |'
        local k
        for k in $kernels; do printf ' %s iproute2 | %s devlink-sf |' "$k" "$k"; done
        printf '\n|---|---|'
        for k in $kernels; do printf -- '---|---|'; done
        printf '\n'
        cat "$@" | awk -F'\t' -v ks="$kernels" '
            BEGIN { nk = split(ks, kv, " ") }
            { key = $2 "\t" $3; if (!(key in have)) { have[key] = 1; order[++n] = key }
              ip[$1, key] = $4; sf[$1, key] = $5 }
            END {
                for (i = 1; i <= n; i++) {
                    split(order[i], p, "\t"); line = "| " p[1] " | " p[2] " |"
                    for (j = 1; j <= nk; j++) {
                        k = kv[j]
                        a = ((k, order[i]) in ip) ? ip[k, order[i]] : "—"
                        b = ((k, order[i]) in sf) ? sf[k, order[i]] : "—"
                        line = line " " a " | " b " |"
                    }
                    gsub(/\|\|/, "| |", line); print line
                }
            }'
    } >"$out"
    log "wrote $out"
}

case ${1:-} in
    run) [ $# = 4 ] || die "usage: $0 run KERNEL LINUX RESULTS.tsv"; cmd_run "$2" "$3" "$4" ;;
    report) [ $# -ge 3 ] || die "usage: $0 report OUT.md RESULTS.tsv..."; shift; cmd_report "$@" ;;
    *) die "usage: $0 run KERNEL LINUX RESULTS.tsv | report OUT.md RESULTS.tsv..." ;;
esac
