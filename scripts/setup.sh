#!/usr/bin/env bash
# Install what the project needs to build and run: npm packages (which compiles the
# native socket addon through the package's own install script), then the TypeScript
# build. Idempotent: skips `npm ci` when node_modules matches package-lock.json.
# For the package test (test/package.test.ts): Debian's arm64 cross compiler and
# qemu-user (the arm64 prebuild is built and loaded), and the package's runtime
# dependencies in npm's cache, so that its tarball installs with `npm install --offline`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

command -v node >/dev/null || { log "node is missing: install Node.js >= 20"; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { log "Node.js >= 20 is needed (this is $(node --version))"; exit 1; }

stamp=node_modules/.devlink-sf-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
    log "installing npm packages (npm ci)"
    npm ci --no-audit --no-fund
    cp package-lock.json "$stamp"
fi
if [ ! -f build/Release/devlink_sf_netlink.node ] && ls native/*.c >/dev/null 2>&1; then
    log "building the native socket addon"
    npx --no-install node-gyp rebuild >/dev/null || log "the native addon did not build: the library will fall back to the netlink package's socket"
fi
# packages of the host's architecture only (-cross packages are Architecture: all):
# never a foreign architecture's nodejs, which would replace the machine's own
need=()
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
# the kernel's netdevsim devlink selftests (scripts/uml/selftests.sh) parse JSON with jq,
# and devlink_trap.sh wants udevadm
command -v jq >/dev/null || need+=(jq)
command -v udevadm >/dev/null || need+=(udev)
if [ "${#need[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        log "installing ${need[*]} (the arm64 prebuild and its test; the kernel selftests' tools)"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    else
        log "missing ${need[*]}: the arm64 prebuild or the kernel selftests cannot run (apt-get install them as root)"
    fi
fi
# the runtime dependencies, exactly as locked, with their registry metadata
deps=$(node -e '
const l = require("./package-lock.json");
for (const [k, v] of Object.entries(l.packages)) if (k && !v.dev) console.log(k.replace(/.*node_modules\//, "") + "@" + v.version);')
# shellcheck disable=SC2086
npm cache add $deps --loglevel=error >/dev/null 2>&1 || log "could not put the runtime dependencies in npm's cache: the package test needs them"
log "compiling TypeScript"
npx --no-install tsc -p .
