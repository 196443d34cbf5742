//! Where `ccgw init --from` gets a published profile: a file, or an `https` URL (plain `http`
//! to loopback only, `config::rules::published_url`). The text is read bounded
//! (`transport::BODY_LIMIT`), and what it holds is judged by `config::parse_published`.
//!
//! The download trusts what ccgw trusts everywhere (`transport::tls`: the system roots,
//! `SSL_CERT_FILE`/`SSL_CERT_DIR`), follows no redirect (it could lead to plain http) and has a
//! deadline.

use std::io::Read;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::config::{self, Profile, rules};
use crate::error;
use crate::transport::{self, BODY_LIMIT, BODY_LIMIT_TEXT, tls};

/// The deadline of the whole download.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The published profile at `source` (a path or a URL): its name and the profile.
pub fn load(source: &str) -> Result<(String, Profile)> {
    let text = if is_url(source) {
        download(source)?
    } else {
        read_file(source)?
    };
    config::parse_published(source, &text)
}

/// Anything with a scheme is a URL (and must pass the URL rule); the rest is a path.
fn is_url(source: &str) -> bool {
    source.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphabetic())
    })
}

fn read_file(path: &str) -> Result<String> {
    let file = std::fs::File::open(path).with_context(|| format!("could not open `{path}`"))?;
    let mut bytes = Vec::new();
    file.take(BODY_LIMIT as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("could not read `{path}`"))?;
    if bytes.len() > BODY_LIMIT {
        return Err(error::config(
            format!("`{path}` is larger than {BODY_LIMIT_TEXT}: not a published profile"),
            None,
        ));
    }
    String::from_utf8(bytes).map_err(|_| error::config(format!("`{path}` is not UTF-8 text"), None))
}

fn download(url: &str) -> Result<String> {
    rules::published_url(url)
        .map_err(|b| error::config(format!("--from: {}", b.message), b.hint))?;
    let config = tls::client_config(Vec::new(), None)?;
    let client = transport::client_builder(config, TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("ccgw/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("could not build the HTTP client")?;
    let body = transport::runtime()?.block_on(async {
        let resp = client
            .get(url)
            .send()
            .await
            .with_context(|| format!("could not download `{url}`"))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(error::config(
                format!("could not download `{url}`: the server answered {status}"),
                status
                    .is_redirection()
                    .then(|| "ccgw follows no redirect: give the profile's final https URL".into()),
            ));
        }
        transport::read_body(resp)
            .await
            .map_err(|e| anyhow::anyhow!("could not download `{url}`: {e}"))
    })?;
    String::from_utf8(body)
        .map_err(|_| error::config(format!("`{url}` did not answer UTF-8 text"), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths() {
        assert!(is_url("https://x/p.toml"));
        assert!(is_url("http://127.0.0.1:8/p.toml"));
        assert!(is_url("ftp://x/p"));
        assert!(!is_url("./p.toml"));
        assert!(!is_url("/srv/a://b.toml"));
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "https://profiles.example.com/acme.toml",
            "http://127.0.0.1:8080/p.toml",
            "http://localhost/p.toml",
            "http://[::1]:80/p.toml",
        ] {
            assert!(rules::published_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://profiles.example.com/p.toml",
            "http://10.0.0.1/p",
            "ftp://x/p",
        ] {
            assert!(rules::published_url(bad).is_err(), "{bad}");
        }
    }

    fn published(body: &str) -> Result<(String, Profile)> {
        config::parse_published("acme.toml", body)
    }

    const BASE: &str = "[profiles.acme]\ngateway = \"https://gw.acme.example\"\n";

    #[test]
    fn one_profile_with_every_rule() {
        let (name, p) = published(&format!(
            "{BASE}[profiles.acme.key]\nsource = \"keyring\"\n"
        ))
        .unwrap();
        assert_eq!(name, "acme");
        assert_eq!(p.gateway, "https://gw.acme.example");
        let two = format!(
            "{BASE}[profiles.acme.key]\nsource = \"keyring\"\n[profiles.b]\ngateway = \"https://b\"\n[profiles.b.key]\nsource = \"keyring\"\n"
        );
        assert!(
            published(&two)
                .unwrap_err()
                .to_string()
                .contains("more than one")
        );
        assert!(
            published("")
                .unwrap_err()
                .to_string()
                .contains("no profile")
        );
        // The loader's own rules, with file and line.
        let bad = format!("{BASE}key_ttl = \"1s\"\n[profiles.acme.key]\nsource = \"keyring\"\n");
        let err = published(&bad).unwrap_err().to_string();
        assert!(err.starts_with("acme.toml:3:"), "{err}");
    }

    #[test]
    fn a_secret_is_refused_naming_its_field_and_line() {
        let cases = [
            (
                "[profiles.acme.key]\nsource = \"vault\"\npath = \"gw\"\ntoken = \"hvs.x\"\n",
                "profiles.acme.key.token",
                6,
            ),
            (
                "[profiles.acme.key]\nsource = \"keyring\"\napi_key = \"k\"\n",
                "profiles.acme.key.api_key",
                5,
            ),
            (
                "headers = { \"x-api-key\" = \"abc\" }\n[profiles.acme.key]\nsource = \"keyring\"\n",
                "profiles.acme.headers.x-api-key",
                3,
            ),
            (
                "[profiles.acme.key]\nsource = \"jwt\"\nalgorithm = \"HS256\"\nclient_secret = \"s\"\n",
                "profiles.acme.key.client_secret",
                6,
            ),
            (
                "[profiles.acme.key]\nsource = \"command\"\ncommand = \"echo sk-0123456789abcdef\"\n",
                "profiles.acme.key.command",
                5,
            ),
        ];
        for (rest, field, line) in cases {
            let err = published(&format!("{BASE}{rest}")).unwrap_err().to_string();
            assert_eq!(
                err,
                format!("acme.toml:{line}: {field}: a published profile must not carry a secret"),
            );
        }
        // Where a secret is, not the secret: accepted.
        let fine = format!(
            "{BASE}tls = {{ client_key = \"/etc/tls/c.key\" }}\n[profiles.acme.key]\nsource = \"jwt\"\nalgorithm = \"HS256\"\nsecret_env = \"JWT_SECRET\"\nkey_id = \"k1\"\n"
        );
        published(&fine).unwrap();
    }
}
