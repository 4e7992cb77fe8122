#!/usr/bin/env bash
# The API reference and the API reports (npm run docs; .ci/run through scripts/test.sh).
#
# - TypeDoc builds the reference from the TSDoc comments into docs/api/ (index.html) and
#   lists every public export (and member) without documentation. Those that were
#   undocumented when the check began are listed in docs/api-undocumented.txt; any other
#   fails the check, and one documented since must leave the list (so it only shrinks).
# - API Extractor compares the public surface of both entry points with etc/*.api.md:
#   a change fails the check until the report is updated and committed, so it shows in
#   review.
# DEVLINK_SF_API_UPDATE=1 (npm run docs:update) rewrites the reports and the list instead.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
update=${DEVLINK_SF_API_UPDATE:-0}
log() { printf '[api] %s\n' "$*" >&2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

npx --no-install tsc -p tsconfig.build.json

for cfg in api-extractor.json api-extractor.sim.json api-extractor.agent.json; do
    if [ "$update" = 1 ]; then
        npx --no-install api-extractor run --local -c "$cfg" >"$tmp/ae.log" 2>&1 || { cat "$tmp/ae.log"; exit 1; }
    elif ! npx --no-install api-extractor run -c "$cfg" >"$tmp/ae.log" 2>&1; then
        cat "$tmp/ae.log" >&2
        log "the public API differs from etc/ ($cfg): if the change is meant, run npm run docs:update and commit etc/"
        status=1
    fi
done

npx --no-install typedoc --logLevel Warn >"$tmp/typedoc.log" 2>&1 || { cat "$tmp/typedoc.log" >&2; log "typedoc failed"; exit 1; }
# one line per warning, without colours: "index.Devlink.open (Method), defined in src/devlink/devlink.ts"
sed -e 's/\x1b\[[0-9;]*m//g' "$tmp/typedoc.log" | grep '^\[warning\]' | sed -e 's/^\[warning\] //' -e 's#devlink-sf/src/#src/#' | sort -u >"$tmp/now.txt"
grep -v -e 'does not have any documentation' -e '^Found [0-9]* errors' "$tmp/now.txt" >"$tmp/other.txt" || true
if [ -s "$tmp/other.txt" ]; then
    cat "$tmp/other.txt" >&2
    log "typedoc warnings other than missing documentation"
    status=1
fi
grep 'does not have any documentation' "$tmp/now.txt" | sed 's/, does not have any documentation$//' >"$tmp/undoc.txt" || true
list=docs/api-undocumented.txt
if [ "$update" = 1 ]; then
    cp "$tmp/undoc.txt" "$list"
    log "$(wc -l <"$list") undocumented left in $list"
else
    comm -23 "$tmp/undoc.txt" "$list" >"$tmp/new.txt"
    comm -13 "$tmp/undoc.txt" "$list" >"$tmp/gone.txt"
    if [ -s "$tmp/new.txt" ]; then
        sed 's/^/  /' "$tmp/new.txt" >&2
        log "$(wc -l <"$tmp/new.txt") public declaration(s) without a TSDoc comment (above): document them"
        status=1
    fi
    if [ -s "$tmp/gone.txt" ]; then
        sed 's/^/  /' "$tmp/gone.txt" >&2
        log "documented now (above): remove them from $list (npm run docs:update)"
        status=1
    fi
fi
[ "$status" = 0 ] && log "reference in docs/api/index.html; $(wc -l <"$tmp/undoc.txt") declarations still undocumented (docs/api-undocumented.txt)"
exit "$status"
