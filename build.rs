//! Link-time only: no code generation here (completions and man pages come from the binary).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CCGW_BUILD_PIE");
    println!("cargo:rerun-if-env-changed=CCGW_LINK_MAP");
    println!("cargo:rerun-if-changed={HOT_ORDER}");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os != "linux" || env != "gnu" {
        return;
    }
    // `ccgw key` runs at the start of every `claude` process, and a cache hit is mostly the
    // dynamic loader relocating the binary's 235 KB of .data.rel.ro. Measured with hyperfine:
    // a PIE cache hit is 1.8x `cat` of a key file, a non-PIE one 1.16x. The image then loses
    // ASLR (libraries, stack, heap and mmap keep it), as Go's own linux/amd64 binaries do —
    // gh, vault and the docker credential helpers among them — and ccgw's code forbids unsafe.
    // Packagers who want a PIE build set CCGW_BUILD_PIE=1; it then gets packed relative
    // relocations (DT_RELR: glibc >= 2.36, binutils >= 2.38), the cheaper PIE.
    if std::env::var_os("CCGW_BUILD_PIE").is_some_and(|v| v == "1") {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    } else {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    // The functions a cache hit runs, first in .text and side by side (scripts/hot-order.sh
    // lists them): a hit then maps a few hundred KiB of the binary's code instead of pieces of
    // most of it, which is most of its peak RSS. Only with the LLD that rustc uses by default on
    // x86_64 linux-gnu since 1.90; another linker does not know the flag. A function the list
    // no longer names is placed as before: the list goes stale quietly, never breaks a build.
    let order = std::path::Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default())
        .join(HOT_ORDER);
    if lld_is_the_linker() && order.is_file() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={},--no-warn-symbol-ordering",
            order.display()
        );
    }
    // scripts/hot-order.sh: the link map the list is made from.
    if let Some(map) = std::env::var_os("CCGW_LINK_MAP") {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,-Map={}",
            map.to_string_lossy()
        );
    }
}

/// The symbol ordering file, relative to the package root.
const HOT_ORDER: &str = "scripts/cache-hit.order";

/// rustc links with its own LLD: x86_64 linux-gnu, rustc 1.90 or newer, and no linker chosen in
/// the cargo config or RUSTFLAGS.
fn lld_is_the_linker() -> bool {
    let env = |k: &str| std::env::var(k).unwrap_or_default();
    if env("TARGET") != "x86_64-unknown-linux-gnu"
        || std::env::var_os("RUSTC_LINKER").is_some()
        || env("CARGO_ENCODED_RUSTFLAGS").contains("link")
    {
        return false;
    }
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Ok(out) = std::process::Command::new(rustc).arg("--version").output() else {
        return false;
    };
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let version = String::from_utf8_lossy(&out.stdout);
    let minor = version
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.split('.').nth(1))
        .and_then(|m| m.parse::<u32>().ok());
    minor.is_some_and(|m| m >= 90)
}
