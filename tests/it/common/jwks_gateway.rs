//! A JWKS-verifying gateway: the real LiteLLM proxy with `general_settings.custom_auth` set to
//! `tests/fixtures/jwks_auth.py`, which verifies each request's token with PyJWT against the
//! JWKS of an issuer the test trusts (signature, `exp`, `iss`, `aud`) and answers 401 otherwise.
//! LiteLLM's own JWT auth is enterprise-only, so the verifier is a module of the test's own,
//! independent of ccgw (see its docstring); everything else is the real proxy.
//!
//! One proxy is shared by the test binary (`JwksGateway::shared()`, ~8 s to start). Each test
//! trusts its own issuer (`trust`), an OpenBao dev server or IdP of its own with a unique
//! issuer URL, and reads back only its own requests (`calls`), so tests do not see each other.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;

use super::litellm::{Extra, LiteLlm};
use super::upstream::Upstream;

pub struct JwksGateway {
    proxy: LiteLlm,
    /// Where the trusted issuers are (`*.json`, read by the module on each request).
    trust_dir: PathBuf,
    /// One JSON line per request.
    log: PathBuf,
    _dir: tempfile::TempDir,
}

/// One request as the verifier saw it.
#[derive(Debug, Clone)]
pub struct Call {
    pub path: String,
    /// `ok`, or why the token was refused.
    pub verdict: String,
    /// The verified subject (`None` when refused).
    pub sub: Option<String>,
    /// Every verified claim (`Null` when refused).
    pub claims: Value,
}

impl JwksGateway {
    /// The gateway shared by every test in this binary (started on first use).
    pub fn shared() -> &'static JwksGateway {
        static SHARED: OnceLock<JwksGateway> = OnceLock::new();
        SHARED.get_or_init(JwksGateway::start)
    }

    /// A gateway of the caller's own (its proxy is killed on drop).
    pub fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ccgw-jwks-gw-")
            .tempdir()
            .unwrap();
        let trust_dir = dir.path().join("trust");
        std::fs::create_dir(&trust_dir).unwrap();
        let log = dir.path().join("calls.jsonl");
        let module = super::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jwks_auth.py"),
        );
        // The model's upstream lives as long as the test binary, as the shared proxy's does.
        static UPSTREAM: OnceLock<Upstream> = OnceLock::new();
        let proxy = LiteLlm::start_with(
            UPSTREAM.get_or_init(Upstream::start),
            &Extra {
                general_settings: "  custom_auth: jwks_auth.user_api_key_auth\n".into(),
                files: vec![("jwks_auth.py".into(), module)],
                env: vec![
                    (
                        "CCGW_JWKS_TRUST_DIR".into(),
                        trust_dir.display().to_string(),
                    ),
                    ("CCGW_JWKS_LOG".into(), log.display().to_string()),
                ],
            },
        );
        Self {
            proxy,
            trust_dir,
            log,
            _dir: dir,
        }
    }

    /// The base URL (a unified-mode `gateway`).
    pub fn base(&self) -> &str {
        &self.proxy.base
    }

    /// Accept tokens of `issuer` for `audience`, verified against the JWKS at `jwks_url`.
    pub fn trust(&self, issuer: &str, jwks_url: &str, audience: &str) {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let name = format!("{}-{n}", std::process::id());
        let entry =
            serde_json::json!({"issuer": issuer, "jwks_url": jwks_url, "audience": audience});
        // Written aside and renamed: the verifier never reads half a file.
        let tmp = self.trust_dir.join(format!("{name}.tmp"));
        std::fs::write(&tmp, entry.to_string()).unwrap();
        std::fs::rename(&tmp, self.trust_dir.join(format!("{name}.json"))).unwrap();
    }

    /// Every request whose token claims `issuer` (verified or not), in order.
    pub fn calls(&self, issuer: &str) -> Vec<Call> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["iss"] == issuer)
            .map(|v| Call {
                path: v["path"].as_str().unwrap_or_default().to_owned(),
                verdict: v["verdict"].as_str().unwrap_or_default().to_owned(),
                sub: v["sub"].as_str().map(str::to_owned),
                claims: v["claims"].clone(),
            })
            .collect()
    }

    /// Every request the verifier saw, as logged (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}
