//! The `vault` source: a KV v1/v2 secret from HashiCorp Vault or OpenBao (same API), via vaultrs.
//!
//! This is the only place ccgw starts an async runtime, and only on a cache miss. Every request
//! has a timeout, so a dead Vault costs a one-line error, not a hang. A token from a login
//! (approle, kubernetes, jwt, userpass) is cached for its lease in a second cache entry, so a
//! cold key fetch does not log in again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use vaultrs::client::{Client, VaultClient, VaultClientSettingsBuilder};
use vaultrs::error::ClientError;

use crate::config::{VaultAuth, VaultSource};
use crate::error;
use crate::key::{Fetched, cache, keyring};
use crate::transport::{ProblemKind, classify};

/// Per-request limit (connect included).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a login token with no lease (`lease_duration` 0) is reused.
const UNLEASED_TOKEN_REUSE: Duration = Duration::from_secs(60 * 60);
/// Kubernetes puts the service account token here.
const K8S_JWT: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";
/// Cache entries of login tokens carry this source name.
pub const LOGIN_SOURCE: &str = "vault-login";

/// Where the secret is, resolved from the profile (configuration errors are exit 2).
struct Target {
    addr: String,
    mount: String,
    path: String,
    field: String,
}

impl Target {
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
        match reqwest::Url::parse(&addr) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => {
                return Err(error::config(
                    format!("vault address `{addr}` is not an http(s) URL"),
                    None,
                ));
            }
        }
        Ok(Self {
            addr,
            mount: src.mount.clone().unwrap_or_else(|| "secret".into()),
            path: src.path.trim_matches('/').to_owned(),
            field: src.field.clone().unwrap_or_else(|| "api_key".into()),
        })
    }

    fn what(&self) -> String {
        format!("`{}/{}`", self.mount.trim_end_matches('/'), self.path)
    }
}

/// Fetch the key of profile `name`.
pub fn fetch(name: &str, src: &VaultSource) -> Result<Fetched> {
    let target = Target::new(src)?;
    if let Some(v) = src.kv_version
        && !matches!(v, 1 | 2)
    {
        return Err(error::config(
            format!("kv_version must be 1 or 2, not {v}"),
            None,
        ));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")?;
    rt.block_on(fetch_async(name, src, &target))
}

async fn fetch_async(name: &str, src: &VaultSource, target: &Target) -> Result<Fetched> {
    let mut client = client(src, target)?;
    if src.auth == VaultAuth::Token {
        client.set_token(&static_token(name)?);
        return read(&client, src, target).await;
    }
    let login_entry = cache::dir()
        .ok()
        .map(|dir| login_entry_path(&dir, name, src, target));
    if let Some(path) = &login_entry
        && let Some(entry) = cache::read(path)
        && cache::usable(&entry, cache::now())
    {
        client.set_token(&entry.key);
        match read(&client, src, target).await {
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
    read(&client, src, target).await
}

/// The cache entry of a login token: one per profile and auth configuration (not per secret).
fn login_entry_path(dir: &Path, name: &str, src: &VaultSource, target: &Target) -> PathBuf {
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

fn client(src: &VaultSource, target: &Target) -> Result<VaultClient> {
    let mut settings = VaultClientSettingsBuilder::default();
    settings
        .address(&target.addr)
        .token("")
        .timeout(Some(REQUEST_TIMEOUT));
    if let Some(ns) = &src.namespace {
        settings.namespace(Some(ns.clone()));
    }
    if let Some(ca) = &src.ca_file {
        if !ca.is_file() {
            return Err(error::config(
                format!("vault ca_file `{}` does not exist", ca.display()),
                None,
            ));
        }
        settings.ca_certs(vec![ca.display().to_string()]);
    }
    let settings = settings
        .build()
        .map_err(|e| error::config(format!("vault client settings: {e}"), None))?;
    VaultClient::new(settings)
        .map_err(|e| error::config(format!("could not set up the vault client: {e}"), None))
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
async fn login(name: &str, src: &VaultSource, client: &VaultClient) -> Result<(String, Duration)> {
    let method = match src.auth {
        VaultAuth::Token => unreachable!("token auth does not log in"),
        VaultAuth::Approle => "approle",
        VaultAuth::Kubernetes => "kubernetes",
        VaultAuth::Jwt => "jwt",
        VaultAuth::Userpass => "userpass",
    };
    let mount = src.auth_mount.as_deref().unwrap_or(method);
    let need = |field: &str, v: &Option<String>| {
        v.clone().ok_or_else(|| {
            error::config(
                format!("vault auth `{method}` needs `{field}` in the profile's [key]"),
                None,
            )
        })
    };
    let res = match src.auth {
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
            vaultrs::auth::approle::login(client, mount, &role_id, &secret_id).await
        }
        VaultAuth::Kubernetes => {
            let role = need("role", &src.role)?;
            let file = src
                .jwt_file
                .clone()
                .unwrap_or_else(|| PathBuf::from(K8S_JWT));
            let jwt = read_secret_file(&file, "jwt_file")?;
            vaultrs::auth::kubernetes::login(client, mount, &role, &jwt).await
        }
        VaultAuth::Jwt => {
            let file = src.jwt_file.clone().ok_or_else(|| {
                error::config(
                    "vault auth `jwt` needs `jwt_file` in the profile's [key]",
                    None,
                )
            })?;
            let jwt = read_secret_file(&file, "jwt_file")?;
            vaultrs::auth::oidc::login(client, mount, &jwt, src.role.clone()).await
        }
        VaultAuth::Userpass => {
            let user = need("username", &src.username)?;
            let password = keyring::read_vault_credential(
                name,
                VaultAuth::Userpass,
                &format!("the password of `{user}` is read only from the keyring"),
            )?;
            vaultrs::auth::userpass::login(client, mount, &user, &password).await
        }
    };
    let info = res.map_err(|e| {
        describe(
            e,
            &format!("the `{method}` login at `auth/{mount}`"),
            client,
        )
    })?;
    Ok((info.client_token, Duration::from_secs(info.lease_duration)))
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
async fn read(client: &VaultClient, src: &VaultSource, target: &Target) -> Result<Fetched> {
    let version = match src.kv_version {
        Some(v) => v,
        None => kv_version(client, target).await?,
    };
    let what = target.what();
    let (data, lease) = if version == 1 {
        let raw = vaultrs::kv1::get_raw(client, &target.mount, &target.path)
            .await
            .map_err(|e| describe(e, &what, client))?;
        let lease = u64::try_from(raw.lease_duration).unwrap_or(0);
        let data: HashMap<String, serde_json::Value> =
            serde_json::from_value(raw.data).unwrap_or_default();
        (data, lease)
    } else {
        let data: HashMap<String, serde_json::Value> =
            vaultrs::kv2::read(client, &target.mount, &target.path)
                .await
                .map_err(|e| describe(e, &what, client))?;
        (data, 0)
    };
    let key = match data.get(&target.field) {
        Some(serde_json::Value::String(s)) => s.trim().to_owned(),
        Some(_) => {
            return Err(error::auth(
                format!("field `{}` of {what} is not a string", target.field),
                None,
            ));
        }
        None => {
            let mut fields: Vec<&str> = data.keys().map(String::as_str).collect();
            fields.sort_unstable();
            return Err(error::auth(
                format!("{what} has no field `{}`", target.field),
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
async fn kv_version(client: &VaultClient, target: &Target) -> Result<u8> {
    let url = format!(
        "{}/v1/sys/internal/ui/mounts/{}",
        target.addr.trim_end_matches('/'),
        target.mount.trim_matches('/')
    );
    let mut req = client
        .http
        .http
        .get(&url)
        .header("X-Vault-Token", &client.settings.token);
    if let Some(ns) = &client.settings.namespace {
        req = req.header("X-Vault-Namespace", ns);
    }
    let hint = || {
        Some("set `kv_version = 1` or `2` in the profile's [key] to skip the detection".to_owned())
    };
    let res = req.send().await.map_err(|e| transport_error(client, &e))?;
    let status = res.status();
    if !status.is_success() {
        let mount = &target.mount;
        return Err(match status.as_u16() {
            403 => error::auth(
                format!("vault denied access to mount `{mount}` {DENIED}"),
                Some("check the token's policies, or log in again".into()),
            ),
            code => error::auth(
                format!(
                    "could not detect the KV version of mount `{mount}` (vault answered {code})"
                ),
                hint(),
            ),
        });
    }
    let body: serde_json::Value = res.json().await.map_err(|e| {
        error::auth(
            format!("vault sent an unreadable mount description: {e}"),
            hint(),
        )
    })?;
    let data = &body["data"];
    if data["type"]
        .as_str()
        .is_some_and(|t| t != "kv" && t != "generic")
    {
        return Err(error::config(
            format!("vault mount `{}` is not a KV secrets engine", target.mount),
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

/// One line saying what went wrong, never a secret: Vault's own error strings are safe.
fn describe(e: ClientError, what: &str, client: &VaultClient) -> anyhow::Error {
    match e {
        ClientError::APIError { code: 403, .. } => error::auth(
            format!("vault denied access to {what} {DENIED}"),
            Some("check the token's policies, or log in again (`vault login`)".into()),
        ),
        ClientError::APIError { code: 404, .. } => error::auth(
            format!("vault has nothing at {what} (404)"),
            // A secret in a namespace is invisible from any other: the same 404.
            Some(match &client.settings.namespace {
                Some(ns) => format!(
                    "check `mount`, `path` and `kv_version` in the profile's [key], and that the \
                     secret is in namespace `{ns}`"
                ),
                None => "check `mount`, `path` and `kv_version` in the profile's [key]; a secret \
                         in a vault namespace also needs `namespace`"
                    .into(),
            }),
        ),
        ClientError::APIError { code, errors } => {
            let detail = if errors.is_empty() {
                String::new()
            } else {
                format!(": {}", errors.join("; ").replace('\n', " "))
            };
            error::auth(format!("vault answered {code} to {what}{detail}"), None)
        }
        ClientError::RestClientError { source } => transport_error(client, &source),
        other => error::auth(format!("vault request for {what} failed: {other}"), None),
    }
}

/// One line for a request that got no answer: nothing listening, no answer in time, or TLS
/// refusing vault's certificate. A TLS failure says so and names `ca_file`: "could not reach"
/// with a hint to check that Vault runs would send the user the wrong way.
fn transport_error(client: &VaultClient, e: &(dyn std::error::Error + 'static)) -> anyhow::Error {
    let addr = client.settings.address.as_str().trim_end_matches('/');
    let mut root: &dyn std::error::Error = e;
    let mut timed_out = false;
    while let Some(next) = root.source() {
        if let Some(r) = root.downcast_ref::<reqwest::Error>() {
            timed_out |= r.is_timeout();
        }
        root = next;
    }
    if timed_out {
        return error::auth(
            format!(
                "could not reach vault at `{addr}`: no answer within {}s",
                REQUEST_TIMEOUT.as_secs()
            ),
            Some("is Vault running and is `addr` (or VAULT_ADDR) right?".into()),
        );
    }
    let why = root.to_string();
    let tls = |problem: String, hint: &str| {
        error::auth(
            format!("vault at `{addr}` failed the TLS check: {problem} ({why})"),
            Some(hint.to_owned()),
        )
    };
    match classify(&why) {
        ProblemKind::UntrustedCert if client.settings.ca_certs.is_empty() => tls(
            "its certificate is not signed by a CA this machine trusts".into(),
            "set `ca_file` in the profile's [key] to the PEM file of the CA that signed vault's certificate",
        ),
        ProblemKind::UntrustedCert => tls(
            format!(
                "its certificate is signed neither by the CA in `{}` nor by one this machine trusts",
                client.settings.ca_certs.join("`, `")
            ),
            "`ca_file` in the profile's [key] must be the PEM file of the CA that signed vault's certificate",
        ),
        ProblemKind::NameMismatch => tls(
            "its certificate is not valid for this host name".into(),
            "use the host name the certificate was issued for in `addr`",
        ),
        ProblemKind::ExpiredCert => tls(
            "its certificate has expired or is not valid yet".into(),
            "vault's certificate must be renewed (or this machine's clock is wrong)",
        ),
        ProblemKind::NotTls => tls(
            "the port does not speak TLS".into(),
            "if vault serves plain HTTP there, use an http:// URL in `addr`",
        ),
        _ => error::auth(
            format!("could not reach vault at `{addr}`: {why}"),
            Some("is Vault running and is `addr` (or VAULT_ADDR) right?".into()),
        ),
    }
}
