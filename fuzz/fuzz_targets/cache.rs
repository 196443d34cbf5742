//! The cache entry parser and the freshness rule, as `ccgw key` applies them to a cache file.
//!
//! NOTE: written against `serde_json::from_slice::<Entry>` + `cache::freshness` as they were
//! when this target was written; `src/key/cache.rs` is being rewritten, and the target must
//! then be pointed at the new parser (see `fuzz_api::cache_entry`).
//!
//! Any bytes: no panic. A parsed entry survives write-then-read unchanged, and the freshness
//! rule, checked at every boundary, is the one ARCHITECTURE.md states: never served at or
//! after expiry, never served when forced, served until half its lifetime has passed.

#![no_main]

use ccgw::fuzz_api::{CacheEntry, Freshness, StaleReason, cache_entry, freshness};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert_eq!(
        freshness(None, 0, false),
        Freshness::Stale(StaleReason::Missing)
    );
    let Ok(entry) = cache_entry(data) else {
        return;
    };
    let mut written = serde_json::to_vec_pretty(&entry).expect("an entry always serialises");
    written.push(b'\n');
    let read: CacheEntry = cache_entry(&written).expect("a written entry reads back");
    assert_eq!(read, entry);

    let (fetched, expires) = (entry.fetched_at, entry.expires_at);
    // The refresh-ahead point, computed without the code under test (and without overflow).
    let refresh = if expires >= fetched {
        (u128::from(fetched) + (u128::from(expires) - u128::from(fetched)) / 2) as u64
    } else {
        fetched
    };
    let times = [
        0,
        1,
        fetched.saturating_sub(1),
        fetched,
        fetched.saturating_add(1),
        refresh.saturating_sub(1),
        refresh,
        refresh.saturating_add(1),
        expires.saturating_sub(1),
        expires,
        expires.saturating_add(1),
        u64::MAX,
    ];
    for now in times {
        for forced in [false, true] {
            let got = freshness(Some(&entry), now, forced);
            let want = if now >= expires {
                Freshness::Stale(StaleReason::Expired)
            } else if forced {
                Freshness::Stale(StaleReason::Forced)
            } else if now >= refresh {
                Freshness::Stale(StaleReason::ExpiringSoon)
            } else {
                Freshness::Fresh
            };
            assert_eq!(got, want, "{entry:?} at {now}, forced {forced}");
        }
    }
});
