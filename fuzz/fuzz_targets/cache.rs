//! The cache entry parser and the freshness rule, as `ccgw key` applies them to a cache file
//! (`key::cache::parse_entry`, the one read rule of the hit path and the locked re-read).
//!
//! Any bytes: no panic. An accepted record holds a key that passes the key rule, names the file
//! and owner it was expected to, claims a lifetime within the bound, and survives write-then-read
//! unchanged. The freshness rule, checked at every boundary, is the README's: never served before
//! it was fetched or at/after expiry, never when forced, served until half its lifetime passed.

#![no_main]

use ccgw::fuzz_api::{
    CacheRecord, Expect, Freshness, Owner, StaleReason, freshness, key_problem, parse_entry,
};
use libfuzzer_sys::fuzz_target;

const FILE: &str = "work-0123456789ab.json";
const MAX_LIFETIME: u64 = 3600;

fuzz_target!(|data: &[u8]| {
    assert_eq!(
        freshness(None, 0, false),
        Freshness::Stale(StaleReason::Missing)
    );
    let owner = Owner {
        profile: "work",
        source: "command",
        config: "/c/config.toml",
    };
    for expect in [
        Expect {
            file: FILE,
            owner: Some(owner),
            max_lifetime: MAX_LIFETIME,
        },
        Expect {
            file: FILE,
            owner: None,
            max_lifetime: u64::MAX,
        },
    ] {
        let Ok(record) = parse_entry(data, &expect) else {
            continue;
        };
        let entry = &record.entry;
        assert_eq!(record.file, FILE);
        assert!(key_problem(&entry.key).is_none(), "{record:?}");
        assert!(entry.expires_at >= entry.fetched_at, "{record:?}");
        assert!(entry.expires_at - entry.fetched_at <= expect.max_lifetime);
        if let Some(o) = &expect.owner {
            assert_eq!(entry.profile, o.profile);
            assert_eq!(entry.source, o.source);
            assert_eq!(record.config.as_deref(), Some(o.config));
        }
        let written = serde_json::to_vec_pretty(&record).expect("a record always serialises");
        let read: CacheRecord =
            parse_entry(&written, &expect).expect("a written record reads back");
        assert_eq!(read, record);
        check_freshness(entry);
    }
});

fn check_freshness(entry: &ccgw::fuzz_api::CacheEntry) {
    let (fetched, expires) = (entry.fetched_at, entry.expires_at);
    // The refresh-ahead point, computed without the code under test (and without overflow).
    let refresh = (u128::from(fetched) + (u128::from(expires) - u128::from(fetched)) / 2) as u64;
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
            let got = freshness(Some(entry), now, forced);
            let want = if now < fetched || now >= expires {
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
}
