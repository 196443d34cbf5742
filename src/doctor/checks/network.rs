//! `network`: DNS, TCP connect and (for https) the TLS handshake, each bounded by `--timeout`,
//! through the proxy that applies (as reqwest reads `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` and
//! `NO_PROXY`). The HTTP client every check uses is built once from the profile
//! (`Table::client`); a CA file or client certificate that cannot be loaded fails this check,
//! and so every check that needs the network.
//!
//! Days to the certificate's expiry come from the peer certificate reqwest hands back
//! (`tls_info`), read with a few lines of DER walking (`transport::tls::validity`).

use std::net::SocketAddr;
use std::time::{Instant, SystemTime};

use reqwest::Url;

use crate::doctor::check::{Input, Outcome};
use crate::doctor::checks::wire::failed;
use crate::gateway::{self, Client, Problem, TlsSetup};
use crate::transport::{ProblemKind, classify};

/// Warn when the gateway's certificate expires sooner than this.
const EXPIRY_WARN_DAYS: u64 = 14;

/// The client every check sends with, and how its TLS was set up; or why it could not be built.
pub type Built = Result<(Client, TlsSetup), String>;

/// The network check's verdict, and the gateway's `Date` header (the key check compares this
/// clock with it).
pub async fn check(input: &Input, built: &Built) -> (Outcome, Option<SystemTime>) {
    let (client, tls) = match built {
        Ok((client, tls)) => (client, tls),
        Err(e) => {
            return (
                Outcome::fail(
                    e.clone(),
                    "fix `tls` in the profile (PEM files: ca_file, client_cert + client_key)",
                ),
                None,
            );
        }
    };
    let Ok(url) = Url::parse(input.profile.gateway_base()) else {
        return (
            Outcome::fail(
                "the gateway URL does not parse",
                "fix `gateway` in the profile",
            ),
            None,
        );
    };
    let env = |k: &str| std::env::var(k).ok();
    let proxy = proxy_for(&url, &env);
    let (host, port) = match &proxy {
        Some(p) => (
            p.url.host_str().unwrap_or_default().to_owned(),
            p.url.port_or_known_default().unwrap_or(80),
        ),
        None => (
            url.host_str().unwrap_or_default().to_owned(),
            url.port_or_known_default().unwrap_or(443),
        ),
    };
    let what = if proxy.is_some() { "proxy" } else { "gateway" };
    let host = host.trim_matches(['[', ']']);
    // DNS and TCP on their own say which step failed; they run alongside the first request
    // (and the other checks' requests) instead of before them, so a gateway far away costs its
    // round trips once, not twice.
    let diagnose = async {
        match resolve(host, port, input).await {
            Ok(addrs) => connect(&addrs, input).await,
            Err(p) => Err(p),
        }
    };
    // HTTP (and TLS): any answer proves the chain; `/` is what Claude Code's warm-up touches.
    let (reached, resp) = tokio::join!(
        diagnose,
        client.get(url.clone()).timeout(input.timeout).send()
    );
    let addr = match reached {
        Ok(addr) => addr,
        Err(p) => return (failed(what, &p), None),
    };
    let resp = match resp {
        Ok(r) => r,
        Err(e) => return (failed(what, &gateway::describe(&e)), None),
    };
    let expiry = resp
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .and_then(not_after);
    let server_date = resp
        .headers()
        .get("date")
        .and_then(|d| d.to_str().ok())
        .and_then(|d| gateway::http_date(d.trim()));
    // Read to the end, so that its connection goes back to the pool too.
    let _ = crate::transport::read_body(resp).await;
    (judge(addr, &url, proxy.as_ref(), tls, expiry), server_date)
}

/// DNS (an IP literal needs none), bounded by the step time limit.
async fn resolve(host: &str, port: u16, input: &Input) -> Result<Vec<SocketAddr>, Problem> {
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let addrs: Vec<SocketAddr> =
        match tokio::time::timeout(input.timeout, tokio::net::lookup_host((host, port))).await {
            Ok(Ok(a)) => a.collect(),
            Ok(Err(e)) => {
                return Err(Problem {
                    kind: ProblemKind::Dns,
                    detail: format!("`{host}`: {e}"),
                });
            }
            Err(_) => {
                return Err(Problem {
                    kind: ProblemKind::Timeout,
                    detail: format!("resolving `{host}`"),
                });
            }
        };
    if addrs.is_empty() {
        return Err(Problem {
            kind: ProblemKind::Dns,
            detail: format!("`{host}` has no address"),
        });
    }
    Ok(addrs)
}

/// TCP: the first address that accepts, within one time limit for all.
async fn connect(addrs: &[SocketAddr], input: &Input) -> Result<SocketAddr, Problem> {
    let started = Instant::now();
    let mut last = None;
    for addr in addrs.iter().take(4) {
        let left = input.timeout.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(_)) => return Ok(*addr),
            Ok(Err(e)) => {
                last = Some(Problem {
                    kind: classify(&e.to_string()),
                    detail: format!("{addr}: {e}"),
                })
            }
            Err(_) => {
                last = Some(Problem {
                    kind: ProblemKind::Timeout,
                    detail: format!("connecting to {addr}"),
                });
                break;
            }
        }
    }
    Err(last.unwrap_or(Problem {
        kind: ProblemKind::Other,
        detail: "no address to connect to".into(),
    }))
}

/// The summary once the gateway answered: the address, what TLS was verified with and how
/// long the certificate lasts (a warning when soon), the proxy.
fn judge(
    addr: SocketAddr,
    url: &Url,
    proxy: Option<&ProxyChoice>,
    tls: &TlsSetup,
    expiry: Option<SystemTime>,
) -> Outcome {
    let mut parts = vec![format!("{addr} accepts connections")];
    let via = match proxy {
        Some(p) => format!("via proxy {} (from {})", p.shown, p.var),
        None => "no proxy".to_owned(),
    };
    let mut warn: Option<(String, String)> = None;
    if url.scheme() == "https" {
        let mut t = "TLS verified".to_owned();
        if !tls.extra_roots.is_empty() {
            t.push_str(&format!(" with {}", tls.extra_roots.join(" + ")));
        }
        if tls.client_cert {
            t.push_str(", client certificate sent");
        }
        if let Some(exp) = expiry {
            let days = exp
                .duration_since(SystemTime::now())
                .map_or(0, |d| d.as_secs() / 86_400);
            t.push_str(&format!(", certificate valid {days} more days"));
            if days < EXPIRY_WARN_DAYS {
                warn = Some((
                    format!("the gateway's certificate expires in {days} days"),
                    "renew the gateway's certificate before it expires".to_owned(),
                ));
            }
        }
        parts.push(t);
    } else {
        parts.push("plain HTTP".to_owned());
    }
    parts.push(via);
    let summary = parts.join("; ");
    match warn {
        Some((w, hint)) => Outcome::warn(format!("{summary}; {w}"), hint),
        None => Outcome::pass(summary),
    }
}

/// The proxy reqwest will use for `url`.
#[derive(Debug, PartialEq, Eq)]
pub struct ProxyChoice {
    /// The variable it came from.
    pub var: &'static str,
    pub url: Url,
    /// The URL without credentials.
    pub shown: String,
}

/// Mirror of reqwest 0.13's environment proxy rules (hyper-util's matcher): `HTTPS_PROXY` then
/// `https_proxy` for https (`HTTP_PROXY`/`http_proxy` for http, ignored under CGI), else
/// `ALL_PROXY`/`all_proxy`; `NO_PROXY`/`no_proxy` entries are IPs, CIDRs, domains (with their
/// subdomains) or `*`.
pub fn proxy_for(url: &Url, env: &dyn Fn(&str) -> Option<String>) -> Option<ProxyChoice> {
    let first = |names: &[&'static str]| {
        names
            .iter()
            .find_map(|n| env(n).map(|v| (*n, v)))
            .filter(|(_, v)| !v.trim().is_empty())
    };
    let specific = if url.scheme() == "https" {
        first(&["HTTPS_PROXY", "https_proxy"])
    } else if env("REQUEST_METHOD").is_some() {
        None
    } else {
        first(&["HTTP_PROXY", "http_proxy"])
    };
    let (var, raw) = specific.or_else(|| first(&["ALL_PROXY", "all_proxy"]))?;
    let no = first(&["NO_PROXY", "no_proxy"])
        .map(|(_, v)| v)
        .unwrap_or_default();
    let host = url.host_str().unwrap_or_default();
    if no_proxy_matches(&no, host) {
        return None;
    }
    let with_scheme = if raw.contains("://") {
        raw.clone()
    } else {
        format!("http://{raw}")
    };
    let parsed = Url::parse(&with_scheme).ok()?;
    let mut shown = parsed.clone();
    if !shown.username().is_empty() || shown.password().is_some() {
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
    }
    Some(ProxyChoice {
        var,
        url: parsed,
        shown: shown.as_str().trim_end_matches('/').to_owned(),
    })
}

fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host.trim_matches(['[', ']']);
    let ip = host.parse::<std::net::IpAddr>().ok();
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            if let Some(ip) = ip {
                if let Some((net, bits)) = entry.split_once('/') {
                    return cidr_contains(net, bits, ip);
                }
                return entry.parse::<std::net::IpAddr>().is_ok_and(|e| e == ip);
            }
            let d = entry.strip_prefix('.').unwrap_or(entry);
            host.eq_ignore_ascii_case(d)
                || (host.len() > d.len()
                    && host[host.len() - d.len()..].eq_ignore_ascii_case(d)
                    && host.as_bytes()[host.len() - d.len() - 1] == b'.')
        })
}

fn cidr_contains(net: &str, bits: &str, ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

/// The `notAfter` of a DER X.509 certificate.
pub fn not_after(der: &[u8]) -> Option<SystemTime> {
    crate::transport::tls::validity(der).map(|(_, after)| after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn https_proxy_applies_unless_no_proxy_matches() {
        let url = Url::parse("https://gw.corp.example:4000").unwrap();
        let p = proxy_for(&url, &env(&[("HTTPS_PROXY", "http://user:pw@proxy:3128")])).unwrap();
        assert_eq!(p.var, "HTTPS_PROXY");
        assert_eq!(p.shown, "http://proxy:3128");
        assert!(
            proxy_for(
                &url,
                &env(&[("HTTPS_PROXY", "proxy:3128"), ("NO_PROXY", "corp.example")])
            )
            .is_none()
        );
        assert!(
            proxy_for(
                &url,
                &env(&[("HTTPS_PROXY", "proxy:3128"), ("no_proxy", "*")])
            )
            .is_none()
        );
        assert!(proxy_for(&url, &env(&[("HTTP_PROXY", "proxy:3128")])).is_none());
        let all = proxy_for(&url, &env(&[("ALL_PROXY", "http://all:1")])).unwrap();
        assert_eq!(all.var, "ALL_PROXY");
    }

    #[test]
    fn no_proxy_ips_and_cidrs() {
        assert!(no_proxy_matches("10.0.0.0/8, localhost", "10.1.2.3"));
        assert!(no_proxy_matches("127.0.0.1", "127.0.0.1"));
        assert!(!no_proxy_matches("127.0.0.1", "127.0.0.2"));
        assert!(!no_proxy_matches("example.com", "notexample.com"));
        assert!(no_proxy_matches(".example.com", "a.example.com"));
    }

    #[test]
    fn the_summary_says_how_tls_was_verified_and_warns_before_expiry() {
        let addr: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let http = Url::parse("http://127.0.0.1:4000").unwrap();
        assert_eq!(
            judge(addr, &http, None, &TlsSetup::default(), None),
            Outcome::pass("127.0.0.1:4000 accepts connections; plain HTTP; no proxy")
        );
        let tls = TlsSetup {
            extra_roots: vec!["tls.ca_file".into()],
            client_cert: true,
        };
        let https = Url::parse("https://gw.example").unwrap();
        let soon = SystemTime::now() + std::time::Duration::from_secs(3 * 86_400 + 3600);
        let o = judge(addr, &https, None, &tls, Some(soon));
        assert_eq!(o.status, crate::doctor::check::Status::Warn);
        assert_eq!(
            o.summary,
            "127.0.0.1:4000 accepts connections; TLS verified with tls.ca_file, client certificate sent, certificate valid 3 more days; no proxy; the gateway's certificate expires in 3 days"
        );
        let proxy = proxy_for(&https, &env(&[("HTTPS_PROXY", "proxy:3128")]));
        let later = SystemTime::now() + std::time::Duration::from_secs(90 * 86_400);
        let o = judge(
            addr,
            &https,
            proxy.as_ref(),
            &TlsSetup::default(),
            Some(later),
        );
        assert_eq!(o.status, crate::doctor::check::Status::Pass);
        assert!(
            o.summary
                .ends_with("; via proxy http://proxy:3128 (from HTTPS_PROXY)"),
            "{o:?}"
        );
    }

    #[test]
    fn reads_not_after_from_a_real_certificate() {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.not_after = rcgen::date_time_ymd(2031, 7, 9);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let t = not_after(cert.der()).unwrap();
        let want = crate::transport::tls::unix_time(2031, 7, 9, 0, 0, 0).unwrap();
        assert_eq!(t, want);
        assert!(not_after(b"\x30\x03\x02\x01\x01").is_none());
    }
}
