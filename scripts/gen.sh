#!/usr/bin/env bash
# Regenerate the committed completions/ and man/man1/ from the clap definitions.
# tests/it/generated.rs fails when they drift; run this after changing src/cli.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet 2>/dev/null || cargo build
bin=target/debug/ccgw
mkdir -p completions man/man1
"$bin" completions bash >completions/ccgw.bash
"$bin" completions zsh >completions/_ccgw
"$bin" completions fish >completions/ccgw.fish
"$bin" completions powershell >completions/_ccgw.ps1
"$bin" completions elvish >completions/ccgw.elv
rm -f man/man1/*.1
"$bin" man --out-dir man/man1
echo "regenerated completions/ and man/man1/" >&2
