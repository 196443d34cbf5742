//! Link-time only: no code generation here (completions and man pages come from the binary).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CCGW_BUILD_PIE");
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
}
