//! The Debian package round trip: cargo-deb packages ccgw as `[package.metadata.deb]` says,
//! `dpkg -i` installs it, `ccgw --version`, `man -w ccgw` and the three completion files are
//! where the system looks for them, and `dpkg -r` leaves none of the package's files behind.
//!
//! The real `dpkg` runs as root on this machine, but in a private mount namespace whose `/usr`
//! and `/var` are overlays (the real directories as read-only lower layers, the upper layers
//! in the test's temp dir): the package database and the files dpkg writes are the test's
//! own, parallel tests never see a half-installed `ccgw` on PATH, and the machine is never
//! changed.
//!
//! The package holds the debug binary the test suite already built rather than a release
//! build: a release build takes 6–14 minutes on 2 cores, and what this test checks is the
//! package's layout, not the binary (scripts/package.sh builds the release one).

use std::path::Path;
use std::process::Command;

use crate::common::{self, TestEnv, require};

/// Runs in the namespace: `$1` the .deb, `$2` the overlay base dir, `$3` the repository.
const ROUND_TRIP: &str = r#"set -e
deb=$1 base=$2 repo=$3
for d in usr var; do
    mkdir -p "$base/$d/upper" "$base/$d/work"
    mount -t overlay "ccgw-deb-$d" -o "lowerdir=/$d,upperdir=$base/$d/upper,workdir=$base/$d/work" "/$d" ||
        { echo "deb test: overlay on /$d failed" >&2; exit 97; }
done
# man-db's dpkg trigger rebuilds the index of every man page on the machine (most of this
# test's run time); `man -w` searches the directories and needs no index.
rm -f /var/lib/man-db/auto-update
dpkg -i "$deb" >"$base/dpkg-i.log" 2>&1 || { cat "$base/dpkg-i.log" >&2; exit 98; }
echo "version: $(ccgw --version)"
echo "man: $(man -w ccgw)"
echo "man-settings: $(man -w ccgw-settings-export)"
cmp /usr/share/bash-completion/completions/ccgw "$repo/completions/ccgw.bash" && echo "bash: same"
cmp /usr/share/zsh/vendor-completions/_ccgw "$repo/completions/_ccgw" && echo "zsh: same"
cmp /usr/share/fish/vendor_completions.d/ccgw.fish "$repo/completions/ccgw.fish" && echo "fish: same"
dpkg -L ccgw >"$base/files"
sed 's/^/listed: /' "$base/files"
dpkg -r ccgw >"$base/dpkg-r.log" 2>&1 || { cat "$base/dpkg-r.log" >&2; exit 98; }
echo "status: $(dpkg-query -W -f='${Status}' ccgw 2>/dev/null || echo none)"
while read -r f; do
    if [ -f "$f" ] || [ -L "$f" ]; then echo "left: $f"; fi
done <"$base/files"
[ -e /usr/share/doc/ccgw ] && echo "left: /usr/share/doc/ccgw"
if command -v ccgw >/dev/null 2>&1; then echo "left on PATH: $(command -v ccgw)"; fi
echo done
"#;

/// cargo-deb's package of this build: the debug binary the suite runs, without its debug
/// info (146 MB → 37 MB), staged as `release/ccgw` of a target dir of the test's own, so that
/// `[package.metadata.deb]` is used exactly as written and the project's `target/` is left
/// alone (cargo-deb strips in place unless told not to).
fn package_debug_build(out: &Path) -> std::path::PathBuf {
    let stage = out.join("target");
    std::fs::create_dir_all(stage.join("release")).unwrap();
    let status = Command::new(require("objcopy"))
        .arg("--strip-debug")
        .arg(common::ccgw_bin())
        .arg(stage.join("release/ccgw"))
        .status()
        .unwrap();
    assert!(status.success(), "objcopy failed");
    let deb = out.join("ccgw.deb");
    let result = Command::new(require("cargo"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CARGO_TARGET_DIR", &stage)
        .args(["deb", "--no-build", "--no-strip", "--fast", "--output"])
        .arg(&deb)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "cargo deb failed: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    deb
}

#[test]
fn the_deb_installs_where_the_system_looks_and_removes_cleanly() {
    require("cargo-deb");
    let env = TestEnv::new();
    let out = env.root.path().join("deb");
    std::fs::create_dir_all(&out).unwrap();
    let deb = package_debug_build(&out);

    let base = env.root.path().join("overlay");
    std::fs::create_dir_all(&base).unwrap();
    let run = Command::new(require("unshare"))
        .args([
            "--mount",
            "--propagation",
            "private",
            "/bin/sh",
            "-c",
            ROUND_TRIP,
        ])
        .arg("deb-round-trip")
        .arg(&deb)
        .arg(&base)
        .arg(env!("CARGO_MANIFEST_DIR"))
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stdout}\n{stderr}");
    let line = |prefix: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` line:\n{stdout}\n{stderr}"))
    };
    assert_eq!(
        line("version: "),
        format!("ccgw {}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(line("man: "), "/usr/share/man/man1/ccgw.1.gz");
    assert_eq!(
        line("man-settings: "),
        "/usr/share/man/man1/ccgw-settings-export.1.gz"
    );
    for shell in ["bash", "zsh", "fish"] {
        assert_eq!(line(&format!("{shell}: ")), "same");
    }
    let listed: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("listed: "))
        .collect();
    for path in [
        "/usr/bin/ccgw",
        "/usr/share/man/man1/ccgw.1.gz",
        "/usr/share/bash-completion/completions/ccgw",
        "/usr/share/zsh/vendor-completions/_ccgw",
        "/usr/share/fish/vendor_completions.d/ccgw.fish",
    ] {
        assert!(
            listed.contains(&path),
            "{path} not in the package:\n{stdout}"
        );
    }
    assert_eq!(line("status: "), "none", "{stdout}");
    let left: Vec<&str> = stdout.lines().filter(|l| l.starts_with("left")).collect();
    assert!(left.is_empty(), "dpkg -r left files behind: {left:?}");
    assert!(stdout.ends_with("done\n"), "{stdout}");
    // The machine's own /usr never saw the package.
    assert!(!Path::new("/usr/bin/ccgw").exists());
}
