//! Link-time only: no code generation here (completions and man pages come from the binary).

fn main() {
    // `ccgw key` runs at the start of every `claude` process, and a cache hit is mostly the
    // dynamic loader applying relocations. Packed relative relocations (DT_RELR: glibc >= 2.36,
    // binutils >= 2.38; older linkers ignore the option with a warning) make that much cheaper
    // while keeping the binary position-independent (ASLR) and fully RELRO.
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
