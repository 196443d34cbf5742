//! The `ccgw` binary: everything is in the library (`lib.rs`).
//!
//! The entry point is the C `main` itself (`#![no_main]`), not std's runtime start. `ccgw key`
//! runs at the start of every `claude` process, and std's start spent about a fifth of a cache
//! hit's instructions on work the hit never needs: glibc's `pthread_getattr_np` parsing
//! `/proc/self/maps` (open, read, sscanf of every line) to locate the main thread's stack guard,
//! plus the SIGSEGV/SIGBUS handlers and alternate signal stack that turn a stack overflow into a
//! message. What of std's start ccgw does rely on is done here, in the same order: standard
//! descriptors 0–2 are open (so a file ccgw opens never becomes its stdout), SIGPIPE is ignored
//! (a closed pipe is an `EPIPE` error that `error::report` handles; std still resets SIGPIPE to
//! the default in every child it spawns), and stdout is flushed at the end. `std::env::args`
//! needs nothing: on glibc std takes argv from `.init_array`. A stack overflow is then a plain
//! SIGSEGV instead of a message first.
//! Only on linux-gnu, where it was measured and where std reads argv without its start; every
//! other target keeps std's `main`.
#![cfg_attr(all(target_os = "linux", target_env = "gnu"), no_main)]
// The one C entry point and the three libc calls of std's start that ccgw keeps.
#![cfg_attr(all(target_os = "linux", target_env = "gnu"), allow(unsafe_code))]

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(ccgw::main_code())
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
use std::ffi::{c_char, c_int};

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[unsafe(no_mangle)]
extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    open_standard_fds();
    // SAFETY: setting a signal's disposition to SIG_IGN, before any other thread exists.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    let code = ccgw::main_code();
    c_int::from(code)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
/// Each of descriptors 0, 1 and 2 that is closed is opened on /dev/null, as std's start does:
/// `open` returns the lowest free descriptor, which is the closed one.
fn open_standard_fds() {
    for fd in 0..=2 {
        // SAFETY: F_GETFD on a descriptor number only reads its flags; an unused one is EBADF.
        let closed = unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF);
        if closed {
            // SAFETY: a NUL-terminated path; the descriptor is deliberately never closed.
            let opened = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR, 0) };
            if opened != fd {
                // As std does when it cannot: without its standard descriptors ccgw could write
                // a key into a file it opened.
                std::process::abort();
            }
        }
    }
}
