//! Sign-in with an OpenID Connect identity provider: discovery, the device authorization grant
//! (RFC 8628), the authorization code grant with PKCE and a loopback redirect (RFC 8252), the
//! refresh grant and revocation (RFC 7009). `proto` is the protocol, pure; this module sends it.
//! Every answer is bounded (`transport::read_body`) and its text scrubbed before it is shown.

pub mod proto;

use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::OidcSource;
use crate::error;
use crate::transport::{self, tls};
pub use proto::{Discovery, TokenSet};

/// The time limit of one request to the IdP.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// How long the browser sign-in waits for the IdP to redirect back.
pub const BROWSER_TIMEOUT: Duration = Duration::from_secs(300);
/// The most connections the loopback listener answers before giving up on the callback
/// (a browser may ask for a favicon first).
const MAX_LOOPBACK_CONNECTIONS: usize = 16;

/// A client for one IdP.
pub struct Idp<'a> {
    src: &'a OidcSource,
    http: reqwest::Client,
    client_secret: Option<String>,
}

/// Why a refresh failed: the refresh token is no longer good (sign in again), or anything else.
#[derive(Debug)]
pub enum RefreshError {
    /// `invalid_grant`: expired, revoked, or already used.
    Rejected(proto::OAuthError),
    Other(anyhow::Error),
}

impl<'a> Idp<'a> {
    /// A client with the IdP's CA file (if any) on top of the system's roots, no redirects
    /// followed (an IdP's endpoints answer directly) and `REQUEST_TIMEOUT` per request.
    pub fn new(src: &'a OidcSource, client_secret: Option<String>) -> Result<Self> {
        let mut roots = Vec::new();
        if let Some(ca) = &src.ca_file {
            roots.extend(tls::read_pem_certs(ca, "key.ca_file")?);
        }
        let http = transport::client_builder(tls::client_config(roots, None)?, REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ccgw/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("could not build the HTTP client")?;
        Ok(Self {
            src,
            http,
            client_secret,
        })
    }

    async fn answer(&self, req: reqwest::RequestBuilder, what: &str) -> Result<(u16, String)> {
        let resp = req.send().await.map_err(|e| {
            anyhow!(
                "the identity provider did not answer {what}: {}",
                proto::server_text(&error_chain(&e))
            )
        })?;
        let status = resp.status().as_u16();
        let body = transport::read_body(resp)
            .await
            .map_err(|e| anyhow!("could not read the identity provider's {what} answer: {e}"))?;
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }

    /// The discovery document, checked (issuer match, HTTPS endpoints).
    pub async fn discover(&self) -> Result<Discovery> {
        let url = proto::discovery_url(&self.src.issuer);
        let (status, body) = self
            .answer(self.http.get(&url), "the discovery request")
            .await?;
        if status != 200 {
            bail!("the identity provider's discovery document at {url} answered HTTP {status}");
        }
        proto::parse_discovery(&body, &self.src.issuer).map_err(|m| anyhow!(m))
    }

    async fn post_form(
        &self,
        url: &str,
        pairs: &[(&str, &str)],
        what: &str,
    ) -> Result<(u16, String)> {
        let mut pairs = pairs.to_vec();
        pairs.push(("client_id", &self.src.client_id));
        if let Some(secret) = &self.client_secret {
            pairs.push(("client_secret", secret));
        }
        let req = self
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(proto::form(&pairs));
        self.answer(req, what).await
    }

    fn resource(&self) -> Vec<(&str, &str)> {
        self.src
            .audience
            .as_deref()
            .map(|a| ("resource", a))
            .into_iter()
            .collect()
    }

    /// The device sign-in: start it, tell the user (`show`), poll as the IdP says until the
    /// code is approved, refused or expired.
    pub async fn device_login(
        &self,
        d: &Discovery,
        show: impl FnOnce(&proto::DeviceStart),
    ) -> Result<TokenSet> {
        let Some(endpoint) = &d.device_authorization_endpoint else {
            return Err(error::config(
                "the identity provider offers no device sign-in (no device_authorization_endpoint)",
                Some("set `flow = \"browser\"` in the profile's key".into()),
            ));
        };
        let scope = self.src.scopes.join(" ");
        let mut pairs = vec![("scope", scope.as_str())];
        pairs.extend(self.resource());
        let (status, body) = self
            .post_form(endpoint, &pairs, "the device authorization")
            .await?;
        let start = proto::parse_device_start(status, &body).map_err(|m| error::auth(m, None))?;
        show(&start);
        let deadline =
            tokio::time::Instant::now() + Duration::from_secs(start.expires_in.min(3600));
        let mut interval = Duration::from_secs(start.interval.clamp(1, 60));
        let mut pairs = vec![
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", start.device_code.as_str()),
        ];
        pairs.extend(self.resource());
        loop {
            tokio::time::sleep(interval).await;
            if tokio::time::Instant::now() >= deadline {
                return Err(expired());
            }
            let (status, body) = self
                .post_form(&d.token_endpoint, &pairs, "the token request")
                .await?;
            match proto::interpret_poll(status, &body) {
                proto::Poll::Tokens(t) => return Ok(t),
                proto::Poll::Pending => {}
                // RFC 8628 §3.5: every slow_down adds 5 seconds, for the rest of the sign-in.
                proto::Poll::SlowDown => interval += Duration::from_secs(5),
                proto::Poll::Denied => {
                    return Err(error::auth(
                        "the sign-in was refused at the identity provider",
                        None,
                    ));
                }
                proto::Poll::Expired => return Err(expired()),
                proto::Poll::Failed(e) => {
                    return Err(error::auth(
                        format!("the identity provider refused the sign-in: {e}"),
                        None,
                    ));
                }
            }
        }
    }

    /// The browser sign-in: listen on 127.0.0.1 (a random port), send the user to the
    /// authorize URL (`open`), take one callback carrying this sign-in's `state`, redeem the code
    /// with the PKCE verifier and check the ID token's `nonce`.
    pub async fn browser_login(&self, d: &Discovery, open: impl FnOnce(&str)) -> Result<TokenSet> {
        let Some(endpoint) = &d.authorization_endpoint else {
            bail!("the identity provider's discovery document names no authorization_endpoint");
        };
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .context("could not listen on 127.0.0.1 for the sign-in's redirect")?;
        let port = listener.local_addr()?.port();
        let redirect_uri = format!("http://127.0.0.1:{port}/callback");
        let auth = proto::authorize(
            endpoint,
            &self.src.client_id,
            &self.src.scopes,
            self.src.audience.as_deref(),
            &redirect_uri,
        )?;
        open(&auth.url);
        let code = tokio::time::timeout(BROWSER_TIMEOUT, callback(&listener, &auth.state))
            .await
            .map_err(|_| {
                error::auth(
                    format!(
                        "no answer from the browser sign-in within {}",
                        humantime::format_duration(BROWSER_TIMEOUT)
                    ),
                    Some(
                        "run `ccgw login` again, or use the device sign-in (`flow = \"device\"`)"
                            .into(),
                    ),
                )
            })??;
        drop(listener);
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("code_verifier", auth.verifier.as_str()),
        ];
        pairs.extend(self.resource());
        let (status, body) = self
            .post_form(&d.token_endpoint, &pairs, "the token request")
            .await?;
        let tokens = proto::parse_token_answer(status, &body).map_err(|e| {
            error::auth(format!("the identity provider refused the code: {e}"), None)
        })?;
        match &tokens.id_token {
            Some(id) if proto::nonce_matches(id, &auth.nonce) => Ok(tokens),
            Some(_) => Err(error::auth(
                "the ID token's nonce is not this sign-in's: refusing it",
                None,
            )),
            None => Err(error::auth(
                "the identity provider sent no ID token (is `openid` among the scopes?)",
                None,
            )),
        }
    }

    /// The refresh grant (RFC 6749 §6).
    pub async fn refresh(
        &self,
        d: &Discovery,
        refresh_token: &str,
    ) -> Result<TokenSet, RefreshError> {
        let mut pairs = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        pairs.extend(self.resource());
        let (status, body) = self
            .post_form(&d.token_endpoint, &pairs, "the refresh request")
            .await
            .map_err(RefreshError::Other)?;
        proto::parse_token_answer(status, &body).map_err(|e| {
            if e.error == "invalid_grant" {
                RefreshError::Rejected(e)
            } else {
                RefreshError::Other(anyhow!("the identity provider refused the refresh: {e}"))
            }
        })
    }

    /// Revoke a refresh token (RFC 7009); `Ok(false)` when the IdP has no revocation endpoint.
    pub async fn revoke(&self, d: &Discovery, refresh_token: &str) -> Result<bool> {
        let Some(endpoint) = &d.revocation_endpoint else {
            return Ok(false);
        };
        let pairs = [
            ("token", refresh_token),
            ("token_type_hint", "refresh_token"),
        ];
        let (status, body) = self.post_form(endpoint, &pairs, "the revocation").await?;
        if status != 200 {
            bail!(
                "the identity provider refused the revocation: {}",
                proto::oauth_error(status, &body)
            );
        }
        Ok(true)
    }
}

/// An error and its causes on one line (reqwest's own message is only "error sending request").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = e.source();
    while let Some(cause) = src {
        let s = cause.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        src = cause.source();
    }
    parts.join(": ")
}

fn expired() -> anyhow::Error {
    error::auth(
        "the sign-in code expired before it was approved",
        Some("run `ccgw login` again".into()),
    )
}

/// Answer connections to the loopback listener until one is this sign-in's callback.
async fn callback(listener: &tokio::net::TcpListener, state: &str) -> Result<String> {
    for _ in 0..MAX_LOOPBACK_CONNECTIONS {
        let (mut conn, _) = listener.accept().await?;
        let line = match tokio::time::timeout(REQUEST_TIMEOUT, request_line(&mut conn)).await {
            Ok(Ok(line)) => line,
            _ => continue,
        };
        let result = proto::parse_callback(&line, state);
        let (status, page) = match &result {
            Ok(_) => (
                "200 OK",
                "Signed in: you can close this window and go back to the terminal.",
            ),
            Err(proto::CallbackError::NotTheCallback) => ("404 Not Found", "Not found."),
            Err(_) => ("400 Bad Request", "The sign-in failed: see the terminal."),
        };
        let reply = format!(
            "HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
            page.len()
        );
        let _ = conn.write_all(reply.as_bytes()).await;
        let _ = conn.shutdown().await;
        match result {
            Ok(code) => return Ok(code),
            Err(proto::CallbackError::NotTheCallback) => {}
            Err(proto::CallbackError::WrongState) => {
                return Err(error::auth(
                    "the sign-in's redirect carries another `state` than the one sent: refusing it (a forged or crossed sign-in)",
                    Some("run `ccgw login` again".into()),
                ));
            }
            Err(proto::CallbackError::Refused(e)) => {
                return Err(error::auth(
                    format!("the identity provider refused the sign-in: {e}"),
                    None,
                ));
            }
            Err(proto::CallbackError::NoCode) => {
                return Err(error::auth("the sign-in's redirect carries no code", None));
            }
        }
    }
    bail!(
        "no sign-in callback among {MAX_LOOPBACK_CONNECTIONS} connections to the loopback listener"
    )
}

/// The first line of an HTTP request, read in at most 8 KiB.
async fn request_line(conn: &mut tokio::net::TcpStream) -> Result<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while buf.len() < 8192 {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let text = String::from_utf8_lossy(&buf);
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

/// The command that opens a URL: `CCGW_BROWSER` (a program, given the URL as its one
/// argument), else the desktop's opener when there is a display. `None`: print the URL only.
pub fn browser() -> Option<std::ffi::OsString> {
    if let Some(b) = std::env::var_os("CCGW_BROWSER").filter(|b| !b.is_empty()) {
        return Some(b);
    }
    if cfg!(target_os = "macos") {
        return Some("open".into());
    }
    let display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
    display.then(|| "xdg-open".into())
}

/// Open `url` with `program`, not waiting for it. The URL carries no secret (a user code, a
/// PKCE challenge, a state), so it may go in argv.
pub fn open_url(program: &std::ffi::OsStr, url: &str) -> Result<()> {
    std::process::Command::new(program)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .with_context(|| {
            format!(
                "could not start the browser `{}`",
                program.to_string_lossy()
            )
        })?;
    Ok(())
}
