//! The headers Claude Code sends on a Messages-API request, and the ways it sends the key.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::config::Profile;

/// `anthropic-version` every Claude Code request carries.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// The `anthropic-beta` list Claude Code 2.1.197 sends on unified requests, verbatim
/// (measured; shared/reference/claude-code-wire.md).
pub const CLAUDE_CODE_BETAS: &str = "claude-code-20250219,context-1m-2025-08-07,interleaved-thinking-2025-05-14,thinking-token-count-2026-05-13,context-management-2025-06-27,prompt-caching-scope-2026-01-05,mid-conversation-system-2026-04-07,effort-2025-11-24";

/// Claude Code's user agent, marked so that gateway logs can tell the doctor apart.
pub const USER_AGENT: &str = "claude-cli/2.1.197 (external, cli; ccgw-doctor)";

/// Which credential headers a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer K` and `x-api-key: K`: Claude Code with an apiKeyHelper, unified.
    Both,
    /// `Authorization: Bearer K` only: Bedrock/Vertex pass-through.
    Bearer,
    /// `x-api-key: K` only.
    XApiKey,
    /// Nothing.
    None,
}

impl Auth {
    pub fn label(self) -> &'static str {
        match self {
            Auth::Both => "Bearer + x-api-key",
            Auth::Bearer => "Authorization: Bearer",
            Auth::XApiKey => "x-api-key",
            Auth::None => "no key",
        }
    }
}

/// The headers Claude Code sends on a Messages-API request: version, betas, app, the profile's
/// custom headers, and the credential as `auth` says.
pub fn claude_headers(profile: &Profile, auth: Auth, key: &str, betas: bool) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "anthropic-version",
        HeaderValue::from_static(ANTHROPIC_VERSION),
    );
    if betas {
        h.insert(
            "anthropic-beta",
            HeaderValue::from_static(CLAUDE_CODE_BETAS),
        );
    }
    h.insert("x-app", HeaderValue::from_static("cli"));
    h.insert(
        "anthropic-dangerous-direct-browser-access",
        HeaderValue::from_static("true"),
    );
    for (name, value) in &profile.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value.trim()),
        ) {
            h.insert(n, v);
        }
    }
    add_auth(&mut h, auth, key);
    h
}

/// Add the credential headers (marked sensitive so that no debug output shows them).
fn add_auth(h: &mut HeaderMap, auth: Auth, key: &str) {
    let bearer = matches!(auth, Auth::Both | Auth::Bearer);
    let x_api = matches!(auth, Auth::Both | Auth::XApiKey);
    if bearer && let Ok(mut v) = HeaderValue::from_str(&format!("Bearer {key}")) {
        v.set_sensitive(true);
        h.insert(reqwest::header::AUTHORIZATION, v);
    }
    if x_api && let Ok(mut v) = HeaderValue::from_str(key) {
        v.set_sensitive(true);
        h.insert("x-api-key", v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_auth_style_sends_its_headers_marked_sensitive() {
        let profile: Profile =
            toml::from_str("gateway = \"http://gw\"\nheaders = { \"x-team\" = \" a \" }\n[key]\nsource = \"env\"\nvar = \"K\"\n")
                .unwrap();
        let sent = |auth| {
            let h = claude_headers(&profile, auth, "sk-k", false);
            (
                h.get("authorization")
                    .map(|v| (v.to_str().unwrap().to_owned(), v.is_sensitive())),
                h.get("x-api-key")
                    .map(|v| (v.to_str().unwrap().to_owned(), v.is_sensitive())),
            )
        };
        let bearer = Some(("Bearer sk-k".to_owned(), true));
        let x_api = Some(("sk-k".to_owned(), true));
        assert_eq!(sent(Auth::Both), (bearer.clone(), x_api.clone()));
        assert_eq!(sent(Auth::Bearer), (bearer, None));
        assert_eq!(sent(Auth::XApiKey), (None, x_api));
        assert_eq!(sent(Auth::None), (None, None));
        let h = claude_headers(&profile, Auth::None, "", true);
        assert_eq!(h["anthropic-version"], ANTHROPIC_VERSION);
        assert_eq!(h["anthropic-beta"], CLAUDE_CODE_BETAS);
        assert_eq!(h["x-team"], "a");
    }
}
