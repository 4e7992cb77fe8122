#!/usr/bin/env bash
# The README's first command: install what the library needs (npm packages, the native
# socket addon, the TypeScript build), then run the sub-function lifecycle demo on the
# built-in simulator. Arguments are passed to `devlink-sf demo` (without --sim it runs
# against the real kernel's devlink devices).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
if [ "$#" -eq 0 ]; then set -- --sim; fi
exec node bin/devlink-sf.js demo "$@"
