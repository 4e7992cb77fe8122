#!/usr/bin/env bash
# Build the User-Mode Linux kernel of the real-kernel tier, or find it in the cache.
#
#   bash scripts/uml/build.sh [6.1|6.12]  # prints the path of the `linux` binary (last line of stdout)
#
# The kernel version comes from the argument, else DEVLINK_SF_UML_KERNEL, else 6.1.
# Installs what it needs from Debian when missing (root only), extracts Debian's
# linux-source-<version> into a cache directory outside the repository, applies
# scripts/uml/kernel.config (and kernel-<version>.config when there is one) on top of
# `make ARCH=um defconfig` and runs `make ARCH=um linux`. Before configuring, it applies
# the test-only kernel patches of scripts/uml/patches/<version>/*.patch in name order
# (patch -p1; today netdevsim-sf.patch, which gives netdevsim sub-function ports). The
# cache key hashes the version, the config fragments, the patches, the linux-source
# package version, the compiler version and this script, so a second run with the same
# key does nothing but print the path.
#
# stdout carries only the path; progress and messages go to stderr.
#
# Environment:
#   DEVLINK_SF_UML_KERNEL    kernel version when no argument is given: 6.1 (default) or 6.12
#   DEVLINK_SF_UML_CACHE     cache root (default /var/cache/devlink-sf/uml)
#   DEVLINK_SF_UML_JOBS      make -j (default: nproc)
#   DEVLINK_SF_UML_PROGRESS  seconds between progress lines (default 30)
#   DEVLINK_SF_UML_KEEP_SRC  1 keeps the built source tree in the cache (default: removed)
#   DEVLINK_SF_UML_NO_INSTALL 1 never calls apt-get (fails instead when something is missing)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KERNEL=${1:-${DEVLINK_SF_UML_KERNEL:-6.1}}
case $KERNEL in
    6.1|6.12) ;;
    *) printf '[uml-build] error: unknown kernel version %s (6.1 or 6.12)\n' "$KERNEL" >&2; exit 1 ;;
esac
FRAGMENT=$HERE/kernel.config
FRAGMENTS=("$FRAGMENT")
[ ! -f "$HERE/kernel-$KERNEL.config" ] || FRAGMENTS+=("$HERE/kernel-$KERNEL.config")
CACHE_ROOT=${DEVLINK_SF_UML_CACHE:-/var/cache/devlink-sf/uml}
JOBS=${DEVLINK_SF_UML_JOBS:-$(nproc)}
PROGRESS_EVERY=${DEVLINK_SF_UML_PROGRESS:-30}
SRC_PKG=linux-source-$KERNEL
SRC_TAR=/usr/src/linux-source-$KERNEL.tar.xz
PATCH_DIR=$HERE/patches/$KERNEL

# Packages for building the kernel, then those run.sh, capture.sh and the tests use.
BUILD_PKGS=("$SRC_PKG" make gcc libc6-dev flex bison bc xz-utils perl patch)
RUN_PKGS=(iproute2 tcpdump python3-pyroute2 util-linux coreutils)

log() { printf '[uml-build %s] %s\n' "$KERNEL" "$*" >&2; }
die() { printf '[uml-build] error: %s\n' "$*" >&2; exit 1; }

[ "$(uname -m)" = x86_64 ] || die "only x86_64 hosts are supported (this is $(uname -m))"
[ -f "$FRAGMENT" ] || die "missing config fragment $FRAGMENT"
PATCHES=()
if [ -d "$PATCH_DIR" ]; then
    mapfile -t PATCHES < <(find "$PATCH_DIR" -maxdepth 1 -name '*.patch' -type f | LC_ALL=C sort)
fi

is_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

ensure_packages() {
    local missing=() p
    for p in "$@"; do is_installed "$p" || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "${DEVLINK_SF_UML_NO_INSTALL:-0}" = 1 ]; then
        die "missing Debian packages: ${missing[*]} (DEVLINK_SF_UML_NO_INSTALL=1 forbids installing them)"
    fi
    if [ "$(id -u)" != 0 ]; then
        die "missing Debian packages: ${missing[*]}; run as root, or install them first: apt-get install ${missing[*]}"
    fi
    command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get on this machine"
    mkdir -p "$CACHE_ROOT"
    local aptlog=$CACHE_ROOT/apt.log
    log "installing from Debian: ${missing[*]} (log: $aptlog)"
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; } \
        </dev/null >"$aptlog" 2>&1; then
        tail -n 30 "$aptlog" >&2 || true
        die "apt-get failed; full log in $aptlog"
    fi
    for p in "${missing[@]}"; do is_installed "$p" || die "package $p is still not installed after apt-get"; done
}

ensure_packages "${BUILD_PKGS[@]}" "${RUN_PKGS[@]}"
[ -f "$SRC_TAR" ] || die "$SRC_TAR is missing although $SRC_PKG is installed"

SRC_VERSION=$(dpkg-query -W -f='${Version}' "$SRC_PKG")
CC_VERSION=$(gcc --version | head -n 1)
KEY=$( {
    printf 'kernel %s\n' "$KERNEL"
    for f in "${FRAGMENTS[@]}"; do printf 'fragment %s\n' "$(basename "$f")"; cat "$f"; done
    for p in ${PATCHES[@]+"${PATCHES[@]}"}; do printf 'patch %s\n' "$(basename "$p")"; cat "$p"; done
    printf 'source %s %s\n' "$SRC_PKG" "$SRC_VERSION"
    printf 'cc %s\n' "$CC_VERSION"
    printf 'script\n'; cat "${BASH_SOURCE[0]}"
} | sha256sum | cut -c1-16)
DIR=$CACHE_ROOT/$KEY
LINUX=$DIR/linux

if ! mkdir -p "$CACHE_ROOT" 2>/dev/null || [ ! -w "$CACHE_ROOT" ]; then
    die "cache root $CACHE_ROOT is not writable; run as root or set DEVLINK_SF_UML_CACHE to a writable directory"
fi

# One build per key at a time; a second caller waits and then finds the cached binary.
exec 9>"$CACHE_ROOT/.lock-$KEY"
if ! flock -n 9; then
    log "another build of $KEY is running; waiting for it"
    flock 9
fi

if [ -f "$DIR/DONE" ] && [ -x "$LINUX" ]; then
    log "cached kernel $KEY ($SRC_PKG $SRC_VERSION)"
    printf '%s\n' "$LINUX"
    exit 0
fi

START=$(date +%s)
elapsed() { local s=$(( $(date +%s) - START )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

rm -rf "$DIR"
mkdir -p "$DIR"
WORK=$DIR/src
BUILD_LOG=$DIR/build.log
: >"$BUILD_LOG"
{
    printf 'kernel %s\nkey %s\nsource %s %s\ncc %s\njobs %s\nstarted %s\n' \
        "$KERNEL" "$KEY" "$SRC_PKG" "$SRC_VERSION" "$CC_VERSION" "$JOBS" "$(date -u +%FT%TZ)"
    for p in ${PATCHES[@]+"${PATCHES[@]}"}; do
        printf 'patch %s %s\n' "$(basename "$p")" "$(sha256sum <"$p" | cut -c1-16)"
    done
} >"$DIR/key.txt"

fail() {
    log "build failed after $(elapsed): $1"
    log "last lines of $BUILD_LOG:"
    tail -n 40 "$BUILD_LOG" | sed 's/^/    /' >&2 || true
    die "full log: $BUILD_LOG"
}

log "cold build of kernel $KEY ($SRC_PKG $SRC_VERSION, make -j$JOBS) in $DIR"
log "extracting $SRC_TAR"
mkdir -p "$WORK"
tar -xf "$SRC_TAR" -C "$WORK" --strip-components=1 >>"$BUILD_LOG" 2>&1 || fail "could not extract $SRC_TAR"
log "extracted in $(elapsed)"
for p in ${PATCHES[@]+"${PATCHES[@]}"}; do
    log "applying $(basename "$p")"
    patch -d "$WORK" -p1 --forward --batch <"$p" >>"$BUILD_LOG" 2>&1 || fail "patch $p does not apply"
done

mk() { make -C "$WORK" ARCH=um "$@" </dev/null >>"$BUILD_LOG" 2>&1; }

log "configuring: defconfig + ${FRAGMENTS[*]##*/}"
mk defconfig || fail "make defconfig"
(cd "$WORK" && scripts/kconfig/merge_config.sh -m .config "${FRAGMENTS[@]}") >>"$BUILD_LOG" 2>&1 || fail "merge_config.sh"
mk olddefconfig || fail "make olddefconfig"

# Every line of the fragments must have survived olddefconfig (a later fragment's
# line for a symbol wins over an earlier one's, as in merge_config.sh).
bad=0
declare -A WANT=()
while IFS= read -r line; do
    case $line in
        CONFIG_*=*) sym=${line%%=*}; want=${line#*=} ;;
        "# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *}; want=n ;;
        *) continue ;;
    esac
    WANT[$sym]=$want
done < <(cat "${FRAGMENTS[@]}")
for sym in "${!WANT[@]}"; do
    want=${WANT[$sym]}
    got=$(grep -E "^${sym}=" "$WORK/.config" | head -n 1 | cut -d= -f2- || true)
    [ -n "$got" ] || got=n
    if [ "$want" != "$got" ]; then
        log "config: $sym wanted $want, Kconfig gave $got"
        bad=1
    fi
done
[ $bad = 0 ] || fail "the config fragments do not apply cleanly (see the lines above; a dependency is probably missing)"
cp "$WORK/.config" "$DIR/config"

log "compiling (progress every ${PROGRESS_EVERY}s; full log: $BUILD_LOG)"
make -C "$WORK" ARCH=um -j"$JOBS" linux </dev/null >>"$BUILD_LOG" 2>&1 &
MAKE_PID=$!
trap 'kill "$MAKE_PID" 2>/dev/null || true' INT TERM
last=$(date +%s)
while kill -0 "$MAKE_PID" 2>/dev/null; do
    sleep 1
    now=$(date +%s)
    if [ $((now - last)) -ge "$PROGRESS_EVERY" ]; then
        last=$now
        n=$(grep -c '^  CC ' "$BUILD_LOG" || true)
        cur=$(grep -E '^  (CC|LD|AR|AS) ' "$BUILD_LOG" | tail -n 1 | awk '{print $2}' || true)
        log "$(elapsed): $n files compiled${cur:+, now at $cur}"
    fi
done
rc=0
wait "$MAKE_PID" || rc=$?
trap - INT TERM
[ $rc = 0 ] || fail "make linux exited with $rc"
[ -x "$WORK/linux" ] || fail "make succeeded but $WORK/linux is missing"

cp "$WORK/linux" "$LINUX.tmp"
mv "$LINUX.tmp" "$LINUX"
if [ "${DEVLINK_SF_UML_KEEP_SRC:-0}" != 1 ]; then
    rm -rf "$WORK"
fi
printf 'finished %s\nseconds %s\n' "$(date -u +%FT%TZ)" "$(( $(date +%s) - START ))" >>"$DIR/key.txt"
touch "$DIR/DONE"
log "built in $(elapsed): $(grep -c '^  CC ' "$BUILD_LOG" || true) files compiled, $(du -h "$LINUX" | cut -f1) kernel"
printf '%s\n' "$LINUX"
