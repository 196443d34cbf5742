#!/usr/bin/env bash
# Benchmarks of record for ccgw (speed is never asserted in tests; it is measured here).
#
#   scripts/bench.sh [key|keyring|jwt|oidc|doctor|doctor-rtt|claude|size|targets|all]  (default: all)
#
# `targets` is issue 13's figures in one run: doctor's round trips to a gateway 100 ms away
# (HTTP and HTTPS), the cache hit against `cat` and its peak RSS, and the binary's size.
#
# CCGW_BIN=/path/to/ccgw measures that binary instead of building the release one.
# CCGW_BASELINE=/path/to/an/older/ccgw adds that binary's cache hit to the same hyperfine run
# as this one's (`key`), so the two are compared side by side on the same machine and load.
#
# Needs: hyperfine, jq, GNU time (/usr/bin/time), and the test components that scripts/deps.sh
# installs under ${CCGW_TEST_DEPS:-~/.cache/ccgw-test} (OpenBao's `bao`, LiteLLM, Claude Code).
# Uses the release build. Prints each ratio with its target and ✓ PASS/✗ MISS, and at the end a
# markdown table of every result with the machine and the date (for the README); exits 0 either
# way (a MISS is a finding, not a crash). Everything runs against 127.0.0.1 in a throwaway HOME.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/local-gateway.sh
. "$ROOT/scripts/local-gateway.sh"
DEPS=${CCGW_TEST_DEPS:-$HOME/.cache/ccgw-test}
BAO=${BAO:-$DEPS/venv/bin/bao}
SECTION=${1:-all}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccgw-bench.XXXXXX")
BAO_PID=
LITE_PID=
DBUS_PID=
KEYRING_PID=
OIDC_PID=
PROXY_PIDS=

cleanup() {
    local pid
    for pid in $BAO_PID $LITE_PID $KEYRING_PID $DBUS_PID $OIDC_PID $PROXY_PIDS; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

die() { echo "bench: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "\`$1\` is required"; }
need hyperfine
need jq
[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time) is required"

# Every result, as markdown table rows, for the report at the end.
ROWS=()

# verdict NAME VALUE OP TARGET: print one result line. OP is <= or >=.
verdict() {
    local name=$1 value=$2 op=$3 target=$4 ok word
    if [ "$op" = "<=" ]; then
        ok=$(jq -n --argjson v "$value" --argjson t "$target" '$v <= $t')
    else
        ok=$(jq -n --argjson v "$value" --argjson t "$target" '$v >= $t')
    fi
    word=$([ "$ok" = true ] && echo "✓ PASS" || echo "✗ MISS")
    printf '%-46s %10s   target %s %-6s %s\n' "$name" "$value" "$op" "$target" "$word"
    ROWS+=("| $name | $value | $op $target | $word |")
}

# measured NAME VALUE: a result without a target (printed, and kept for the table).
measured() {
    printf '%-46s %10s\n' "$1" "$2"
    ROWS+=("| $1 | $2 | | |")
}

# mean SECONDS of the command named NAME in a hyperfine JSON export
mean() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .mean' "$1"; }
# ratio A/B of two means, 2 decimals
ratio() { jq -n --argjson a "$1" --argjson b "$2" '($a / $b * 100 | round) / 100'; }
ms() { jq -n --argjson s "$1" '($s * 100000 | round) / 100'; }

if [ -n "${CCGW_BIN:-}" ]; then
    CCGW=$CCGW_BIN # a binary built elsewhere (or an older one), measured as it is
else
    echo "building the release binary…" >&2
    (cd "$ROOT" && cargo build --release --quiet)
    CCGW=$ROOT/target/release/ccgw
fi

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
    # The baseline fetches first: an older ccgw may drop the other entries of a profile when it
    # fetches, while this one keeps entries it does not own. Both then hit their own entry.
    local base_hit=() baseline=${CCGW_BASELINE:-}
    if [ -n "$baseline" ]; then
        [ "$("$baseline" key)" = "$key" ] || die "the baseline's ccgw key did not print the key"
        base_hit=("$baseline key --profile bench")
    fi
    [ "$("$CCGW" key)" = "$key" ] || die "ccgw key did not print the key"

    # Exactly the line ccgw writes as apiKeyHelper (what every claude process runs).
    local hit="$CCGW key --profile bench" cat_="cat $WORK/keyfile" cold="$CCGW key --no-cache"
    local bao_get="$BAO kv get -field=api_key secret/gw"
    echo >&2
    hyperfine -N --warmup 10 --min-runs 50 --export-json "$WORK/key.json" \
        "$hit" "${base_hit[@]}" "$cat_" "$cold" "$bao_get" >&2

    local m_hit m_cat m_cold m_bao
    m_hit=$(mean "$WORK/key.json" "$hit")
    m_cat=$(mean "$WORK/key.json" "$cat_")
    m_cold=$(mean "$WORK/key.json" "$cold")
    m_bao=$(mean "$WORK/key.json" "$bao_get")

    local rss max=0
    for i in 1 2 3 4 5; do
        rss=$( { /usr/bin/time -f %M "$CCGW" key --profile bench >/dev/null; } 2>&1 | tail -n1)
        [ "$rss" -gt "$max" ] && max=$rss
    done

    echo
    echo "== ccgw key (vault source, OpenBao on 127.0.0.1) =="
    measured "ccgw key, cache hit, mean ms" "$(ms "$m_hit")"
    measured "cat keyfile, mean ms" "$(ms "$m_cat")"
    measured "cold vault fetch (--no-cache), mean ms" "$(ms "$m_cold")"
    measured "bao kv get -field, mean ms" "$(ms "$m_bao")"
    verdict "cache hit / cat keyfile (x)" "$(ratio "$m_hit" "$m_cat")" "<=" 1.25
    if [ -n "$baseline" ]; then
        local m_base
        m_base=$(mean "$WORK/key.json" "${base_hit[0]}")
        measured "baseline cache hit, mean ms" "$(ms "$m_base")"
        measured "baseline cache hit / cat keyfile (x)" "$(ratio "$m_base" "$m_cat")"
        measured "cache hit / baseline cache hit (x)" "$(ratio "$m_hit" "$m_base")"
    fi
    verdict "bao kv get / cache hit (x faster)" "$(ratio "$m_bao" "$m_hit")" ">=" 50
    verdict "cold vault fetch / bao kv get (x)" "$(ratio "$m_cold" "$m_bao")" "<=" 0.5
    verdict "peak RSS of a cache hit (KiB)" "$max" "<=" 4096
}

# The keyring source is never cached (a key in the OS keyring is never copied into a plaintext
# file), so every `ccgw key` reads the keyring: time that read against the file-cache hit of a
# command source and `cat`. A private session bus with an unlocked gnome-keyring for the Secret
# Service, and the kernel keyring (`backend = "keyutils"`).
bench_keyring() {
    need dbus-daemon
    need gnome-keyring-daemon
    need secret-tool
    local key=sk-bench-keyring-0123456789 ss=$WORK/ss i p
    mkdir -p "$ss/run"
    chmod 700 "$ss/run"
    cat >"$ss/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$ss/run/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/>
  </policy>
</busconfig>
EOF
    dbus-daemon --config-file="$ss/bus.conf" --nofork >/dev/null 2>&1 &
    DBUS_PID=$!
    export DBUS_SESSION_BUS_ADDRESS=unix:path=$ss/run/bus XDG_RUNTIME_DIR=$ss/run
    for i in $(seq 1 100); do
        [ -S "$ss/run/bus" ] && break
        [ "$i" = 100 ] && die "dbus-daemon did not start"
        sleep 0.05
    done
    # `--unlock` reads the (throwaway) login keyring's password from stdin.
    printf bench | gnome-keyring-daemon --foreground --unlock --components=secrets \
        >/dev/null 2>&1 &
    KEYRING_PID=$!
    for i in $(seq 1 100); do
        timeout 2 secret-tool search --all ccgw-probe none >/dev/null 2>&1 && break
        [ "$i" = 100 ] && die "the Secret Service did not come up"
        sleep 0.1
    done

    printf '%s\n' "$key" >"$WORK/keyfile"
    cat >"$XDG_CONFIG_HOME/ccgw/config.toml" <<EOF
default_profile = "ss"

[profiles.ss]
gateway = "http://127.0.0.1:4000"
[profiles.ss.key]
source = "keyring"

[profiles.ku]
gateway = "http://127.0.0.1:4000"
[profiles.ku.key]
source = "keyring"
backend = "keyutils"
account = "bench-$$"

[profiles.file]
gateway = "http://127.0.0.1:4000"
[profiles.file.key]
source = "command"
command = "cat $WORK/keyfile"
EOF
    for p in ss ku; do
        printf '%s' "$key" | "$CCGW" --profile "$p" secret set >/dev/null \
            || die "could not store the key in the \`$p\` keyring"
        [ "$("$CCGW" key --profile "$p")" = "$key" ] || die "ccgw key --profile $p did not print the key"
    done
    [ "$("$CCGW" key --profile file)" = "$key" ] || die "ccgw key --profile file did not print the key"

    local ss_read="$CCGW key --profile ss" ku_read="$CCGW key --profile ku"
    local file_hit="$CCGW key --profile file" cat_="cat $WORK/keyfile"
    echo >&2
    hyperfine -N --warmup 10 --min-runs 50 --export-json "$WORK/keyring.json" \
        "$ss_read" "$ku_read" "$file_hit" "$cat_" >&2
    "$CCGW" --profile ku secret delete >/dev/null 2>&1 || true

    local m_ss m_ku m_file m_cat
    m_ss=$(mean "$WORK/keyring.json" "$ss_read")
    m_ku=$(mean "$WORK/keyring.json" "$ku_read")
    m_file=$(mean "$WORK/keyring.json" "$file_hit")
    m_cat=$(mean "$WORK/keyring.json" "$cat_")
    echo
    echo "== ccgw key, keyring source (read on every call, never copied to the file cache) =="
    measured "ccgw key, keyring (Secret Service), mean ms" "$(ms "$m_ss")"
    measured "ccgw key, keyring (keyutils), mean ms" "$(ms "$m_ku")"
    measured "ccgw key, file-cache hit (command), mean ms" "$(ms "$m_file")"
    measured "cat keyfile, mean ms" "$(ms "$m_cat")"
    measured "Secret Service read / file-cache hit (x)" "$(ratio "$m_ss" "$m_file")"
    measured "keyutils read / file-cache hit (x)" "$(ratio "$m_ku" "$m_file")"
}

bench_jwt() {
    local jwt=$DEPS/jwt-cli/bin/jwt
    if [ ! -x "$jwt" ]; then
        echo "installing jwt-cli (the anchor's \`jwt encode\`) into $DEPS/jwt-cli…" >&2
        cargo install --quiet --locked jwt-cli --root "$DEPS/jwt-cli" >&2
    fi
    head -c 48 /dev/urandom | base64 | tr -d '\n' >"$WORK/hmac.key"
    cat >"$XDG_CONFIG_HOME/ccgw/config.toml" <<EOF
default_profile = "bench"

[profiles.bench]
gateway = "http://127.0.0.1:4000"
key_ttl = "1h"

[profiles.bench.key]
source = "jwt"
algorithm = "HS256"
key_file = "$WORK/hmac.key"
issuer = "ccgw"
audience = "litellm"
subject = "ada"
[profiles.bench.key.claims]
team = "platform"
EOF
    "$CCGW" key --no-cache >/dev/null || die "ccgw key (jwt) failed"
    # The same claims for both; the claim JSON is single-quoted because -N splits words itself.
    local mint="$CCGW key --no-cache"
    local anchor="$jwt encode --secret=@$WORK/hmac.key --exp=+1h --iss=ccgw --aud=litellm --sub=ada '{\"team\":\"platform\"}'"
    echo >&2
    hyperfine -N --warmup 10 --min-runs 100 --export-json "$WORK/jwt.json" "$mint" "$anchor" >&2
    local m_mint m_anchor
    m_mint=$(mean "$WORK/jwt.json" "$mint")
    m_anchor=$(mean "$WORK/jwt.json" "$anchor")
    echo
    echo "== ccgw key (jwt source, HS256) =="
    measured "cold JWT mint (--no-cache), mean ms" "$(ms "$m_mint")"
    measured "jwt encode (jwt-cli), mean ms" "$(ms "$m_anchor")"
    verdict "cold JWT mint / jwt encode (x)" "$(ratio "$m_mint" "$m_anchor")" "<=" 1
}

# --- oidc: a signed-in profile against the real oidc-provider -----------------------------------
# The IdP of the tests (tests/fixtures/oidc_provider.mjs, panva's oidc-provider from
# `scripts/deps.sh --oidc`) on 127.0.0.1; the device sign-in approved over HTTP as in the tests
# (tests/fixtures/oidc_approve.py); the refresh token in the kernel keyring. Rows: the cache hit
# of an oidc token (the same bar as the other sources: against `cat`), and a silent refresh
# (`ccgw key --refresh`: the keyring read, discovery, the refresh-token grant with rotation and
# the keyring write, under the cache lock, as `ccgw key` does at expiry).
bench_oidc() {
    local module=$DEPS/oidc-provider/node_modules/oidc-provider/lib/index.js
    local py=$DEPS/venv/bin/python
    [ -f "$module" ] || die "oidc-provider not found at $module (run scripts/deps.sh --oidc)"
    [ -x "$py" ] || die "python not found at $py (run scripts/deps.sh --python)"
    need node
    local dir=$WORK/oidc issuer="" i service="ccgw-bench-$$"
    mkdir -p "$dir"
    jq -n --arg m "$module" '{module: $m, access_token_ttl: 3600, audience: "urn:ccgw:gateway"}' \
        >"$dir/config.json"
    node "$ROOT/tests/fixtures/oidc_provider.mjs" "$dir/config.json" "$dir/events.jsonl" \
        2>"$dir/stderr.log" &
    OIDC_PID=$!
    for i in $(seq 1 300); do
        issuer=$(jq -r 'select(.event == "ready") | .issuer' "$dir/events.jsonl" 2>/dev/null || true)
        [ -n "$issuer" ] && break
        [ "$i" = 300 ] && die "oidc-provider did not start: $(cat "$dir/stderr.log")"
        sleep 0.1
    done
    cat >"$XDG_CONFIG_HOME/ccgw/config.toml" <<EOF
default_profile = "sso"

[profiles.sso]
gateway = "http://127.0.0.1:4000"
key_ttl = "1h"

[profiles.sso.key]
source = "oidc"
issuer = "$issuer"
client_id = "ccgw-cli"
scopes = ["openid", "offline_access", "gateway"]
audience = "urn:ccgw:gateway"
backend = "keyutils"
service = "$service"
EOF
    # The "browser" approves the sign-in as the user `bench` (the URL is its one argument).
    # shellcheck disable=SC2016 # $1 is the browser script's own argument
    printf '#!/bin/sh\n"%s" "%s" "$1" bench >>"%s" 2>&1 &\n' \
        "$py" "$ROOT/tests/fixtures/oidc_approve.py" "$dir/approve.log" >"$dir/browser.sh"
    chmod +x "$dir/browser.sh"
    CCGW_BROWSER=$dir/browser.sh "$CCGW" login >"$dir/login.log" 2>&1 ||
        die "ccgw login failed: $(cat "$dir/login.log" "$dir/approve.log" 2>/dev/null)"
    local token
    token=$("$CCGW" key --profile sso)
    printf '%s\n' "$token" >"$dir/tokenfile"

    local hit="$CCGW key --profile sso" cat_="cat $dir/tokenfile"
    local refresh="$CCGW key --profile sso --refresh"
    local grants='[.[] | select(.event == "grant.success" and .grant_type == "refresh_token")] | length'
    local before after
    before=$(jq -s "$grants" "$dir/events.jsonl")
    echo >&2
    hyperfine -N --warmup 10 --min-runs 50 --export-json "$WORK/oidc-hit.json" "$hit" "$cat_" >&2
    hyperfine -N --warmup 2 --runs 20 --export-json "$WORK/oidc-refresh.json" "$refresh" >&2
    after=$(jq -s "$grants" "$dir/events.jsonl")
    [ "$("$CCGW" key --profile sso)" != "$token" ] || die "the refreshes did not replace the token"
    "$CCGW" logout >/dev/null 2>&1 || true

    local m_hit m_cat m_refresh
    m_hit=$(mean "$WORK/oidc-hit.json" "$hit")
    m_cat=$(mean "$WORK/oidc-hit.json" "$cat_")
    m_refresh=$(mean "$WORK/oidc-refresh.json" "$refresh")
    echo
    echo "== ccgw key (oidc source, oidc-provider on 127.0.0.1) =="
    measured "oidc cache hit, mean ms" "$(ms "$m_hit")"
    verdict "oidc cache hit / cat tokenfile (x)" "$(ratio "$m_hit" "$m_cat")" "<=" 1.5
    measured "oidc silent refresh (--refresh), mean ms" "$(ms "$m_refresh")"
    measured "refresh grants at the IdP in those runs" "$((after - before))"
}

# --- doctor, claude time-to-first-answer, binary size -----------------------------------------
LITELLM=${LITELLM:-$DEPS/venv/bin/litellm}
PYTHON=${PYTHON:-$DEPS/venv/bin/python}
CLAUDE=${CLAUDE:-$DEPS/npm/node_modules/.bin/claude}
LITE_BASE=
LITE_KEY=sk-bench-master-0123456789
ANSWER="Hello from the LiteLLM mock"

# A local LiteLLM (one mock model, a master key, no database), shared by the doctor and claude
# sections.
start_litellm() {
    [ -n "$LITE_BASE" ] && return 0
    if [ ! -x "$LITELLM" ] || [ ! -x "$PYTHON" ]; then
        die "LiteLLM not found under $DEPS/venv (run scripts/deps.sh)"
    fi
    echo "starting LiteLLM…" >&2
    litellm_start "$LITELLM" "$PYTHON" "$WORK" "$LITE_KEY" "$ANSWER" 120 || die "no LiteLLM"
    LITE_PID=$LITELLM_PID
    LITE_BASE=$LITELLM_BASE
}

# home_for NAME GATEWAY KEY_TOML: a HOME of its own with a ccgw profile `bench` and the user
# settings ccgw writes for it; prints the HOME.
home_for() {
    local h=$WORK/home-$1
    mkdir -p "$h/.config/ccgw" "$h/.cache"
    cat >"$h/.config/ccgw/config.toml" <<EOF
default_profile = "bench"

[profiles.bench]
gateway = "$2"
key_ttl = "1h"
model = "claude-sonnet-5-5"

[profiles.bench.key]
$3
EOF
    HOME=$h XDG_CONFIG_HOME=$h/.config XDG_CACHE_HOME=$h/.cache \
        "$CCGW" settings write --scope user >/dev/null 2>&1 || die "ccgw settings write failed in $h"
    echo "$h"
}

# in_home HOME CMD…: run CMD with that HOME and its XDG dirs.
in_home() {
    local h=$1
    shift
    HOME=$h XDG_CONFIG_HOME=$h/.config XDG_CACHE_HOME=$h/.cache "$@"
}

bench_doctor() {
    start_litellm
    local healthy closed port
    printf '%s\n' "$LITE_KEY" >"$WORK/lite.key"
    healthy=$(home_for doctor "$LITE_BASE" "source = \"command\"
command = \"cat $WORK/lite.key\"")
    port=$(free_port "$PYTHON") # released again: nothing listens there
    closed=$(home_for closed "http://127.0.0.1:$port" "source = \"command\"
command = \"cat $WORK/lite.key\"")
    # Measure what we mean to: all checks pass on the healthy gateway, the closed port fails.
    in_home "$healthy" "$CCGW" doctor >"$WORK/doctor.out" 2>&1 ||
        die "ccgw doctor failed on the healthy LiteLLM: $(cat "$WORK/doctor.out")"
    if in_home "$closed" "$CCGW" doctor >"$WORK/doctor.out" 2>&1; then
        die "ccgw doctor passed against a closed port"
    fi
    echo >&2
    in_home "$healthy" hyperfine -N --warmup 2 --runs 10 \
        --export-json "$WORK/doctor-healthy.json" -n doctor-healthy "$CCGW doctor" >&2
    in_home "$closed" hyperfine -N -i --warmup 2 --runs 20 \
        --export-json "$WORK/doctor-closed.json" -n doctor-closed "$CCGW doctor" >&2
    echo
    echo "== ccgw doctor (wall time, mean of hyperfine runs) =="
    verdict "ccgw doctor, healthy local LiteLLM (s)" \
        "$(jq -n --argjson s "$(mean "$WORK/doctor-healthy.json" doctor-healthy)" '($s * 1000 | round) / 1000')" "<=" 1
    verdict "ccgw doctor, closed port (s)" \
        "$(jq -n --argjson s "$(mean "$WORK/doctor-closed.json" doctor-closed)" '($s * 1000 | round) / 1000')" "<=" 0.2
}

# --- doctor across a slow network: round trips to a gateway 100 ms away ------------------------
# scripts/latency-proxy.py (a userspace TCP proxy of the bench's own: `tc netem` is not
# available) delays every byte 50 ms each way and charges a new connection one round trip, in
# front of the real LiteLLM; for HTTPS a TLS terminator in the same process sits behind the
# delay, with a throwaway CA that the profile's `tls.ca_file` trusts. The figure is doctor's
# wall time / 100 ms: process start, the key and LiteLLM's own work are in it too.
RTT_MS=100

# start_latency_proxy VAR UPSTREAM_PORT [CERT KEY]: sets VAR to the proxy's port. Not called
# in a command substitution, whose subshell would keep the PID from cleanup (the proxy would
# outlive the bench).
start_latency_proxy() {
    local var=$1 out=$WORK/proxy-$RANDOM.port i
    shift
    "$PYTHON" "$ROOT/scripts/latency-proxy.py" 127.0.0.1 "$1" $((RTT_MS / 2)) "${@:2}" >"$out" 2>&1 &
    PROXY_PIDS="$PROXY_PIDS $!"
    for i in $(seq 1 100); do
        if [ -s "$out" ]; then
            printf -v "$var" '%s' "$(head -n1 "$out")"
            return 0
        fi
        sleep 0.1
    done
    die "the latency proxy did not start: $(cat "$out")"
}

# A throwaway CA and a certificate for 127.0.0.1 that it signed, in $WORK/tls.
make_bench_certs() {
    local d=$WORK/tls
    mkdir -p "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -keyout "$d/ca.key" -out "$d/ca.pem" -subj /CN=ccgw-bench-ca \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
        >/dev/null 2>&1 || die "openssl could not make the bench CA"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
        -keyout "$d/server.key" -out "$d/server.csr" >/dev/null 2>&1 || die "openssl req failed"
    printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
        >"$d/server.ext"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
        -days 2 -extfile "$d/server.ext" -out "$d/server.pem" >/dev/null 2>&1 ||
        die "openssl could not sign the bench certificate"
}

bench_doctor_rtt() {
    need openssl
    start_litellm
    local lite_port=${LITE_BASE##*:} http_port https_port http_home https_home
    printf '%s\n' "$LITE_KEY" >"$WORK/lite.key"
    make_bench_certs
    start_latency_proxy http_port "$lite_port"
    start_latency_proxy https_port "$lite_port" "$WORK/tls/server.pem" "$WORK/tls/server.key"
    http_home=$(home_for rtt-http "http://127.0.0.1:$http_port" "source = \"command\"
command = \"cat $WORK/lite.key\"")
    https_home=$(home_for rtt-https "https://127.0.0.1:$https_port" "source = \"command\"
command = \"cat $WORK/lite.key\"

[profiles.bench.tls]
ca_file = \"$WORK/tls/ca.pem\"")
    local h
    for h in "$http_home" "$https_home"; do
        in_home "$h" "$CCGW" doctor >"$WORK/doctor-rtt.out" 2>&1 ||
            die "ccgw doctor failed through the latency proxy: $(cat "$WORK/doctor-rtt.out")"
    done
    echo >&2
    in_home "$http_home" hyperfine -N --warmup 1 --runs 5 \
        --export-json "$WORK/doctor-rtt-http.json" -n doctor-http "$CCGW doctor" >&2
    in_home "$https_home" hyperfine -N --warmup 1 --runs 5 \
        --export-json "$WORK/doctor-rtt-https.json" -n doctor-https "$CCGW doctor" >&2
    local m_http m_https
    m_http=$(mean "$WORK/doctor-rtt-http.json" doctor-http)
    m_https=$(mean "$WORK/doctor-rtt-https.json" doctor-https)
    rtts() { jq -n --argjson s "$1" --argjson r "$RTT_MS" '($s * 1000 / $r * 10 | round) / 10'; }
    echo
    echo "== ccgw doctor, healthy LiteLLM ${RTT_MS} ms away (wall time / ${RTT_MS} ms) =="
    verdict "ccgw doctor over HTTP (round trips)" "$(rtts "$m_http")" "<=" 4
    verdict "ccgw doctor over HTTPS (round trips)" "$(rtts "$m_https")" "<=" 5
}

# One `claude -p` in HOME; prints its wall time in ms, or dies unless it printed the mock answer.
claude_once() {
    local h=$1 t0 t1 out
    t0=$EPOCHREALTIME
    out=$(in_home "$h" env TERM=dumb CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
        CLAUDE_CODE_MAX_RETRIES=0 timeout -k 5 120 "$CLAUDE" -p "say hello" </dev/null 2>&1) || true
    t1=$EPOCHREALTIME
    case $out in
        *"$ANSWER"*) ;;
        *) die "claude -p in $h did not answer: $out" ;;
    esac
    jq -n --argjson a "${t0/./}" --argjson b "${t1/./}" '(($b - $a) / 1000 | round)'
}

median() { printf '%s\n' "$@" | sort -n | jq -s 'sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end'; }

bench_claude() {
    start_litellm
    [ -x "$CLAUDE" ] || die "Claude Code not found at $CLAUDE (run scripts/deps.sh)"
    local helper static runs=${BENCH_CLAUDE_RUNS:-10} i a=() b=()
    printf '%s\n' "$LITE_KEY" >"$WORK/lite.key"
    # ccgw's apiKeyHelper (command source, so the cache is what is measured once warm) …
    helper=$(home_for claude-helper "$LITE_BASE" "source = \"command\"
command = \"cat $WORK/lite.key\"")
    # … against the same settings with a static token and no helper at all.
    static=$WORK/home-claude-static
    mkdir -p "$static/.claude"
    jq -n --arg url "$LITE_BASE" --arg key "$LITE_KEY" \
        '{env: {ANTHROPIC_BASE_URL: $url, ANTHROPIC_AUTH_TOKEN: $key, ANTHROPIC_MODEL: "claude-sonnet-5-5"}}' \
        >"$static/.claude/settings.json"
    echo "claude -p, $runs runs each, interleaved (helper, static, helper, …)…" >&2
    claude_once "$helper" >/dev/null # warm-up: fills ccgw's cache and the page cache
    claude_once "$static" >/dev/null
    for i in $(seq 1 "$runs"); do
        a+=("$(claude_once "$helper")")
        b+=("$(claude_once "$static")")
    done
    local ma mb
    ma=$(median "${a[@]}")
    mb=$(median "${b[@]}")
    echo
    echo "== claude -p time to first answer (median of $runs, ms) =="
    measured "claude -p with ccgw's apiKeyHelper (ms)" "$ma"
    measured "claude -p with static ANTHROPIC_AUTH_TOKEN (ms)" "$mb"
    verdict "claude -p helper / static (x)" "$(ratio "$ma" "$mb")" "<=" 1.05
}

bench_size() {
    local bytes
    bytes=$(stat -c %s "$CCGW")
    echo
    echo "== release binary =="
    verdict "binary size, release build (MiB)" "$(jq -n --argjson b "$bytes" '($b / 1048576 * 100 | round) / 100')" "<=" 8
}

report() {
    local cpu
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
    echo
    echo "### Results ($(date -u +%Y-%m-%d), $(nproc) CPUs, $(uname -m), ${cpu:-unknown CPU}," \
        "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end)"
    echo
    echo "| benchmark | result | target | |"
    echo "|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
}

case $SECTION in
    key) bench_key ;;
    keyring) bench_keyring ;;
    jwt) bench_jwt ;;
    oidc) bench_oidc ;;
    doctor) bench_doctor ;;
    doctor-rtt) bench_doctor_rtt ;;
    claude) bench_claude ;;
    size) bench_size ;;
    targets) bench_doctor_rtt; bench_key; bench_size ;;
    all) bench_key; bench_keyring; bench_jwt; bench_oidc; bench_doctor; bench_doctor_rtt; bench_claude; bench_size ;;
    *) die "unknown section \`$SECTION\` (key, keyring, jwt, oidc, doctor, doctor-rtt, claude, size, targets or all)" ;;
esac
[ ${#ROWS[@]} -eq 0 ] || report
