//! `ccgw cache status | clear`: what the key cache holds (never the key) and dropping it.

use std::io::Write;
use std::time::Duration;

use anyhow::Result;

use crate::cli::CacheCommand;
use crate::cmd::Ctx;
use crate::key::cache::{self, Entry, Freshness, StaleReason};
use crate::key::claims;
use crate::key::vault;

pub fn run(ctx: &Ctx, args: CacheCommand) -> Result<()> {
    let dir = cache::dir()?;
    // Another user's directory is refused (exit 4) before anything in it is read or removed.
    if dir.exists() {
        cache::check_dir(&dir)?;
    }
    match args {
        CacheCommand::Status => {
            let entries = cache::list(&dir)?;
            if entries.is_empty() {
                eprintln!("no cached keys in `{}`", dir.display());
                return Ok(());
            }
            let rows: Vec<[String; 6]> = entries
                .iter()
                .map(|(_, r)| row(&r.entry, cache::now()))
                .collect();
            let header = [
                "PROFILE",
                "SOURCE",
                "FETCHED",
                "EXPIRES",
                "STATE",
                "TOKEN EXP",
            ]
            .map(String::from);
            let mut out = std::io::stdout().lock();
            out.write_all(table(&header, &rows).as_bytes())?;
            Ok(())
        }
        CacheCommand::Clear { all } => {
            let name = if all { None } else { Some(ctx.select()?.name) };
            let mut removed = 0;
            for (path, record) in cache::list(&dir)? {
                if name.as_deref().is_none_or(|n| n == record.entry.profile)
                    && cache::remove(&path)?
                {
                    removed += 1;
                }
            }
            if all {
                // Corrupt entries and idle lock files too: the directory is ccgw's own. A lock
                // file someone holds stays, or a second fetcher could start beside its holder.
                for de in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                    let p = de.path();
                    if p.extension().is_some_and(|x| x == "json") {
                        let _ = std::fs::remove_file(&p);
                    }
                }
                cache::remove_idle_locks(&dir);
            }
            let whose = name.map_or("all profiles".to_owned(), |n| format!("profile `{n}`"));
            eprintln!("removed {removed} cache entries of {whose}");
            Ok(())
        }
    }
}

/// One status line; the key itself is never part of it. TOKEN EXP is a JWT key's own `exp`
/// (the entry expires earlier: see key::vault's margin, and `key_ttl`); `-` for other keys.
fn row(e: &Entry, now: u64) -> [String; 6] {
    let ago = |t: u64| human(now.saturating_sub(t));
    let state = if e.source == vault::LOGIN_SOURCE {
        if cache::usable(e, now) {
            "valid"
        } else {
            "expired"
        }
    } else {
        match cache::freshness(Some(e), now, false) {
            Freshness::Fresh => "fresh",
            Freshness::Stale(StaleReason::ExpiringSoon) => "refresh due",
            Freshness::Stale(_) => "expired",
        }
    };
    let when = |t: u64| {
        if t > now {
            format!("in {}", human(t - now))
        } else {
            format!("{} ago", ago(t))
        }
    };
    let token_exp = claims::peek(&e.key)
        .and_then(|c| c.exp)
        .map_or_else(|| "-".to_owned(), when);
    [
        e.profile.clone(),
        e.source.clone(),
        format!("{} ago", ago(e.fetched_at)),
        when(e.expires_at),
        state.to_owned(),
        token_exp,
    ]
}

fn human(secs: u64) -> String {
    humantime::format_duration(Duration::from_secs(secs)).to_string()
}

fn table(header: &[String; 6], rows: &[[String; 6]]) -> String {
    let mut width = header.clone().map(|h| h.len());
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.len());
        }
    }
    let mut out = String::new();
    for r in std::iter::once(header).chain(rows) {
        let line: Vec<String> = r
            .iter()
            .zip(width)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_row_never_shows_the_key() {
        let e = Entry {
            profile: "work".into(),
            source: "vault".into(),
            fetched_at: 1000,
            expires_at: 4600,
            key: "sk-secret-value".into(),
        };
        let r = row(&e, 1060);
        assert_eq!(
            r,
            ["work", "vault", "1m ago", "in 59m", "fresh", "-"].map(String::from)
        );
        assert!(!r.concat().contains("sk-secret"));
        assert_eq!(row(&e, 3000)[4], "refresh due");
        assert_eq!(row(&e, 5000)[4], "expired");
        assert_eq!(row(&e, 5000)[3], "6m 40s ago");
    }

    #[test]
    fn a_jwt_key_shows_its_own_exp() {
        let jwt = jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &serde_json::json!({"sub": "ada", "exp": 1360u64}),
            &jsonwebtoken::EncodingKey::from_secret(b"k"),
        )
        .unwrap();
        let e = Entry {
            profile: "work".into(),
            source: "vault".into(),
            fetched_at: 1000,
            expires_at: 1300,
            key: jwt.clone(),
        };
        let r = row(&e, 1060);
        assert_eq!((r[3].as_str(), r[5].as_str()), ("in 4m", "in 5m"));
        assert_eq!(row(&e, 1400)[5], "40s ago");
        assert!(!r.concat().contains(&jwt[..20]));
    }
}
