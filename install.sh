#!/bin/sh
# Install ccgw from this checkout: the binary, its man pages and shell completions.
#
#   ./install.sh [--prefix DIR]      build and install (default DIR: ~/.local)
#   ./install.sh --uninstall [--prefix DIR]   remove exactly what an install put there
#
# Idempotent: running it again replaces the same files. What it installs is listed in
# DIR/share/ccgw/install-manifest, which --uninstall reads.
set -eu

err() {
    printf 'install.sh: error: %s\n' "$1" >&2
    exit 1
}

need_cmd() {
    command -v "$1" >/dev/null 2>&1 || err "need '$1' (command not found)"
}

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
}

main() {
    prefix="${HOME:?HOME is not set}/.local"
    action=install
    while [ $# -gt 0 ]; do
        case "$1" in
            --prefix) [ $# -ge 2 ] || err "--prefix needs a directory"; prefix="$2"; shift 2 ;;
            --prefix=*) prefix="${1#--prefix=}"; shift ;;
            --uninstall) action=uninstall; shift ;;
            -h|--help) usage; exit 0 ;;
            *) err "unknown argument '$1' (see --help)" ;;
        esac
    done
    case "$prefix" in
        /*) ;;
        *) prefix="$(pwd)/$prefix" ;;
    esac
    manifest="$prefix/share/ccgw/install-manifest"
    if [ "$action" = uninstall ]; then
        uninstall
    else
        install_all
    fi
}

uninstall() {
    [ -f "$manifest" ] || err "nothing to uninstall: no $manifest"
    while IFS= read -r f; do
        [ -n "$f" ] && rm -f "$prefix/$f"
    done <"$manifest"
    rm -f "$manifest"
    # Remove only the directories this left empty.
    for d in share/ccgw share/man/man1 share/man share/bash-completion/completions \
        share/bash-completion share/zsh/site-functions share/zsh \
        share/fish/vendor_completions.d share/fish bin share; do
        rmdir "$prefix/$d" 2>/dev/null || true
    done
    printf 'uninstalled ccgw from %s\n' "$prefix" >&2
}

install_all() {
    need_cmd cargo
    src="$(cd "$(dirname "$0")" && pwd)"
    build="$(mktemp -d)"
    trap 'rm -rf "$build"' EXIT INT TERM HUP
    # cargo install into a scratch root, so that only our own files reach the prefix
    # (no .crates.toml bookkeeping there) and --uninstall can remove exactly them.
    # On a terminal, say what the long build is and let cargo show its progress; otherwise
    # (CI, a pipe) print nothing but errors.
    if [ -t 2 ]; then
        printf 'install.sh: building ccgw from source: about 6-14 minutes on 2 cores (less with more); cargo shows its progress below\n' >&2
        quiet=""
    else
        quiet="--quiet"
    fi
    # shellcheck disable=SC2086 # $quiet is one flag or nothing.
    cargo install $quiet --locked --path "$src" --root "$build/root" \
        || err "cargo install failed"
    bin="$build/root/bin/ccgw"
    "$bin" man --out-dir "$build/man1"
    "$bin" completions bash >"$build/ccgw.bash"
    "$bin" completions zsh >"$build/_ccgw"
    "$bin" completions fish >"$build/ccgw.fish"

    mkdir -p "$prefix/bin" "$prefix/share/man/man1" "$prefix/share/ccgw" \
        "$prefix/share/bash-completion/completions" "$prefix/share/zsh/site-functions" \
        "$prefix/share/fish/vendor_completions.d"
    list="$build/manifest"
    : >"$list"
    put "$bin" bin/ccgw 755
    for page in "$build"/man1/*.1; do
        put "$page" "share/man/man1/$(basename "$page")" 644
    done
    put "$build/ccgw.bash" share/bash-completion/completions/ccgw 644
    put "$build/_ccgw" share/zsh/site-functions/_ccgw 644
    put "$build/ccgw.fish" share/fish/vendor_completions.d/ccgw.fish 644
    # Files a previous install put there that this one does not (e.g. a removed man page).
    if [ -f "$manifest" ]; then
        while IFS= read -r f; do
            grep -qxF "$f" "$list" || rm -f "$prefix/$f"
        done <"$manifest"
    fi
    cp "$list" "$manifest"
    printf 'installed ccgw %s to %s\n' "$("$prefix/bin/ccgw" --version | cut -d' ' -f2)" "$prefix" >&2
    case ":${PATH:-}:" in
        *":$prefix/bin:"*) ;;
        *)
            # shellcheck disable=SC2016 # $PATH is meant literally: it is advice to paste.
            printf 'note: %s/bin is not on your PATH; add it, e.g.:\n  export PATH="%s/bin:$PATH"\n' "$prefix" "$prefix" >&2
            ;;
    esac
}

# put SRC REL MODE: install SRC at $prefix/REL with MODE and record REL in the manifest.
put() {
    tmp="$prefix/$2.tmp.$$"
    cp "$1" "$tmp"
    chmod "$3" "$tmp"
    mv -f "$tmp" "$prefix/$2"
    printf '%s\n' "$2" >>"$list"
}

main "$@"
