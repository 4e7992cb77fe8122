#!/usr/bin/env bash
# Regenerate the byte-level captures in fixtures/kernel/ (the oracle for the encoder).
#
#   bash scripts/uml/capture.sh          # fixtures/kernel/    (capture.py --set base)
#   bash scripts/uml/capture.sh sf       # fixtures/kernel-sf/ (capture.py --set sf)
#   bash scripts/uml/capture.sh rest     # fixtures/kernel-rest/ (capture.py --set rest)
#
# Builds (or finds cached) the UML kernel, boots it with netdevsim10 (4 ports), and runs
# scripts/uml/capture.py inside: nlmon + tcpdump around each iproute2 `devlink` command,
# each pcap turned into JSON by scripts/uml/nlpcap.py. The results are staged in a
# temporary directory and replace the fixture directory only when the whole run
# succeeded.
# Root is needed (packages, and the guest writes as the host user running it).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SET=${1:-base}
case $SET in
    base) DEST=$REPO/fixtures/kernel ;;
    sf) DEST=$REPO/fixtures/kernel-sf ;;
    rest) DEST=$REPO/fixtures/kernel-rest ;;
    *) printf '[uml-capture] error: unknown set %s (base, sf or rest)\n' "$SET" >&2; exit 1 ;;
esac

log() { printf '[uml-capture] %s\n' "$*" >&2; }
die() { printf '[uml-capture] error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (the guest must create devices and the kernel may need building)"

LINUX=$(bash "$HERE/build.sh" | tail -n 1) || die "build.sh failed"
STAGE=$(mktemp -d /tmp/devlink-sf-capture.XXXXXX)
chmod 755 "$STAGE"

log "capturing into $STAGE"
if ! bash "$HERE/run.sh" --linux "$LINUX" --nsim "10 4" --cwd "$REPO" --timeout "${UML_TIMEOUT:-300}" -- \
    /usr/bin/python3 "$HERE/capture.py" --set "$SET" --out "$STAGE"; then
    die "the capture run failed; partial results in $STAGE"
fi
[ -f "$STAGE/index.json" ] || die "capture.py ended without writing index.json; partial results in $STAGE"

rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
cp -r "$STAGE" "$DEST"
chmod -R u=rwX,go=rX "$DEST"
rm -rf "$STAGE"
log "fixtures written to $DEST ($(find "$DEST" -name '*.json' ! -name index.json | wc -l) captures)"
