#!/usr/bin/env bash
# See ccgw work, end to end, on this machine, without touching your own setup:
#
#   ./install.sh && scripts/demo.sh
#
# It starts a local LiteLLM proxy (one model with a canned answer, a master key) and a local
# OpenBao dev server holding that key, runs `ccgw init --non-interactive` against both in a
# throwaway HOME, runs `ccgw doctor`, then asks the real Claude Code (`claude -p`) a question through ccgw and prints
# the answer. Everything listens on 127.0.0.1 and is removed on exit; nothing reaches the
# internet. It needs the components scripts/deps.sh installs under $CCGW_TEST_DEPS (default
# ~/.cache/ccgw-test) and installs them when they are missing.
#
# Environment: CCGW_BIN (the ccgw to use; default: ccgw on PATH, else ~/.local/bin/ccgw),
# CCGW_TEST_DEPS, DEMO_START_TIMEOUT (seconds to wait for LiteLLM; default 120).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/local-gateway.sh
. "$here/local-gateway.sh"
deps="${CCGW_TEST_DEPS:-$HOME/.cache/ccgw-test}"
start_timeout="${DEMO_START_TIMEOUT:-120}"
question="In one short sentence: what is an LLM gateway?"

say() { printf '\n==> %s\n' "$*" >&2; }
die() {
    printf 'demo: %s\n' "$*" >&2
    exit 1
}

# --- what it needs --------------------------------------------------------------------------------
ccgw="${CCGW_BIN:-}"
if [ -z "$ccgw" ]; then
    ccgw="$(command -v ccgw || true)"
    [ -n "$ccgw" ] || ccgw="$HOME/.local/bin/ccgw"
fi
[ -x "$ccgw" ] || die "ccgw not found on PATH or at ~/.local/bin/ccgw; run ./install.sh first"

bao="$deps/venv/bin/bao"
litellm="$deps/venv/bin/litellm"
python="$deps/venv/bin/python"
claude="$deps/npm/node_modules/.bin/claude"
want=()
{ [ -x "$bao" ] && [ -x "$litellm" ] && [ -x "$python" ]; } || want+=(--python)
[ -x "$claude" ] || want+=(--claude)
if [ ${#want[@]} -gt 0 ]; then
    say "installing the demo's components (scripts/deps.sh ${want[*]})"
    CCGW_TEST_DEPS="$deps" "$here/deps.sh" "${want[@]}"
fi

# --- a throwaway HOME, and cleanup whatever happens --------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/ccgw-demo.XXXXXX")"
pids=()
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    # Bounded: up to 5 s for a clean exit, then KILL.
    for _ in $(seq 50); do
        local alive=0
        for pid in "${pids[@]}"; do
            kill -0 "$pid" 2>/dev/null && alive=1
        done
        [ "$alive" -eq 0 ] && break
        sleep 0.1
    done
    for pid in "${pids[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

home="$work/home"
mkdir -p "$home" "$work/tmp"
chmod 700 "$work" "$home"
# Claude Code keeps scratch files under $TMPDIR: inside the work dir, they go with it.
export TMPDIR="$work/tmp"
# Nothing of your own environment leaks in: the demo's HOME and XDG dirs, no gateway, Claude,
# Vault or AWS variables.
while IFS= read -r name; do
    unset "$name"
done < <(compgen -e | grep -E '^(ANTHROPIC_|CLAUDE_|CCGW_|VAULT_|BAO_|AWS_|CLOUD_ML_|GOOGLE_|DBUS_)' || true)
export HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_CACHE_HOME="$home/.cache" \
    XDG_DATA_HOME="$home/.local/share" XDG_STATE_HOME="$home/.local/state"
export NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost"

# --- OpenBao holding the key --------------------------------------------------------------------
master_key="sk-demo-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
bao_port="$(free_port "$python")"
export BAO_ADDR="http://127.0.0.1:$bao_port"
say "starting OpenBao (dev server) on $BAO_ADDR"
# A dev server writes its root token to ~/.vault-token (the demo's HOME): no token in argv.
"$bao" server -dev -dev-listen-address="127.0.0.1:$bao_port" >"$work/openbao.log" 2>&1 &
pids+=($!)
for _ in $(seq 150); do
    [ -s "$home/.vault-token" ] && "$bao" status >/dev/null 2>&1 && break
    sleep 0.2
done
"$bao" status >/dev/null 2>&1 || { cat "$work/openbao.log" >&2; die "OpenBao did not start"; }
# `api_key=-` reads the value from stdin: the key never appears in a process list.
printf '%s' "$master_key" | "$bao" kv put secret/claude-gateway api_key=- >/dev/null
echo "stored the gateway key at secret/claude-gateway (field api_key)" >&2

# --- LiteLLM with a mock model ------------------------------------------------------------------
say "starting LiteLLM (takes ~10 s)"
litellm_start "$litellm" "$python" "$work" "$master_key" "Hello from the LiteLLM mock" "$start_timeout" ||
    { pids+=("$LITELLM_PID"); die "no LiteLLM"; }
pids+=("$LITELLM_PID")
gateway="$LITELLM_BASE"
echo "LiteLLM answers on $gateway" >&2

# --- ccgw ---------------------------------------------------------------------------------------
say "ccgw init: a profile for this gateway, key from OpenBao, written into ~/.claude/settings.json"
"$ccgw" --profile demo init --non-interactive --no-doctor \
    --gateway "$gateway" --mode unified --model claude-sonnet-5-5 --key-ttl 1h \
    --key-source vault --vault-addr "$BAO_ADDR" --vault-path claude-gateway --scope user
echo "--- ~/.config/ccgw/config.toml" >&2
cat "$XDG_CONFIG_HOME/ccgw/config.toml" >&2
echo "--- ~/.claude/settings.json (no key in it: Claude Code runs 'ccgw key' for that)" >&2
cat "$home/.claude/settings.json" >&2

say "ccgw doctor"
"$ccgw" doctor || die "ccgw doctor found a problem"

say "claude -p \"$question\""
# TERM=dumb and no non-essential traffic: the offline switches for Claude Code. timeout(1)
# signals claude's whole process group (its helpers too) should it hang.
if ! answer="$(TERM=dumb CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 CLAUDE_CODE_MAX_RETRIES=1 \
    timeout -k 5 120 "$claude" -p "$question" </dev/null)"; then
    printf '%s\n' "$answer" >&2
    die "claude -p failed"
fi
say "Claude Code answered (through ccgw's key helper and the gateway):"
printf '%s\n' "$answer"
