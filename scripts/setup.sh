#!/usr/bin/env bash
# Install what the project needs to build and run: npm packages (which compiles the
# native socket addon through the package's own install script), then the TypeScript
# build. Idempotent: skips `npm ci` when node_modules matches package-lock.json.
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
log "compiling TypeScript"
npx --no-install tsc -p .
