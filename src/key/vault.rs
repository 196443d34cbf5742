//! The `vault` source: a KV v1/v2 secret from HashiCorp Vault or OpenBao (same API), over a
//! small HTTP client of ccgw's own (see `Vault`).
//!
//! It runs only on a cache miss, on `transport::runtime`. Every request
//! has a deadline over its whole answer and a bounded body, so a dead or hostile Vault costs a
//! one-line error, not a hang or gigabytes of memory. A token from a login
//! (approle, kubernetes, jwt, userpass) is cached for its lease in a second cache entry, so a
//! cold key fetch does not log in again.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Result;

use crate::config::{VaultAuth, VaultSource};
use crate::error;
use crate::key::{Fetched, cache, claims, keyring};
use crate::transport::{self, BodyError, ProblemKind, classify, tls};

/// Per-request limit (connect included).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a login token with no lease (`lease_duration` 0) is reused.
const UNLEASED_TOKEN_REUSE: Duration = Duration::from_secs(60 * 60);
/// Kubernetes puts the service account token here.
const K8S_JWT: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";
/// Cache entries of login tokens carry this source name.
pub const LOGIN_SOURCE: &str = "vault-login";

/// Where the secret is, resolved from the profile (configuration errors are exit 2).
struct SecretLocation {
    addr: String,
    mount: String,
    path: String,
    field: String,
    /// `identity_role`: the key is this role's identity token, not a KV secret.
    identity_role: Option<String>,
}

impl SecretLocation {
    fn new(src: &VaultSource) -> Result<Self> {
        let addr = match &src.addr {
            Some(a) => a.clone(),
            None => std::env::var("VAULT_ADDR")
                .ok()
                .filter(|a| !a.is_empty())
                .ok_or_else(|| {
                    error::config(
                        "no vault address: `addr` is not set and VAULT_ADDR is empty",
                        Some("set `addr` in the profile's [key] or export VAULT_ADDR".into()),
                    )
                })?,
        };
        let field = if src.addr.is_some() {
            "addr"
        } else {
            "VAULT_ADDR"
        };
        crate::config::rules::service_url(field, &addr)
            .map_err(|b| error::config(format!("vault address: {}", b.message), b.hint))?;
        Ok(Self {
            addr,
            mount: src.mount.clone().unwrap_or_else(|| "secret".into()),
            path: src.path.trim_matches('/').to_owned(),
            field: src.field.clone().unwrap_or_else(|| "api_key".into()),
            identity_role: src.identity_role.clone(),
        })
    }

    fn what(&self) -> String {
        format!("`{}/{}`", self.mount.trim_end_matches('/'), self.path)
    }
}

/// Fetch the key of profile `name`.
pub fn fetch(name: &str, src: &VaultSource) -> Result<Fetched> {
    let target = SecretLocation::new(src)?;
    transport::runtime()?.block_on(fetch_async(name, src, &target))
}

async fn fetch_async(name: &str, src: &VaultSource, target: &SecretLocation) -> Result<Fetched> {
    let mut client = client(src, target)?;
    if src.auth == VaultAuth::Token {
        client.set_token(&static_token(name)?);
        return read_target(&client, src, target).await;
    }
    let login_entry = cache::dir()
        .ok()
        .map(|dir| login_entry_path(&dir, name, src, target));
    if let Some(path) = &login_entry
        && let Some(entry) = cache::read(path)
        && cache::usable(&entry, cache::now())
    {
        client.set_token(&entry.key);
        match read_target(&client, src, target).await {
            // A revoked or expired-early token: forget it and log in once more.
            Err(e) if is_denied(&e) => {
                let _ = cache::remove(path);
            }
            other => return other,
        }
    }
    let (token, lease) = login(name, src, &client).await?;
    client.set_token(&token);
    if let Some(path) = &login_entry {
        let reuse = if lease.is_zero() {
            UNLEASED_TOKEN_REUSE
        } else {
            // Stop using it a little before Vault does.
            lease - lease / 10
        };
        let now = cache::now();
        let entry = cache::Entry {
            profile: name.to_owned(),
            source: LOGIN_SOURCE.into(),
            fetched_at: now,
            expires_at: now + reuse.as_secs(),
            key: token,
        };
        if let Err(e) = cache::write(path, &entry) {
            eprintln!("warning: could not cache the vault login token: {e:#}");
        }
    }
    read_target(&client, src, target).await
}

/// The key: the role's identity token, or the KV secret's field.
async fn read_target(
    client: &Vault,
    src: &VaultSource,
    target: &SecretLocation,
) -> Result<Fetched> {
    match &target.identity_role {
        Some(role) => identity_token(client, role).await,
        None => read(client, src, target).await,
    }
}

/// How long before its `exp` an identity token stops being served from the cache. Claude Code
/// (≥ 2.1.332) waits for a fresh helper run once a JWT's `exp` is less than 30 s away, and a
/// gateway's clock may run a little ahead: a minute leaves room for both.
pub const IDENTITY_TOKEN_MARGIN: Duration = Duration::from_secs(60);

/// `identity/oidc/token/ROLE`: a JWT signed by Vault for the token's entity. It is cached until
/// `IDENTITY_TOKEN_MARGIN` before its own `exp` (the cache also caps it at `key_ttl`).
async fn identity_token(client: &Vault, role: &str) -> Result<Fetched> {
    let what = format!("the identity token of role `{role}`");
    let answer = client
        .call(
            reqwest::Method::GET,
            &format!("identity/oidc/token/{role}"),
            None,
            &what,
        )
        .await
        .map_err(|e| identity_hint(e, role))?;
    identity_fetched(&answer, &what)
}

/// The token of an `identity/oidc/token` answer, with its expiry; pure.
fn identity_fetched(answer: &Json, what: &str) -> Result<Fetched> {
    let Some(token) = answer["data"]["token"].as_str().filter(|t| !t.is_empty()) else {
        return Err(unexpected(
            &format!("the answer to {what} has no `data.token`"),
            None,
        ));
    };
    let Some(exp) = claims::peek(token).and_then(|c| c.expires_at()) else {
        return Err(unexpected(
            &format!("the answer to {what} is not a JWT with an `exp`"),
            None,
        ));
    };
    Ok(Fetched {
        key: token.to_owned(),
        expires_at: Some(exp.checked_sub(IDENTITY_TOKEN_MARGIN).unwrap_or(exp)),
    })
}

/// A refused identity-token read names what the Vault admin has to set up.
fn identity_hint(e: anyhow::Error, role: &str) -> anyhow::Error {
    let Some(f) = e.downcast_ref::<error::Failure>() else {
        return e;
    };
    let hint = if is_denied(&e) {
        format!(
            "the token's policies must grant `read` on `identity/oidc/token/{role}`, and the \
             token must belong to an entity (a login, not a root or orphan token)"
        )
    } else if f.message.contains("(404)") {
        format!(
            "ask the Vault admin to create the role: `vault write identity/oidc/role/{role} key=…`"
        )
    } else {
        return e;
    };
    error::auth(f.message.clone(), Some(hint))
}

/// The cache entry of a login token: one per profile and auth configuration (not per secret).
fn login_entry_path(dir: &Path, name: &str, src: &VaultSource, target: &SecretLocation) -> PathBuf {
    let auth = serde_json::to_string(&(
        &src.auth,
        &src.auth_mount,
        &src.role_id,
        &src.secret_id_file,
        &src.role,
        &src.jwt_file,
        &src.username,
    ))
    .unwrap_or_default();
    let ns = src.namespace.as_deref().unwrap_or("");
    cache::side_entry_path(dir, name, LOGIN_SOURCE, &[&target.addr, ns, &auth])
}

/// How many same-origin redirects a request follows (a Vault behind a path-rewriting proxy).
const MAX_REDIRECTS: usize = 5;

/// ccgw's own HTTP client for Vault, not vaultrs's: vaultrs builds its client itself and offers
/// no say over redirects (reqwest's default follows any, carrying `X-Vault-Token`), no bound on a
/// body it reads whole, and it reports a non-JSON answer as a transport failure. The few
/// endpoints ccgw needs are plain JSON calls.
///
/// Every request: one deadline (`REQUEST_TIMEOUT`) over connect, headers and body; a body of
/// at most `transport::BODY_LIMIT`; a redirect followed only within the origin of `addr`, so
/// the token never goes anywhere else; TLS as `transport::tls` sets it up (system roots plus
/// `ca_file`).
struct Vault {
    http: reqwest::Client,
    addr: reqwest::Url,
    namespace: Option<String>,
    token: String,
    /// The CA file in use (`ca_file` or VAULT_CACERT), for TLS error messages.
    ca_file: Option<PathBuf>,
}

/// What a call wants back: the JSON of a 2xx answer.
type Json = serde_json::Value;

fn client(src: &VaultSource, target: &SecretLocation) -> Result<Vault> {
    let addr = reqwest::Url::parse(&target.addr)
        .map_err(|e| error::config(format!("vault address `{}`: {e}", target.addr), None))?;
    // `ca_file`, else what the vault CLI reads (VAULT_CACERT).
    let ca_file = src.ca_file.clone().or_else(|| {
        std::env::var_os("VAULT_CACERT")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    let mut roots = Vec::new();
    if let Some(ca) = &ca_file {
        if !ca.is_file() {
            return Err(error::config(
                format!("vault ca_file `{}` does not exist", ca.display()),
                None,
            ));
        }
        roots = tls::read_pem_certs(ca, "vault ca_file")
            .map_err(|e| error::config(format!("{e:#}"), None))?;
    }
    let config = tls::client_config(roots, None)
        .map_err(|e| error::config(format!("could not set up TLS for vault: {e:#}"), None))?;
    let origin = addr.origin();
    let redirects = reqwest::redirect::Policy::custom(move |attempt| {
        // Stopping hands the 3xx back to `call`, which says where it pointed.
        if attempt.url().origin() != origin || attempt.previous().len() > MAX_REDIRECTS {
            attempt.stop()
        } else {
            attempt.follow()
        }
    });
    let http = transport::client_builder(config, REQUEST_TIMEOUT)
        .redirect(redirects)
        .build()
        .map_err(|e| error::config(format!("could not set up the vault client: {e}"), None))?;
    Ok(Vault {
        http,
        addr,
        namespace: src.namespace.clone(),
        token: String::new(),
        ca_file,
    })
}

impl Vault {
    fn set_token(&mut self, token: &str) {
        self.token = token.to_owned();
    }

    fn base(&self) -> &str {
        self.addr.as_str().trim_end_matches('/')
    }

    /// `addr` + `/v1/` + `path` (each `/`-separated part percent-encoded as needed).
    fn url(&self, path: &str) -> reqwest::Url {
        let mut url = self.addr.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().push("v1");
            segments.extend(path.split('/').filter(|p| !p.is_empty()));
        }
        url
    }

    /// One request; the JSON of a 2xx answer, or an error saying what went wrong with `what`.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Json>,
        what: &str,
    ) -> Result<Json> {
        let mut req = self
            .http
            .request(method, self.url(path))
            .header("X-Vault-Request", "true");
        if !self.token.is_empty() {
            let mut token = reqwest::header::HeaderValue::from_str(&self.token).map_err(|_| {
                error::auth(
                    "the vault token is not a valid header value",
                    Some("check VAULT_TOKEN or `~/.vault-token`".into()),
                )
            })?;
            token.set_sensitive(true);
            req = req.header("X-Vault-Token", token);
        }
        if let Some(ns) = &self.namespace {
            req = req.header("X-Vault-Namespace", ns);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.map_err(|e| self.transport_error(&e))?;
        let status = resp.status();
        if status.is_redirection() {
            return Err(self.redirect_error(&resp, what));
        }
        let bytes = transport::read_body(resp).await.map_err(|e| match e {
            BodyError::Transport(e) => self.transport_error(&e),
            too_large @ BodyError::TooLarge => {
                unexpected(&format!("the answer to {what}: {too_large}"), None)
            }
        })?;
        let json = serde_json::from_slice::<Json>(&bytes);
        if !status.is_success() {
            let errors: Vec<String> = json
                .ok()
                .and_then(|j| j.get("errors").cloned())
                .and_then(|e| serde_json::from_value(e).ok())
                .unwrap_or_default();
            return Err(self.api_error(status.as_u16(), &errors, what));
        }
        json.map_err(|_| {
            unexpected(
                &format!("the answer to {what} is not JSON"),
                Some("is `addr` (or VAULT_ADDR) the address of Vault's API, not of a web page or proxy?".into()),
            )
        })
    }

    /// A redirect that was not followed: to another origin (the token stays home) or one too many.
    fn redirect_error(&self, resp: &reqwest::Response, what: &str) -> anyhow::Error {
        let addr = self.base();
        let target = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| resp.url().join(l).ok());
        match target {
            Some(t) if t.origin() != self.addr.origin() => {
                // Only the origin: a redirect's path or query may carry anything.
                let other = t.origin().ascii_serialization();
                error::auth(
                    format!(
                        "vault at `{addr}` redirected {what} to another origin, `{other}`; ccgw \
                         does not follow it, so the vault token is not sent there"
                    ),
                    Some(format!(
                        "if `{other}` is your Vault (for example its active node), set `addr` to it"
                    )),
                )
            }
            Some(_) => error::auth(
                format!("vault at `{addr}` redirected {what} more than {MAX_REDIRECTS} times"),
                Some("check `addr` (or VAULT_ADDR): it should be Vault's API address".into()),
            ),
            None => unexpected(
                &format!(
                    "the answer to {what} is a redirect ({}) without a usable location",
                    resp.status().as_u16()
                ),
                None,
            ),
        }
    }

    /// A non-2xx answer. Vault's own error strings are safe to show.
    fn api_error(&self, code: u16, errors: &[String], what: &str) -> anyhow::Error {
        match code {
            403 => error::auth(
                format!("vault denied access to {what} {DENIED}"),
                Some("check the token's policies, or log in again (`vault login`)".into()),
            ),
            404 => error::auth(
                format!("vault has nothing at {what} (404)"),
                // A secret in a namespace is invisible from any other: the same 404.
                Some(match &self.namespace {
                    Some(ns) => format!(
                        "check `mount`, `path` and `kv_version` in the profile's [key], and that \
                         the secret is in namespace `{ns}`"
                    ),
                    None => "check `mount`, `path` and `kv_version` in the profile's [key]; a \
                             secret in a vault namespace also needs `namespace`"
                        .into(),
                }),
            ),
            code => {
                let detail = if errors.is_empty() {
                    String::new()
                } else {
                    format!(": {}", errors.join("; ").replace('\n', " "))
                };
                error::auth(format!("vault answered {code} to {what}{detail}"), None)
            }
        }
    }
}

/// Vault answered, but not the way its API does: say so, never "could not reach vault" (and
/// never echo the answer, which may hold anything).
fn unexpected(what: &str, hint: Option<String>) -> anyhow::Error {
    error::auth(format!("unexpected answer from Vault: {what}"), hint)
}

/// `auth = "token"`: VAULT_TOKEN, then `~/.vault-token` (what `vault login`/`bao login` write),
/// then the keyring.
fn static_token(name: &str) -> Result<String> {
    if let Ok(t) = std::env::var("VAULT_TOKEN")
        && !t.trim().is_empty()
    {
        return Ok(t.trim().to_owned());
    }
    if let Some(home) = dirs::home_dir() {
        let file = home.join(".vault-token");
        match std::fs::read_to_string(&file) {
            Ok(t) if !t.trim().is_empty() => return Ok(t.trim().to_owned()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(error::auth(
                    format!("could not read `{}`: {e}", file.display()),
                    None,
                ));
            }
        }
    }
    keyring::read_vault_credential(
        name,
        VaultAuth::Token,
        "VAULT_TOKEN is not set and `~/.vault-token` does not exist",
    )
}

/// Log in with the configured method; returns the token and its lease.
async fn login(name: &str, src: &VaultSource, client: &Vault) -> Result<(String, Duration)> {
    let method = match src.auth {
        VaultAuth::Token => unreachable!("token auth does not log in"),
        VaultAuth::Approle => "approle",
        VaultAuth::Kubernetes => "kubernetes",
        VaultAuth::Jwt => "jwt",
        VaultAuth::Userpass => "userpass",
    };
    let mount = src.auth_mount.as_deref().unwrap_or(method);
    let mount = mount.trim_matches('/');
    let need = |field: &str, v: &Option<String>| {
        v.clone().ok_or_else(|| {
            error::config(
                format!("vault auth `{method}` needs `{field}` in the profile's [key]"),
                None,
            )
        })
    };
    let login_path = format!("auth/{mount}/login");
    let (path, body) = match src.auth {
        VaultAuth::Token => unreachable!(),
        VaultAuth::Approle => {
            let role_id = need("role_id", &src.role_id)?;
            let secret_id = match &src.secret_id_file {
                Some(f) => read_secret_file(f, "secret_id_file")?,
                None => keyring::read_vault_credential(
                    name,
                    VaultAuth::Approle,
                    "`secret_id_file` is not set",
                )?,
            };
            (
                login_path,
                serde_json::json!({ "role_id": role_id, "secret_id": secret_id }),
            )
        }
        VaultAuth::Kubernetes => {
            let role = need("role", &src.role)?;
            let file = src
                .jwt_file
                .clone()
                .unwrap_or_else(|| PathBuf::from(K8S_JWT));
            let jwt = read_secret_file(&file, "jwt_file")?;
            (login_path, serde_json::json!({ "role": role, "jwt": jwt }))
        }
        VaultAuth::Jwt => {
            let file = src.jwt_file.clone().ok_or_else(|| {
                error::config(
                    "vault auth `jwt` needs `jwt_file` in the profile's [key]",
                    None,
                )
            })?;
            let jwt = read_secret_file(&file, "jwt_file")?;
            let mut body = serde_json::json!({ "jwt": jwt });
            if let Some(role) = &src.role {
                body["role"] = role.clone().into();
            }
            (login_path, body)
        }
        VaultAuth::Userpass => {
            let user = need("username", &src.username)?;
            let password = keyring::read_vault_credential(
                name,
                VaultAuth::Userpass,
                &format!("the password of `{user}` is read only from the keyring"),
            )?;
            (
                format!("{login_path}/{user}"),
                serde_json::json!({ "password": password }),
            )
        }
    };
    let what = format!("the `{method}` login at `auth/{mount}`");
    let answer = client
        .call(reqwest::Method::POST, &path, Some(body), &what)
        .await?;
    login_token(&answer, &what)
}

/// The token and lease of a login answer (`auth.client_token`, `auth.lease_duration`).
fn login_token(answer: &Json, what: &str) -> Result<(String, Duration)> {
    let auth = &answer["auth"];
    match auth["client_token"].as_str() {
        Some(token) if !token.is_empty() => Ok((
            token.to_owned(),
            Duration::from_secs(auth["lease_duration"].as_u64().unwrap_or(0)),
        )),
        _ => Err(unexpected(
            &format!("the answer to {what} has no `auth.client_token`"),
            None,
        )),
    }
}

fn read_secret_file(path: &Path, field: &str) -> Result<String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        error::auth(
            format!("could not read {field} `{}`: {e}", path.display()),
            None,
        )
    })?;
    let v = text.trim();
    if v.is_empty() {
        return Err(error::auth(
            format!("{field} `{}` is empty", path.display()),
            None,
        ));
    }
    Ok(v.to_owned())
}

/// Read the secret and pick the field.
async fn read(client: &Vault, src: &VaultSource, target: &SecretLocation) -> Result<Fetched> {
    let version = match src.kv_version {
        Some(v) => v,
        None => kv_version(client, target).await?,
    };
    let what = target.what();
    let mount = target.mount.trim_matches('/');
    let (path, version_hint) = if version == 1 {
        (format!("{mount}/{}", target.path), "1")
    } else {
        (format!("{mount}/data/{}", target.path), "2")
    };
    let answer = client
        .call(reqwest::Method::GET, &path, None, &what)
        .await?;
    let (data, lease) = secret_data(&answer, version).ok_or_else(|| {
        unexpected(
            &format!(
                "the answer to {what} has no `{}` object",
                if version == 1 { "data" } else { "data.data" }
            ),
            Some(format!(
                "is mount `{mount}` KV version {version_hint}? set `kv_version` in the profile's [key] if not"
            )),
        )
    })?;
    pick_field(data, lease, &target.field, &what)
}

/// The secret's fields and lease in a KV read answer: `data` (v1, with `lease_duration`) or
/// `data.data` (v2). `None` when the answer has no such object.
fn secret_data(answer: &Json, version: u8) -> Option<(&serde_json::Map<String, Json>, u64)> {
    if version == 1 {
        let lease = answer["lease_duration"].as_u64().unwrap_or(0);
        Some((answer.get("data")?.as_object()?, lease))
    } else {
        Some((answer.get("data")?.get("data")?.as_object()?, 0))
    }
}

fn pick_field(
    data: &serde_json::Map<String, Json>,
    lease: u64,
    field: &str,
    what: &str,
) -> Result<Fetched> {
    let key = match data.get(field) {
        Some(Json::String(s)) => s.trim().to_owned(),
        Some(_) => {
            return Err(error::auth(
                format!("field `{field}` of {what} is not a string"),
                None,
            ));
        }
        None => {
            let mut fields: Vec<&str> = data.keys().map(String::as_str).collect();
            fields.sort_unstable();
            return Err(error::auth(
                format!("{what} has no field `{field}`"),
                Some(if fields.is_empty() {
                    "the secret is empty".into()
                } else {
                    format!("set `field` to one of: {}", fields.join(", "))
                }),
            ));
        }
    };
    Ok(Fetched {
        key,
        expires_at: (lease > 0).then(|| SystemTime::now() + Duration::from_secs(lease)),
    })
}

/// The mount's KV version, from `sys/internal/ui/mounts/<mount>` (the endpoint the vault CLI
/// uses for the same question; any token with access to the mount may call it).
async fn kv_version(client: &Vault, target: &SecretLocation) -> Result<u8> {
    let mount = target.mount.trim_matches('/');
    let what = format!("the KV version detection of mount `{mount}`");
    let hint = || {
        Some("set `kv_version = 1` or `2` in the profile's [key] to skip the detection".to_owned())
    };
    let answer = match client
        .call(
            reqwest::Method::GET,
            &format!("sys/internal/ui/mounts/{mount}"),
            None,
            &what,
        )
        .await
    {
        Ok(a) => a,
        Err(e) if is_denied(&e) => {
            return Err(error::auth(
                format!("vault denied access to mount `{mount}` {DENIED}"),
                Some("check the token's policies, or log in again".into()),
            ));
        }
        Err(e) => {
            // A failure with a hint of its own (TLS, redirect, unexpected answer) keeps it.
            let has_hint = e
                .downcast_ref::<error::Failure>()
                .is_some_and(|f| f.hint.is_some());
            return Err(if has_hint {
                e
            } else {
                error::auth(format!("{e}"), hint())
            });
        }
    };
    mount_kv_version(&answer, mount)
}

/// The KV version in a mount description: `data.options.version` "2" is 2, else 1; a mount of
/// another engine is a configuration error.
fn mount_kv_version(answer: &Json, mount: &str) -> Result<u8> {
    let Some(data) = answer.get("data").filter(|d| d.is_object()) else {
        return Err(unexpected(
            &format!("the description of mount `{mount}` has no `data` object"),
            Some("set `kv_version = 1` or `2` in the profile's [key] to skip the detection".into()),
        ));
    };
    if data["type"]
        .as_str()
        .is_some_and(|t| t != "kv" && t != "generic")
    {
        return Err(error::config(
            format!("vault mount `{mount}` is not a KV secrets engine"),
            None,
        ));
    }
    Ok(match data["options"]["version"].as_str() {
        Some("2") => 2,
        _ => 1,
    })
}

/// The words every "access denied" error of this module carries (and `is_denied` looks for).
const DENIED: &str = "(403 permission denied)";

fn is_denied(e: &anyhow::Error) -> bool {
    e.to_string().contains(DENIED)
}

impl Vault {
    /// One line for a request that got no answer: nothing listening, no answer in time, or TLS
    /// refusing vault's certificate. A TLS failure says so and names `ca_file`: "could not
    /// reach" with a hint to check that Vault runs would send the user the wrong way.
    fn transport_error(&self, e: &reqwest::Error) -> anyhow::Error {
        let addr = self.base();
        let mut root: &dyn std::error::Error = e;
        let mut timed_out = e.is_timeout();
        while let Some(next) = root.source() {
            if let Some(r) = root.downcast_ref::<reqwest::Error>() {
                timed_out |= r.is_timeout();
            }
            root = next;
        }
        if timed_out {
            return error::auth(
                format!(
                    "could not reach vault at `{addr}`: no complete answer within {}s",
                    REQUEST_TIMEOUT.as_secs()
                ),
                Some("is Vault running and is `addr` (or VAULT_ADDR) right?".into()),
            );
        }
        let why = root.to_string();
        let tls = |problem: String, hint: String| {
            error::auth(
                format!("vault at `{addr}` failed the TLS check: {problem} ({why})"),
                Some(hint),
            )
        };
        let trusted_from = match &self.ca_file {
            Some(ca) => format!("`ca_file` (`{}`)", ca.display()),
            None => "`ca_file`".to_owned(),
        };
        match classify(&why) {
            ProblemKind::UntrustedCert => match &self.ca_file {
                None => tls(
                    "its certificate is not signed by a CA this machine trusts".into(),
                    "set `ca_file` in the profile's [key] to the PEM file of the CA that signed vault's certificate".into(),
                ),
                Some(ca) => tls(
                    format!(
                        "its certificate is signed neither by the CA in `{}` nor by one this machine trusts",
                        ca.display()
                    ),
                    "`ca_file` in the profile's [key] must be the PEM file of the CA that signed vault's certificate".into(),
                ),
            },
            ProblemKind::CaUsedAsLeaf => tls(
                "it presents a CA certificate (CA:TRUE) as its own, and that certificate is not in `ca_file`".into(),
                "put vault's own certificate in `ca_file` in the profile's [key] to trust it as curl and the vault CLI do, or give vault a certificate signed by a CA".into(),
            ),
            ProblemKind::NameMismatch => tls(
                "its certificate is not valid for this host name".into(),
                format!(
                    "use the host name the certificate was issued for in `addr` (a certificate trusted through {trusted_from} must be for that name too)"
                ),
            ),
            ProblemKind::ExpiredCert => tls(
                "its certificate has expired or is not valid yet".into(),
                format!(
                    "vault's certificate must be renewed, and {trusted_from} replaced if it is trusted from there (or this machine's clock is wrong)"
                ),
            ),
            ProblemKind::NotTls => tls(
                "the port does not speak TLS".into(),
                "if vault serves plain HTTP there, use an http:// URL in `addr`".into(),
            ),
            _ => error::auth(
                format!("could not reach vault at `{addr}`: {why}"),
                Some("is Vault running and is `addr` (or VAULT_ADDR) right?".into()),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(addr: &str) -> Vault {
        let src: VaultSource =
            toml::from_str(&format!("addr = \"{addr}\"\npath = \"gw\"")).unwrap();
        client(&src, &SecretLocation::new(&src).unwrap()).unwrap()
    }

    #[test]
    fn urls_keep_a_path_prefix_and_encode_each_part() {
        let v = vault("https://vault.example:8200/prefix/");
        assert_eq!(
            v.url("auth/userpass/login/a b?c").as_str(),
            "https://vault.example:8200/prefix/v1/auth/userpass/login/a%20b%3Fc"
        );
        let v = vault("http://127.0.0.1:8200");
        assert_eq!(
            v.url("secret/data/gw").as_str(),
            "http://127.0.0.1:8200/v1/secret/data/gw"
        );
    }

    #[test]
    fn an_identity_token_expires_a_minute_before_its_exp() {
        let jwt = jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &serde_json::json!({"sub": "e", "exp": 2_000_000_000u64}),
            &jsonwebtoken::EncodingKey::from_secret(b"k"),
        )
        .unwrap();
        let answer = serde_json::json!({"data": {"token": jwt, "client_id": "c", "ttl": 300}});
        let f = identity_fetched(&answer, "the token").unwrap();
        assert_eq!(f.key, jwt);
        assert_eq!(
            f.expires_at,
            Some(std::time::UNIX_EPOCH + Duration::from_secs(2_000_000_000 - 60))
        );
        for bad in [
            serde_json::json!({"data": {}}),
            serde_json::json!({"data": {"token": ""}}),
            serde_json::json!({"data": {"token": "not-a-jwt"}}),
        ] {
            let e = identity_fetched(&bad, "the token").unwrap_err().to_string();
            assert!(e.starts_with("unexpected answer from Vault: "), "{e}");
            assert!(!e.contains("not-a-jwt"), "{e}");
        }
        let no_exp = jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &serde_json::json!({"sub": "e"}),
            &jsonwebtoken::EncodingKey::from_secret(b"k"),
        )
        .unwrap();
        let e = identity_fetched(&serde_json::json!({"data": {"token": no_exp}}), "the token");
        assert!(e.unwrap_err().to_string().contains("with an `exp`"));
    }

    #[test]
    fn answers_of_the_wrong_shape_are_told_apart() {
        let kv2 = serde_json::json!({"data": {"data": {"api_key": "k"}}});
        let (data, lease) = secret_data(&kv2, 2).unwrap();
        assert_eq!((data["api_key"].as_str(), lease), (Some("k"), 0));
        let kv1 = serde_json::json!({"data": {"api_key": "k"}, "lease_duration": 60});
        assert_eq!(secret_data(&kv1, 1).unwrap().1, 60);
        assert!(secret_data(&kv1, 2).is_none());
        assert!(secret_data(&serde_json::json!({"data": "x"}), 1).is_none());

        let login = serde_json::json!({"auth": {"client_token": "t", "lease_duration": 30}});
        let (token, lease) = login_token(&login, "the login").unwrap();
        assert_eq!((token.as_str(), lease), ("t", Duration::from_secs(30)));
        let err = login_token(&serde_json::json!({"auth": null}), "the login").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("unexpected answer from Vault: "),
            "{err}"
        );

        let mount = serde_json::json!({"data": {"type": "kv", "options": {"version": "2"}}});
        assert_eq!(mount_kv_version(&mount, "secret").unwrap(), 2);
        let err = mount_kv_version(&serde_json::json!([]), "secret").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("unexpected answer from Vault: "),
            "{err}"
        );
    }
}
