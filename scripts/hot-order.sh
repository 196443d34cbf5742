#!/usr/bin/env bash
# Regenerate scripts/cache-hit.order, the functions a cache hit runs, which build.rs hands LLD
# (`--symbol-ordering-file`) so that they sit side by side at the start of .text: a hit then
# maps a few pages of the binary's code instead of pieces of most of it (its peak RSS).
#
#   scripts/hot-order.sh
#
# Builds the release binary with a link map, runs one cache hit (`command` source, throwaway
# HOME) under callgrind, and lists the symbols of every .text input section it executed
# (scripts/hot-order.py). Run it again after a change to the hit path or a toolchain or
# dependency update: a stale list still links and runs the same, it just orders less.
# Needs valgrind and python3.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccgw-hot-order.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
command -v valgrind >/dev/null || { echo "hot-order: valgrind is required" >&2; exit 1; }

(cd "$ROOT" && CCGW_LINK_MAP=$WORK/ccgw.map cargo build --release --quiet)
CCGW=$ROOT/target/release/ccgw

export HOME=$WORK/home XDG_CONFIG_HOME=$WORK/home/.config XDG_CACHE_HOME=$WORK/home/.cache
unset CCGW_CONFIG CCGW_PROFILE
mkdir -p "$XDG_CONFIG_HOME/ccgw" "$XDG_CACHE_HOME"
printf 'sk-hot-order-0123456789\n' >"$WORK/keyfile"
cat >"$XDG_CONFIG_HOME/ccgw/config.toml" <<TOML
default_profile = "hot"

[profiles.hot]
gateway = "http://127.0.0.1:4000"
key_ttl = "1h"

[profiles.hot.key]
source = "command"
command = "cat $WORK/keyfile"
TOML
"$CCGW" key --profile hot >/dev/null # fills the cache: what follows is the hit
valgrind --tool=callgrind --dump-instr=yes --compress-pos=no \
    --callgrind-out-file="$WORK/hit.callgrind" "$CCGW" key --profile hot >/dev/null 2>&1
python3 "$ROOT/scripts/hot-order.py" "$WORK/ccgw.map" "$WORK/hit.callgrind" \
    >"$ROOT/scripts/cache-hit.order"
echo "scripts/cache-hit.order: $(wc -l <"$ROOT/scripts/cache-hit.order") symbols" >&2
