#!/usr/bin/env bash
# Build the Debian package: a release build of ccgw, then cargo-deb puts the binary in
# /usr/bin, the man pages (gzipped) in /usr/share/man/man1 and the bash, zsh and fish
# completions where those shells look for vendor files ([package.metadata.deb] in Cargo.toml).
#
#   scripts/package.sh [CARGO-DEB FLAGS]    prints the path of the .deb (target/debian/…)
#
# Install it with `sudo dpkg -i target/debian/ccgw_*.deb` (or `apt install ./…deb`); remove it
# with `sudo dpkg -r ccgw`. Needs cargo-deb (scripts/deps.sh --system installs it). The
# release build takes about 6–14 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cargo-deb >/dev/null 2>&1; then
    echo "error: cargo-deb is not installed" >&2
    echo "hint: run scripts/deps.sh --system, or: cargo install cargo-deb --locked" >&2
    exit 1
fi
cargo deb "$@"
