#!/usr/bin/env bash
# The test command (README, .ci/run): installs everything the tests need on a fresh machine,
# then runs cargo fmt --check, clippy and the whole test suite against the real components.
#
# What it installs, and where (cached outside the clone, in $CCGW_TEST_DEPS, default
# ~/.cache/ccgw-test): see scripts/deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

export CCGW_TEST_DEPS="${CCGW_TEST_DEPS:-$HOME/.cache/ccgw-test}"
say() { printf '==> %s\n' "$*" >&2; }

# --- the real components (apt, pip venv, npm), shared with scripts/demo.sh --------------------
# Fails here, loudly, rather than in the middle of the suite.
scripts/deps.sh

# --- the checks -------------------------------------------------------------------------------
say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy --all-targets -- -D warnings"
cargo clippy --locked --all-targets -- -D warnings
say "cargo test"
cargo test --locked "$@"
