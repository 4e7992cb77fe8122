#!/usr/bin/env bash
# npm pack / npm publish run this (package.json "prepack"): the package builds itself.
# dist/src from a clean compile of src/ only (no tests, no stale files), then the native
# addon's prebuilds: linux-x64 (or whatever this machine is) and, with Debian's cross
# compiler (gcc-aarch64-linux-gnu, which scripts/setup.sh installs), linux-arm64, for
# BlueField's Arm cores. A missing cross compiler is an error unless
# DEVLINK_SF_PREBUILD_ARCHES names only the host's (e.g. "x64").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[prepack] %s\n' "$*" >&2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# a step's chatter (node-gyp's) is shown only when it fails
quiet() { "$@" >"$out" 2>&1 || { cat "$out" >&2; log "failed: $*"; exit 1; }; }
arches=${DEVLINK_SF_PREBUILD_ARCHES:-x64 arm64}
host=$(node -p 'process.arch')

log "compiling src/ into dist/src"
rm -rf dist/src prebuilds
# the development build (tsconfig.json, incremental) must emit everything again next time
rm -f dist/.tsbuildinfo
npx --no-install tsc -p tsconfig.build.json

for arch in $arches; do
    if [ "$arch" = "$host" ]; then
        log "prebuild linux-$arch"
        quiet npx --no-install prebuildify --napi --strip --tag-libc
        continue
    fi
    case "$arch" in
        arm64) triple=aarch64-linux-gnu ;;
        x64) triple=x86_64-linux-gnu ;;
        *) log "no cross compiler known for $arch"; exit 1 ;;
    esac
    if ! command -v "$triple-gcc" >/dev/null; then
        log "$triple-gcc is missing (apt-get install gcc-$triple), so no linux-$arch prebuild;"
        log "set DEVLINK_SF_PREBUILD_ARCHES=$host to pack without it"
        exit 1
    fi
    log "prebuild linux-$arch with $triple-gcc"
    # node-gyp's make files link with $(CXX): the addon is C only, so gcc serves for all three
    CC="$triple-gcc" CXX="$triple-gcc" LINK="$triple-gcc" AR="$triple-ar" \
        quiet npx --no-install prebuildify --napi --strip --strip-bin "$triple-strip" --tag-libc --arch "$arch"
done
# the cross build left build/ configured for another architecture: the development
# addon (build/Release, which node-gyp-build prefers over prebuilds) is built again
if [ "$arches" != "$host" ]; then
    log "rebuilding the development addon (build/Release) for $host"
    quiet npx --no-install node-gyp rebuild
fi
find prebuilds -type f | sort | sed 's/^/[prepack] /' >&2
