#!/usr/bin/env bash
# Benchmarks of record for ccgw (speed is never asserted in tests; it is measured here).
#
#   scripts/bench.sh [key|jwt|all]     (default: all)
#
# Needs: hyperfine, jq, GNU time (/usr/bin/time), and the test components that scripts/test.sh
# installs under ${CCGW_TEST_DEPS:-~/.cache/ccgw-test} (OpenBao's `bao`). Uses the release build.
# Prints each ratio with its target and PASS/MISS; exits 0 either way (a MISS is a finding, not a
# crash). Everything runs against 127.0.0.1 in a throwaway HOME.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEPS=${CCGW_TEST_DEPS:-$HOME/.cache/ccgw-test}
BAO=${BAO:-$DEPS/venv/bin/bao}
SECTION=${1:-all}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccgw-bench.XXXXXX")
BAO_PID=

cleanup() {
    if [ -n "$BAO_PID" ]; then
        kill "$BAO_PID" 2>/dev/null || true
        wait "$BAO_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

die() { echo "bench: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "\`$1\` is required"; }
need hyperfine
need jq
[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time) is required"

# verdict NAME VALUE OP TARGET: print one result line. OP is <= or >=.
verdict() {
    local name=$1 value=$2 op=$3 target=$4 ok
    if [ "$op" = "<=" ]; then
        ok=$(jq -n --argjson v "$value" --argjson t "$target" '$v <= $t')
    else
        ok=$(jq -n --argjson v "$value" --argjson t "$target" '$v >= $t')
    fi
    printf '%-46s %10s   target %s %-6s %s\n' "$name" "$value" "$op" "$target" \
        "$([ "$ok" = true ] && echo PASS || echo MISS)"
}

# mean SECONDS of the command named NAME in a hyperfine JSON export
mean() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .mean' "$1"; }
# ratio A/B of two means, 2 decimals
ratio() { jq -n --argjson a "$1" --argjson b "$2" '($a / $b * 100 | round) / 100'; }
ms() { jq -n --argjson s "$1" '($s * 100000 | round) / 100'; }

echo "building the release binary…" >&2
(cd "$ROOT" && cargo build --release --quiet)
CCGW=$ROOT/target/release/ccgw

# A hermetic HOME, like the tests' TestEnv.
export HOME=$WORK/home
export XDG_CONFIG_HOME=$HOME/.config XDG_CACHE_HOME=$HOME/.cache
mkdir -p "$XDG_CONFIG_HOME/ccgw" "$XDG_CACHE_HOME"
unset CCGW_CONFIG CCGW_PROFILE VAULT_ADDR VAULT_TOKEN BAO_ADDR BAO_TOKEN

bench_key() {
    [ -x "$BAO" ] || die "\`bao\` not found at $BAO (run scripts/test.sh, or set BAO)"
    local port key=sk-bench-0123456789abcdef
    port=$(( 20000 + RANDOM % 20000 ))
    "$BAO" server -dev -dev-root-token-id=bench-root -dev-listen-address="127.0.0.1:$port" \
        >"$WORK/bao.log" 2>&1 &
    BAO_PID=$!
    export BAO_ADDR=http://127.0.0.1:$port BAO_TOKEN=bench-root VAULT_TOKEN=bench-root
    local i
    for i in $(seq 1 100); do
        "$BAO" status >/dev/null 2>&1 && break
        [ "$i" = 100 ] && die "OpenBao did not start: $(cat "$WORK/bao.log")"
        sleep 0.1
    done
    "$BAO" kv put secret/gw api_key="$key" >/dev/null

    cat >"$XDG_CONFIG_HOME/ccgw/config.toml" <<EOF
default_profile = "bench"

[profiles.bench]
gateway = "http://127.0.0.1:4000"
key_ttl = "1h"

[profiles.bench.key]
source = "vault"
addr = "$BAO_ADDR"
path = "gw"
EOF
    printf '%s\n' "$key" >"$WORK/keyfile"
    [ "$("$CCGW" key)" = "$key" ] || die "ccgw key did not print the key"

    local hit="$CCGW key" cat_="cat $WORK/keyfile" cold="$CCGW key --no-cache"
    local bao_get="$BAO kv get -field=api_key secret/gw"
    echo >&2
    hyperfine -N --warmup 10 --min-runs 50 --export-json "$WORK/key.json" \
        "$hit" "$cat_" "$cold" "$bao_get" >&2

    local m_hit m_cat m_cold m_bao
    m_hit=$(mean "$WORK/key.json" "$hit")
    m_cat=$(mean "$WORK/key.json" "$cat_")
    m_cold=$(mean "$WORK/key.json" "$cold")
    m_bao=$(mean "$WORK/key.json" "$bao_get")

    local rss max=0
    for i in 1 2 3 4 5; do
        rss=$( { /usr/bin/time -f %M "$CCGW" key >/dev/null; } 2>&1 | tail -n1)
        [ "$rss" -gt "$max" ] && max=$rss
    done

    echo
    echo "== ccgw key (vault source, OpenBao on 127.0.0.1) =="
    printf '%-46s %10s\n' "cache hit, mean ms" "$(ms "$m_hit")"
    printf '%-46s %10s\n' "cat keyfile, mean ms" "$(ms "$m_cat")"
    printf '%-46s %10s\n' "cold vault fetch (--no-cache), mean ms" "$(ms "$m_cold")"
    printf '%-46s %10s\n' "bao kv get -field, mean ms" "$(ms "$m_bao")"
    verdict "cache hit / cat keyfile (x)" "$(ratio "$m_hit" "$m_cat")" "<=" 1.5
    verdict "bao kv get / cache hit (x faster)" "$(ratio "$m_bao" "$m_hit")" ">=" 50
    verdict "cold vault fetch / bao kv get (x)" "$(ratio "$m_cold" "$m_bao")" "<=" 0.5
    verdict "peak RSS of a cache hit (KiB)" "$max" "<=" 8192
}

bench_jwt() {
    echo
    echo "== ccgw key (jwt source) =="
    # ---------------------------------------------------------------------------------------
    # JWT ROW: TO BE FILLED by the jwt source's engineer (or the lead).
    # Target: cold JWT mint (`ccgw key --no-cache`, jwt source) / `jwt encode` <= 1.
    # `jwt encode` comes from the jwt-cli crate:
    #   cargo install jwt-cli --locked --root "$DEPS/cargo"   (then use "$DEPS/cargo/bin/jwt")
    # Write a jwt profile into "$XDG_CONFIG_HOME/ccgw/config.toml", run both in ONE hyperfine
    # run (-N), and report with: verdict "cold jwt mint / jwt encode (x)" "$(ratio …)" "<=" 1
    # ---------------------------------------------------------------------------------------
    echo "(not measured yet)"
}

case $SECTION in
    key) bench_key ;;
    jwt) bench_jwt ;;
    all) bench_key; bench_jwt ;;
    *) die "unknown section \`$SECTION\` (key, jwt or all)" ;;
esac
