//! The committed completions/ and man/man1/ must equal what the binary generates
//! (regenerate with scripts/gen.sh after changing src/cli.rs).

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::{TestEnv, read};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn completions_match_the_binary() {
    let env = TestEnv::new();
    let files = [
        ("bash", "ccgw.bash"),
        ("zsh", "_ccgw"),
        ("fish", "ccgw.fish"),
        ("powershell", "_ccgw.ps1"),
        ("elvish", "ccgw.elv"),
    ];
    for (shell, file) in files {
        let out = env
            .ccgw()
            .args(["completions", shell])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let committed = read(repo().join("completions").join(file));
        assert!(
            String::from_utf8(out).unwrap() == committed,
            "completions/{file} drifted from `ccgw completions {shell}`: run scripts/gen.sh"
        );
    }
}

#[test]
fn man_pages_match_the_binary() {
    let env = TestEnv::new();
    let out = env.root.path().join("man1");
    env.ccgw()
        .args(["man", "--out-dir"])
        .arg(&out)
        .assert()
        .success();
    let names = |dir: &Path| -> BTreeSet<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let committed_dir = repo().join("man/man1");
    assert_eq!(
        names(&out),
        names(&committed_dir),
        "man/man1 has other pages than `ccgw man`: run scripts/gen.sh"
    );
    for name in names(&out) {
        assert!(
            read(out.join(&name)) == read(committed_dir.join(&name)),
            "man/man1/{name} drifted: run scripts/gen.sh"
        );
    }
    // `ccgw man` alone prints the top page.
    let top = env
        .ccgw()
        .arg("man")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8(top).unwrap(),
        read(committed_dir.join("ccgw.1"))
    );
}
